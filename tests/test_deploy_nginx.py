"""deploy/nginx.conf, run by real nginx in front of two real `board serve` processes.

The processes share a PostgreSQL database and a Redis of their own; nginx runs unprivileged-style
with its own prefix, logs and temp paths in the test's folder, on a free port. The shipped file is
the one under test: only its documented host-specific values are replaced (`SITE_VALUES`), with a
shortened WebSocket read timeout and a ping interval below it, so that the idle socket test takes
seconds rather than minutes.
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import re
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from conftest import ADMIN_TOKEN, auth, require
from servers import Server, board_env, free_port, serve, stop
from test_live_scale import REDIS_SERVER, RedisServer
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

pytestmark = pytest.mark.slow

NGINX = Path("/usr/sbin/nginx")
SITE = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"
READ_TIMEOUT = 2  # seconds: nginx's proxy_read_timeout for /ws/ in the test
PING_INTERVAL = 0.5  # seconds: BOARD_WS_PING_INTERVAL of the processes, well under it
JOINS_BURST = 3  # joins one address may make at once (then 1 a minute)
WAIT = 10.0
# Headers that belong to one connection, hop or request, not to the answer.
HOP_HEADERS = {
    "date",
    "server",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "x-cache-status",
    "x-request-id",
}
_STATIC_REFERENCE = re.compile(r"""["'](/static/[0-9a-f]{10}/[^"']+)["']""")


@dataclass
class Proxied:
    """nginx's base URL and the two processes behind it."""

    url: str
    processes: tuple[Server, Server]
    log: Path
    access_log: Path


def site_config(
    upstreams: tuple[int, int],
    port: int,
    cache: Path,
    access_log: Path,
    read_timeout: int = READ_TIMEOUT,
) -> str:
    """deploy/nginx.conf with the values its header says to change replaced; each must be there."""
    text = SITE.read_text("utf-8")
    values = {
        "server 127.0.0.1:8001 ": f"server 127.0.0.1:{upstreams[0]} ",
        "server 127.0.0.1:8002 ": f"server 127.0.0.1:{upstreams[1]} ",
        "/var/log/nginx/sdg-pinboard.access.log": str(access_log),
        "listen 80;": f"listen 127.0.0.1:{port};",
        "/var/cache/nginx/sdg-pinboard": str(cache),
        "proxy_read_timeout 75s;": f"proxy_read_timeout {read_timeout}s;",
    }
    for shipped, replacement in values.items():
        assert shipped in text, f"deploy/nginx.conf no longer has {shipped!r}"
        text = text.replace(shipped, replacement)
    return text


