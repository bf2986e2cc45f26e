"""Moderation and safety (#7) against real `board serve` processes and real WebSockets.

Bans and revoked keys close sockets at once; the socket limits close with 1008; the rate limits
are shared by two processes through a real Redis; the security headers reach the browser; and
no token or key is ever in a log line or in any response but the one that made it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from conftest import ADMIN_TOKEN, auth, require
from servers import Server, board_env, free_port, serve
from test_live import POLICY, WAIT, Clients, Live, Watched, hello, run
from test_live_scale import REDIS_SERVER, RedisServer
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from board.web.pages import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def safety_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One `board serve` with the default limits, shared by the module (own board per test)."""
    env = board_env(tmp_path_factory.mktemp("safety") / "data", admin_token=ADMIN_TOKEN)
    with serve(env) as server:
        yield server


@pytest.fixture
def server(safety_server: Server) -> Watched:
    return Watched(safety_server)


async def add_key(c: Clients, slug: str, owner: str, name: str = "Hilde") -> dict[str, Any]:
    response = await c.http.post(
        f"/api/boards/{slug}/moderators", json={"name": name}, headers=auth(owner)
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def refused(c: Clients, slug: str, token: str) -> tuple[Live, int | None]:
    """A new socket whose hello carries `token`: how the server closes it, if it does."""
    live = await c.connect(slug)
    await live.ws.send(hello(None, token))
    return live, await live.closed()


# --- ended access closes sockets ---------------------------------------------------------------


def test_a_revoked_key_loses_its_sockets_and_requests_at_once(server: Watched) -> None:
    """Revoking Hilde's key closes her live socket with 1008 right away; the owner's socket
    stays and learns of it; her next request is a 401 and her next hello is closed with 1008."""

    async def scenario() -> dict[str, Any]:
        async with Clients(server.url) as c:
            slug, owner = await c.create_board()
            hilde = await add_key(c, slug, owner)
            hers, welcome = await c.join_live(slug, token=hilde["key"])
            assert welcome["role"] == "moderator"
            owners, _ = await c.join_live(slug, token=owner)
            revoked = await c.http.delete(
                f"/api/boards/{slug}/moderators/{hilde['id']}", headers=auth(owner)
            )
            assert revoked.status_code == 204
            code = await hers.closed()
            event = await owners.until(lambda m: m["type"] == "event", "the revoke event")
            snapshot = await c.http.get(f"/api/boards/{slug}", headers=auth(hilde["key"]))
            _, again = await refused(c, slug, hilde["key"])
            await c.post(slug, await c.join(slug), "Etter tilbakekallingen")
            after = await owners.until(lambda m: m["type"] == "event", "a later note")
            return {
                "code": code,
                "reason": hers.ws.close_reason,
                "event": event,
                "http": snapshot.status_code,
                "again": again,
                "after": after,
                "id": hilde["id"],
            }

    r = run(scenario())
    assert (r["code"], r["reason"]) == (POLICY, "access revoked")
    assert (r["event"]["kind"], r["event"]["data"]) == ("moderator.revoke", {"id": r["id"]})
    assert (r["http"], r["again"]) == (401, POLICY)
    assert r["after"]["kind"] == "note.upsert"  # the owner's socket carries on
    server.assert_clean()


def test_a_ban_closes_the_participants_sockets_and_hides_their_notes_live(
    server: Watched,
) -> None:
    """Banning closes the participant's socket with 1008; a viewer gets the removal of their
    note and stays; the banned token's next hello is closed with 1008 and its requests 403."""

    async def scenario() -> dict[str, Any]:
        async with Clients(server.url) as c:
            slug, key = await c.create_board()
            response = await c.http.post(f"/api/boards/{slug}/participants", json={"name": "T"})
            troll = response.json()
            note = await c.post(slug, troll["token"], "Søppel")
            theirs, _ = await c.join_live(slug, token=troll["token"])
            viewer, _ = await c.join_live(slug)
            banned = await c.http.post(
                f"/api/boards/{slug}/participants/{troll['id']}/ban", headers=auth(key)
            )
            assert banned.status_code == 200, banned.text
            code = await theirs.closed()
            removal = await viewer.until(lambda m: m["type"] == "event", "the note's removal")
            _, again = await refused(c, slug, troll["token"])
            post = await c.http.post(
                f"/api/boards/{slug}/notes",
                json={"client_id": uuid.uuid4().hex, "body": "Igjen"},
                headers=auth(troll["token"]),
            )
            await c.post(slug, await c.join(slug), "Et nytt innspill")
            later = await viewer.until(lambda m: m["type"] == "event", "a later note")
            return {
                "code": code,
                "removal": removal,
                "note": note["id"],
                "again": again,
                "post": (post.status_code, post.json()["error"]["code"]),
                "later": later,
            }

    r = run(scenario())
    assert r["code"] == POLICY
    assert (r["removal"]["kind"], r["removal"]["data"]) == ("note.remove", {"id": r["note"]})
    assert r["again"] == POLICY
    assert r["post"] == (403, "banned")
    assert r["later"]["kind"] == "note.upsert"
    server.assert_clean()


# --- socket limits -----------------------------------------------------------------------------


async def open_socket(
    base_url: str, slug: str, forwarded: str | None = None
) -> tuple[Any, dict[str, Any] | None, int | None]:
    """Connect and say hello: (socket, welcome or None, close code or None)."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else None
    ws = await connect(
        f"{base_url.replace('http://', 'ws://')}/ws/boards/{slug}",
        additional_headers=headers,
        proxy=None,
        open_timeout=WAIT,
        close_timeout=2,
    )
    try:
        await ws.send(hello())
        message = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        return ws, message, None
    except ConnectionClosed:
        return ws, None, ws.close_code


def limited_server(tmp_path: Path, **limits: str) -> Any:
    return serve(board_env(tmp_path / "data", admin_token=ADMIN_TOKEN, **limits))


def new_board(base_url: str) -> str:
    response = httpx2.post(
        f"{base_url}/api/boards", json={"title": "Grenser"}, headers=auth(ADMIN_TOKEN)
    )
    assert response.status_code == 201, response.text
    return str(response.json()["board"]["slug"])


def test_sockets_over_the_rate_per_address_are_closed_with_1008(tmp_path: Path) -> None:
    """With a burst of 3 sockets a minute per address, the fourth is closed with 1008."""

    async def scenario(url: str, slug: str) -> list[int | None]:
        codes = []
        for _ in range(4):
            ws, _, code = await open_socket(url, slug)
            codes.append(code)
            await ws.close()
        return codes

    with limited_server(
        tmp_path, sockets_per_minute_per_ip="1", sockets_burst_per_ip="3"
    ) as server:
        codes = run(scenario(server.url, new_board(server.url)))
    assert codes == [None, None, None, POLICY]


def test_sockets_over_the_cap_per_address_wait_for_one_to_close(tmp_path: Path) -> None:
    """With 2 sockets at once per address the third is closed with 1008; once one of the two
    has closed, a new one is let in."""

    async def scenario(url: str, slug: str) -> tuple[int | None, int | None]:
        first, _, _ = await open_socket(url, slug)
        second, _, _ = await open_socket(url, slug)
        _, _, refused_code = await open_socket(url, slug)
        await first.close()
        for _ in range(50):  # the server counts the close when it has seen it
            fourth, welcome, code = await open_socket(url, slug)
            if welcome is not None:
                await fourth.close()
                break
            await asyncio.sleep(0.1)
        await second.close()
        return refused_code, code

    with limited_server(tmp_path, sockets_per_ip="2") as server:
        refused_code, later = run(scenario(server.url, new_board(server.url)))
    assert (refused_code, later) == (POLICY, None)


@pytest.mark.parametrize(("trusted", "separate"), [("127.0.0.1", True), ("", False)])
def test_sockets_count_per_forwarded_address_only_behind_a_trusted_proxy(
    tmp_path: Path, trusted: str, separate: bool
) -> None:
    """Behind BOARD_TRUSTED_PROXIES two forwarded clients each get their one socket; without
    it X-Forwarded-For is ignored and the second is refused (1008)."""

    async def scenario(url: str, slug: str) -> list[int | None]:
        a, _, first = await open_socket(url, slug, "198.51.100.1")
        b, _, second = await open_socket(url, slug, "198.51.100.2")
        c, _, third = await open_socket(url, slug, "198.51.100.1")
        for ws in (a, b, c):
            await ws.close()
        return [first, second, third]

    with limited_server(tmp_path, sockets_per_ip="1", trusted_proxies=trusted) as server:
        codes = run(scenario(server.url, new_board(server.url)))
    assert codes == ([None, None, POLICY] if separate else [None, POLICY, POLICY])


# --- limits shared by two processes ------------------------------------------------------------


def test_two_processes_share_the_rate_limits_through_redis(
    tmp_path: Path, new_database: Callable[[], str]
) -> None:
    """Two `board serve` on one PostgreSQL database and one Redis: a token's burst of 3 notes
    and an address's burst of 2 joins hold across both (each alone would allow it again)."""
    require("redis-server", REDIS_SERVER.exists(), "install redis-server (apt-get install redis)")
    database_url = new_database()
    redis = RedisServer(free_port(), tmp_path / "redis")
    limits = {
        "notes_per_minute": "1",
        "notes_burst": "3",
        "joins_per_minute_per_ip": "1",
        "joins_burst_per_ip": "2",
        "redis_url": f"redis://127.0.0.1:{redis.port}/0",
    }
    redis.start()
    try:
        with (
            serve(board_env(tmp_path / "a", database_url, admin_token=ADMIN_TOKEN, **limits)) as a,
            serve(board_env(tmp_path / "b", database_url, admin_token=ADMIN_TOKEN, **limits)) as b,
        ):
            slug = new_board(a.url)
            joins = [
                httpx2.post(f"{server.url}/api/boards/{slug}/participants", json={})
                for server in (a, b, a, b)
            ]
            token = joins[0].json()["token"]
            notes = [
                httpx2.post(
                    f"{server.url}/api/boards/{slug}/notes",
                    json={"client_id": uuid.uuid4().hex, "body": f"Innspill {number}"},
                    headers=auth(token),
                )
                for number, server in enumerate((a, b, a, b, a))
            ]
    finally:
        redis.stop()
    assert [r.status_code for r in joins] == [201, 201, 429, 429]
    assert [r.status_code for r in notes] == [201, 201, 201, 429, 429]
    over = notes[3]
    assert over.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(over.headers["retry-after"]) <= 60


# --- headers -----------------------------------------------------------------------------------


def test_the_served_page_and_api_carry_the_security_headers(server: Watched) -> None:
    """Over real HTTP: nosniff, Referrer-Policy and a CSP with frame-ancestors on the page and
    on the API (which allows nothing else)."""
    with httpx2.Client(base_url=server.url, timeout=10) as http:
        page, api = http.get("/"), http.get("/api/sdgs")
    for response in (page, api):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["content-security-policy"].endswith("; frame-ancestors 'none'")
    assert page.headers["content-security-policy"] == (
        f"{CONTENT_SECURITY_POLICY}; frame-ancestors 'none'"
    )
    assert api.headers["content-security-policy"].startswith("default-src 'none'")


# --- no secret leaks ---------------------------------------------------------------------------


def test_no_token_or_key_appears_anywhere_but_in_the_response_that_made_it(
    server: Watched,
) -> None:
    """Every secret (admin token, owner key, named key, participant tokens) appears in exactly
    one response body, the one that created it, and never in another response, a live frame,
    a close reason or a line of the server's log (its request and WebSocket lines included, also
    when a client puts a token or key in the URL), through a run of everything a board does; no
    note or comment text, name or title is in the log either."""
    created: dict[str, str] = {}  # secret -> the request that made it
    seen: list[tuple[str, str]] = []  # (request, everything the client got back)

    async def scenario() -> None:
        async with Clients(server.url) as c:

            async def call(
                label: str, method: str, path: str, token: str | None = None, **body: Any
            ) -> Any:
                response = await c.http.request(
                    method, path, json=body or None, headers=auth(token)
                )
                seen.append((label, f"{response.status_code} {response.headers} {response.text}"))
                return response

            made = await call("create board", "POST", "/api/boards", ADMIN_TOKEN, title="Hemmelig")
            slug, owner = made.json()["board"]["slug"], made.json()["moderator_key"]
            created[owner] = "create board"
            board = f"/api/boards/{slug}"
            joined = await call("join", "POST", f"{board}/participants", name="Kari")
            kari = joined.json()["token"]
            created[kari] = "join"
            other = await call("join 2", "POST", f"{board}/participants", name="Ola")
            ola = other.json()["token"]
            created[ola] = "join 2"
            hilde = await call("add key", "POST", f"{board}/moderators", owner, name="Hilde")
            created[hilde.json()["key"]] = "add key"

            sockets = [
                await c.join_live(slug, 0, t) for t in (None, kari, owner, hilde.json()["key"])
            ]
            await call(
                "patch board", "PATCH", board, owner, word_filter=["svindel"], retention_days=30
            )
            note = (
                await call("note", "POST", f"{board}/notes", kari, client_id="n1", body="Innspill")
            ).json()
            await call("flagged", "POST", f"{board}/notes", ola, client_id="n2", body="svindel")
            await call("like", "PUT", f"{board}/notes/{note['id']}/like", ola)
            await call("comment", "POST", f"{board}/notes/{note['id']}/comments", ola, body="Enig")
            await call(
                "edit", "PATCH", f"{board}/notes/{note['id']}", hilde.json()["key"], body="Rettet"
            )
            for label, token in (("viewer", None), ("kari", kari), ("owner", owner)):
                await call(f"snapshot {label}", "GET", board, token)
                await call(f"events {label}", "GET", f"{board}/events?since=0", token)
            await call("stats", "GET", f"{board}/stats", owner)
            await call("audit", "GET", f"{board}/audit", owner)
            await call("keys", "GET", f"{board}/moderators", owner)
            await call("export", "GET", f"{board}/export.md", owner)
            await call("openapi", "GET", "/api/openapi.json")
            await call("bad token", "GET", board, kari[:-2] + "xx")
            # Secrets where no client should put them: the URL, which the log does print.
            await call("token in query", "GET", f"{board}/terms?limit=3&token={ola}")
            await call("key in path", "GET", f"/b/{slug}/moderate/{owner}")
            await call("pasted link", "GET", f"/join?code=/b/{slug}/moderate%23key%3D{owner}")
            await call("ban", "POST", f"{board}/participants/{joined.json()['id']}/ban", owner)
            await call("banned", "GET", board, kari)
            await call("revoke", "DELETE", f"{board}/moderators/{hilde.json()['id']}", owner)
            await call("revoked", "GET", board, hilde.json()["key"])
            await refused(c, slug, kari)
            await refused(c, slug, "not-a-token")
            for live, _ in sockets:
                with contextlib.suppress(ConnectionClosed):  # Kari's and Hilde's were closed
                    await live.listen(0.3)
            for number, (live, _) in enumerate(sockets):
                reason = live.ws.close_reason or ""
                seen.append((f"socket {number}", live.raw() + reason))
            for live in c.sockets[len(sockets) :]:
                seen.append(("refused socket", live.raw() + (live.ws.close_reason or "")))

    run(scenario())
    created[ADMIN_TOKEN] = "(configured)"
    log = server.new_output()
    assert "POST /api/boards" in log  # the log was captured
    assert "WebSocket /ws/boards/" in log  # with the sockets' lines
    for text in ("Innspill", "svindel", "Enig", "Rettet", "Kari", "Hilde", "Hemmelig"):
        assert text not in log, f"{text!r} (a note, comment, name or title) is in the log"
    for secret, maker in created.items():
        assert secret not in log, f"the secret from {maker!r} is in the server's log"
        holders = [label for label, text in seen if secret in text]
        assert holders == ([] if maker == "(configured)" else [maker]), (maker, holders)
    server.assert_clean()