def main_config(prefix: Path, site: Path) -> str:
    """nginx.conf for a throwaway nginx: logs and temp paths in `prefix`, the site included."""
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}
worker_processes 1;
error_log {prefix / "error.log"} info;
events {{ worker_connections 256; }}
http {{
    access_log {prefix / "access.log"};
{temp}
    include {site};
}}
"""


@pytest.fixture(scope="module")
def proxied(
    tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[], str]
) -> Iterator[Proxied]:
    """Redis, two `board serve` on one PostgreSQL database, and nginx in front of both."""
    require(
        "nginx",
        NGINX.exists(),
        "install Debian's nginx (apt-get install nginx; .ci/run does) to test deploy/nginx.conf",
    )
    require("redis-server", REDIS_SERVER.exists(), "install redis-server (apt-get install redis)")
    tmp = tmp_path_factory.mktemp("nginx")
    redis = RedisServer(free_port(), tmp / "redis")
    database_url = new_database()
    settings = {
        "admin_token": ADMIN_TOKEN,
        "redis_url": f"redis://127.0.0.1:{redis.port}/0",
        "trusted_proxies": "127.0.0.1",
        "ws_ping_interval": str(PING_INTERVAL),
        "joins_per_minute_per_ip": "1",
        "joins_burst_per_ip": str(JOINS_BURST),
    }
    redis.start()
    try:
        with (
            serve(board_env(tmp / "a", database_url, **settings)) as a,
            serve(board_env(tmp / "b", database_url, **settings)) as b,
        ):
            port = free_port()
            site = tmp / "site.conf"
            access_log = tmp / "sdg-pinboard.access.log"
            site.write_text(site_config((a.port, b.port), port, tmp / "cache", access_log), "utf-8")
            conf = tmp / "nginx.conf"
            conf.write_text(main_config(tmp, site), "utf-8")
            command = [str(NGINX), "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(conf)]
            with (tmp / "nginx.out").open("wb") as out:
                nginx = subprocess.Popen(
                    [*command, "-g", f"daemon off; pid {tmp / 'nginx.pid'};"],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            proxied = Proxied(f"http://127.0.0.1:{port}", (a, b), tmp / "error.log", access_log)
            try:
                wait_for_nginx(proxied, nginx, tmp)
                yield proxied
            finally:
                stop(nginx)
    finally:
        redis.stop()


def wait_for_nginx(proxied: Proxied, nginx: subprocess.Popen[bytes], tmp: Path) -> None:
    deadline = time.monotonic() + WAIT
    while True:
        if nginx.poll() is not None:
            pytest.fail(
                f"nginx exited with {nginx.returncode}\n{(tmp / 'nginx.out').read_text()}\n"
                f"{proxied.log.read_text() if proxied.log.exists() else ''}"
            )
        try:
            if httpx2.get(f"{proxied.url}/healthz", timeout=2).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        assert time.monotonic() < deadline, "nginx did not answer /healthz through the upstream"
        time.sleep(0.1)


def client(url: str, address: str = "127.0.0.1") -> httpx2.Client:
    """An HTTP client whose connections come from `address` (any of 127.0.0.0/8 is local)."""
    transport = httpx2.HTTPTransport(local_address=address)
    return httpx2.Client(base_url=url, transport=transport, timeout=WAIT)


def new_board(url: str) -> str:
    response = httpx2.post(
        f"{url}/api/boards", json={"title": "Anskaffelser"}, headers=auth(ADMIN_TOKEN)
    )
    assert response.status_code == 201, response.text
    return str(response.json()["board"]["slug"])


def join(http: httpx2.Client, slug: str, **headers: str) -> httpx2.Response:
    return http.post(f"/api/boards/{slug}/participants", json={"name": "Kari"}, headers=headers)


def post_note(url: str, slug: str, token: str, body: str) -> int:
    response = httpx2.post(
        f"{url}/api/boards/{slug}/notes",
        json={"client_id": uuid.uuid4().hex, "body": body, "sdgs": [12]},
        headers=auth(token),
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def viewer(url: str, slug: str) -> ClientConnection:
    """A WebSocket through nginx that has had its welcome. It sends the page's Origin, as a
    browser does (the server holds it against the Host nginx passes on), and never pings: only
    the server does."""
    ws = await connect(
        f"{url.replace('http://', 'ws://')}/ws/boards/{slug}",
        origin=Origin(url),
        proxy=None,
        ping_interval=None,
        open_timeout=WAIT,
        close_timeout=2,
    )
    await ws.send(json.dumps({"type": "hello", "since": None}))
    welcome = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    assert welcome["type"] == "welcome", welcome
    return ws


async def note_ids(ws: ClientConnection, count: int) -> list[int]:
    """The ids of the next `count` notes created, in the order they arrive."""
    found: list[int] = []
    deadline = time.monotonic() + WAIT
    while len(found) < count:
        frame = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
        for message in frame if isinstance(frame, list) else [frame]:
            if message["type"] == "event" and message["kind"] == "note.upsert":
                found.append(int(message["data"]["id"]))
    return found


def test_pages_and_their_files_load_through_nginx_compressed(proxied: Proxied) -> None:
    """The index and a board's wall come through nginx as gzip HTML, and every versioned file
    the wall references loads; a JSON answer over 1 KiB arrives gzip too."""
    slug = new_board(proxied.url)
    with client(proxied.url) as http:
        pages = [http.get("/"), http.get(f"/b/{slug}")]
        files = [http.get(path) for path in _STATIC_REFERENCE.findall(pages[1].text)]
        catalogue = http.get("/api/sdgs")
    for page in pages:
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["content-encoding"] == "gzip"
    assert len(files) >= 3
    assert [f.status_code for f in files] == [200] * len(files)
    assert catalogue.status_code == 200
    assert catalogue.headers["content-encoding"] == "gzip"


def test_a_note_posted_to_either_process_reaches_a_viewer_through_nginx(
    proxied: Proxied,
) -> None:
    """A viewer connected through nginx (to one of the processes) gets a note posted to each
    process directly: one of the two crossed over Redis."""
    slug = new_board(proxied.url)
    with client(proxied.url) as http:
        token = join(http, slug).json()["token"]

    async def scenario() -> tuple[list[int], list[int]]:
        ws = await viewer(proxied.url, slug)
        try:
            posted = [
                post_note(process.url, slug, token, f"Innspill via {process.port}")
                for process in proxied.processes
            ]
            return posted, await note_ids(ws, 2)
        finally:
            await ws.close()

    posted, received = asyncio.run(scenario())
    assert received == posted


def test_an_idle_socket_outlives_nginxs_read_timeout(proxied: Proxied) -> None:
    """A viewer that sends nothing for twice nginx's read timeout is still open, because the
    server's pings (BOARD_WS_PING_INTERVAL) cross nginx, and still gets the next note."""
    slug = new_board(proxied.url)
    with client(proxied.url) as http:
        token = join(http, slug).json()["token"]

    async def scenario() -> tuple[Any, list[int], int]:
        ws = await viewer(proxied.url, slug)
        try:
            await asyncio.sleep(2 * READ_TIMEOUT + 1)
            state = ws.state.name
            note = post_note(proxied.url, slug, token, "Etter stillheten")
            return state, await note_ids(ws, 1), note
        finally:
            await ws.close()

    state, received, note = asyncio.run(scenario())
    assert state == "OPEN"
    assert received == [note]


def test_clients_at_two_addresses_are_limited_separately(proxied: Proxied) -> None:
    """Through nginx, 127.0.0.2 uses up its burst of joins (the next is 429) while 127.0.0.3,
    forwarded by the same nginx, still joins: the limits count the client, not the proxy."""
    slug = new_board(proxied.url)
    with client(proxied.url, "127.0.0.2") as first, client(proxied.url, "127.0.0.3") as second:
        firsts = [join(first, slug).status_code for _ in range(JOINS_BURST + 1)]
        other = join(second, slug).status_code
    assert firsts == [201] * JOINS_BURST + [429]
    assert other == 201


def test_a_forged_forwarded_for_counts_as_the_real_peer(proxied: Proxied) -> None:
    """A client at 127.0.0.4 that has used up its joins writes another address in
    X-Forwarded-For: nginx passes on the address it saw, and the join is still refused."""
    slug = new_board(proxied.url)
    with client(proxied.url, "127.0.0.4") as http:
        used = [join(http, slug).status_code for _ in range(JOINS_BURST)]
        forged = join(http, slug, **{"X-Forwarded-For": "198.51.100.7"})
    assert used == [201] * JOINS_BURST
    assert forged.status_code == 429
    assert forged.json()["error"]["code"] == "rate_limited"


def answer_headers(response: httpx2.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower() not in HOP_HEADERS}


@pytest.mark.parametrize(
    ("kind", "cached"), [("versioned", True), ("unversioned", False), ("other release", False)]
)
def test_static_files_through_nginx_have_the_apps_headers_and_caching(
    proxied: Proxied, kind: str, cached: bool
) -> None:
    """A static file through nginx has the app's own headers (security headers, Cache-Control,
    ETag, gzip) and bytes; nginx answers a repeat of the current version's URL from its copy,
    with an X-Request-Id of its own, and never keeps the `no-cache` ones (unversioned, another
    release's version)."""
    with client(proxied.processes[0].url) as direct:
        wall = direct.get(f"/b/{new_board(proxied.url)}").text
    versioned = next(p for p in _STATIC_REFERENCE.findall(wall) if p.endswith("/wall.js"))
    path = {
        "versioned": versioned,
        "unversioned": "/static/" + versioned.split("/", 3)[3],
        "other release": "/static/0000000000/" + versioned.split("/", 3)[3],
    }[kind]
    gzip = {"Accept-Encoding": "gzip"}
    with client(proxied.url) as http, client(proxied.processes[0].url) as direct:
        first, again = http.get(path, headers=gzip), http.get(path, headers=gzip)
        own = direct.get(path, headers=gzip)
    assert own.status_code == first.status_code == again.status_code == 200
    assert answer_headers(first) == answer_headers(again) == answer_headers(own)
    assert first.content == again.content == own.content
    assert own.headers["x-content-type-options"] == "nosniff"
    assert own.headers["content-encoding"] == "gzip"
    assert ("immutable" in own.headers["cache-control"]) is cached
    assert (again.headers["x-cache-status"] == "HIT") is cached
    # Nor is a copy's request id: each answer has the id of its own request.
    assert first.headers["x-request-id"] != again.headers["x-request-id"]


def test_one_request_id_is_in_nginxs_log_the_apps_log_and_the_answer(proxied: Proxied) -> None:
    """nginx gives each request a fresh $request_id, whatever the client sent: the app uses it
    (nginx is a trusted proxy), logs it and sends it back, and nginx's own line has it too,
    without the query string (which held a token here)."""
    slug = new_board(proxied.url)
    with client(proxied.url) as http:
        answer = http.get(
            f"/api/boards/{slug}/terms",
            params={"limit": "3", "token": "Tok3n-that-must-not-be-logged_xyz"},
            headers={"X-Request-Id": "chosen-by-the-client"},
        )
    assert answer.status_code == 200
    rid = answer.headers["x-request-id"]
    assert re.fullmatch("[0-9a-f]{32}", rid), rid
    deadline = time.monotonic() + WAIT
    while True:
        app_log = "".join(p.stderr() for p in proxied.processes)
        nginx_log = proxied.access_log.read_text() if proxied.access_log.exists() else ""
        if (rid in app_log and rid in nginx_log) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert f"{rid} GET /api/boards/{slug}/terms?limit=3 200" in app_log, app_log[-3000:]
    line = next(line for line in nginx_log.splitlines() if rid in line)
    assert f'"GET /api/boards/{slug}/terms" 200' in line, line
    assert "Tok3n" not in app_log + nginx_log
    assert "chosen-by-the-client" not in app_log + nginx_log


# Last in the module: it kills one of the two processes the module's nginx sits in front of.
def test_with_one_process_killed_every_request_through_nginx_is_answered_once(
    proxied: Proxied,
) -> None:
    """A process dies (SIGKILL, as in a crash): nginx passes what it could not hand over to the
    other process (`proxy_next_upstream error`), so every page, note post and WebSocket through
    it is answered, and each note is stored exactly once."""
    slug = new_board(proxied.url)
    with client(proxied.url, "127.0.0.9") as http:
        token = join(http, slug).json()["token"]
    alive, killed = proxied.processes
    killed.process.kill()
    killed.process.wait(timeout=WAIT)

    ids = [post_note(proxied.url, slug, token, f"Etter krasj {n}") for n in range(5)]
    pages = [httpx2.get(f"{proxied.url}/api/boards/{slug}", timeout=WAIT) for _ in range(10)]

    async def viewers() -> None:
        for _ in range(3):
            await (await viewer(proxied.url, slug)).close()

    asyncio.run(asyncio.wait_for(viewers(), 3 * WAIT))
    assert [page.status_code for page in pages] == [200] * len(pages)
    assert sorted(note["id"] for note in pages[-1].json()["notes"]) == sorted(ids)
    # At least one request went to the dead process first and was passed on to the live one.
    passed_on = f"127.0.0.1:{killed.port}, 127.0.0.1:{alive.port}"
    nginx_log = proxied.access_log.read_text()
    assert passed_on in nginx_log, nginx_log[-2000:]
