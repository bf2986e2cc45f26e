"""The log of a real `board serve`: one line per request (id, method, path, status, duration)
with the id in the answer's `X-Request-Id`, nothing secret from a URL, WebSocket open and close
lines with role, close code and lifetime, a storm of closes summarised, and BOARD_LOG_FORMAT=json
(web/request_log.py, web/socket_log.py, cli/log_format.py)."""

from __future__ import annotations

import asyncio
import json
import math
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import websockets
from conftest import ADMIN_TOKEN, Api
from servers import REQUEST_LINE, Server, board_env, serve

from board.web.socket_log import ONE_BY_ONE

pytestmark = pytest.mark.slow

# A line of the text log: "INFO:     <id> <METHOD> <path> <status> <ms> ms".


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = board_env(tmp_path_factory.mktemp("request-log"), admin_token=ADMIN_TOKEN)
    with serve(env) as running:
        yield running


def new_board(server: Server) -> tuple[str, str, str]:
    """A new board on `server`: its slug, its owner key and a participant's token."""
    with httpx2.Client(base_url=server.url, timeout=10) as http:
        api = Api(http)  # type: ignore[arg-type]
        slug, key = api.create_board()
        return slug, key, api.join(slug)["token"]


def log_after(server: Server, mark: int, wait_for: str = "", timeout: float = 5.0) -> str:
    """The server's log (standard error) from `mark` on, once it holds `wait_for`."""
    deadline = time.monotonic() + timeout
    while True:
        added = server.stderr()[mark:]
        if wait_for in added or time.monotonic() > deadline:
            return added
        time.sleep(0.05)


def test_a_request_is_one_line_with_the_id_its_answer_carries(server: Server) -> None:
    """GET a snapshot: one line with a 12-digit id, the method, the path, the status and the
    duration in ms; the answer's X-Request-Id is that id; two requests have two ids."""
    slug, _key, _token = new_board(server)
    mark = len(server.stderr())
    with httpx2.Client(base_url=server.url, timeout=10) as http:
        first, second = http.get(f"/api/boards/{slug}"), http.get(f"/api/boards/{slug}/nope")
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    log = log_after(server, mark, ids[1])
    lines = {m[0]: m for m in REQUEST_LINE.findall(log)}
    assert ids[0] != ids[1]
    assert lines[ids[0]][1:4] == ("GET", f"/api/boards/{slug}", "200"), log
    assert lines[ids[1]][1:4] == ("GET", f"/api/boards/{slug}/nope", "404"), log
    assert float(lines[ids[0]][4]) < 5000


def test_no_secret_in_a_url_reaches_the_log(server: Server) -> None:
    """A token in the query, a moderator link (with its key) pasted into the join form, a key
    as a path segment: the lines are there, the token and key are not; the query parameters
    the board reads are kept when plain, any other is left out."""
    slug, key, token = new_board(server)
    mark = len(server.stderr())
    pasted = f"{server.url}/b/{slug}/moderate#key={key}"
    with httpx2.Client(base_url=server.url, timeout=10) as http:
        answers = [
            http.get(f"/api/boards/{slug}/terms", params={"limit": "5", "token": token}),
            http.get("/join", params={"code": pasted}),
            http.get(f"/b/{slug}/moderate/{key}"),
            http.get(f"/api/boards/{slug}/events", params={"since": token}),
        ]
    last = answers[-1].headers["x-request-id"]
    log = log_after(server, mark, last)
    assert [a.status_code for a in answers] == [200, 303, 404, 400]
    assert key not in log and token not in log, log
    assert f"GET /api/boards/{slug}/terms?limit=5 200" in log, log
    assert "GET /join?code=… 303" in log, log
    assert f"GET /b/{slug}/moderate/… 404" in log, log
    assert f"GET /api/boards/{slug}/events?since=… 400" in log, log


def test_health_checks_are_logged_only_when_they_are_not_200(server: Server) -> None:
    """/healthz and /readyz answered 200 leave no line (load balancers poll them); a 405 from
    one is logged."""
    mark = len(server.stderr())
    with httpx2.Client(base_url=server.url, timeout=10) as http:
        assert [http.get(p).status_code for p in ("/healthz", "/readyz") * 5] == [200] * 10
        refused = http.post("/healthz")
    log = log_after(server, mark, refused.headers["x-request-id"])
    assert refused.status_code == 405
    lines = REQUEST_LINE.findall(log)
    assert [line[:4] for line in lines] == [
        (refused.headers["x-request-id"], "POST", "/healthz", "405")
    ], log


def test_an_id_from_a_trusted_proxy_is_kept_and_an_odd_or_untrusted_one_replaced(
    server: Server, tmp_path: Path
) -> None:
    """Behind a trusted proxy a sane X-Request-Id (nginx's $request_id) is the request's id,
    in the answer and the log; one too long or with spaces is replaced by a new one. Without
    BOARD_TRUSTED_PROXIES a client's own X-Request-Id is not used."""
    with httpx2.Client(base_url=server.url, timeout=10) as http:
        untrusted = http.get("/api/sdgs", headers={"X-Request-Id": "abc123"})
    assert re.fullmatch("[0-9a-f]{12}", untrusted.headers["x-request-id"])
    env = board_env(tmp_path, trusted_proxies="127.0.0.1")
    with serve(env) as proxied, httpx2.Client(base_url=proxied.url, timeout=10) as http:
        nginx_id = "0f6e3b9c2a7d4e1f8a5b6c7d8e9f0a1b"
        kept = http.get("/api/sdgs", headers={"X-Request-Id": nginx_id})
        odd = [
            http.get("/api/sdgs", headers={"X-Request-Id": bad}).headers["x-request-id"]
            for bad in ("x" * 65, "two words", "a;b")
        ]
        log = log_after(proxied, 0, odd[-1])
    assert kept.headers["x-request-id"] == nginx_id
    assert f"{nginx_id} GET /api/sdgs 200" in log, log
    assert all(re.fullmatch("[0-9a-f]{12}", rid) for rid in odd), odd


async def viewer(server: Server, slug: str, token: str | None = None) -> Any:
    """A live socket on `slug` that has had its welcome."""
    ws = await websockets.connect(f"ws://127.0.0.1:{server.port}/ws/boards/{slug}")
    await ws.send(json.dumps({"type": "hello", "since": None, "token": token}))
    assert json.loads(await ws.recv())["type"] == "welcome"
    return ws


def test_a_websocket_has_an_open_and_a_close_line_with_role_code_and_lifetime(
    server: Server,
) -> None:
    """A participant's socket open for half a second and closed with 1001: an "opened" line
    and a "closed 1001" line with the same id, the role and about 0.5 s lived; no token."""
    slug, _key, token = new_board(server)
    mark = len(server.stderr())

    async def scenario() -> None:
        ws = await viewer(server, slug, token)
        await asyncio.sleep(0.5)
        await ws.close(1001)

    asyncio.run(scenario())
    log = log_after(server, mark, "closed 1001")
    opened = re.search(
        rf"([0-9a-f]{{12}}) WebSocket /ws/boards/{slug} opened: participant$", log, re.M
    )
    closed = re.search(
        rf"([0-9a-f]{{12}}) WebSocket /ws/boards/{slug} closed 1001: participant, lived (\S+) s$",
        log,
        re.M,
    )
    assert opened and closed, log
    assert opened[1] == closed[1]
    assert 0.4 <= float(closed[2]) < 3
    assert token not in log


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line of `text` as JSON (fails on the first that is not)."""
    return [json.loads(line) for line in text.splitlines() if line]


def test_the_json_log_is_one_object_per_line_with_the_fields(tmp_path: Path) -> None:
    """BOARD_LOG_FORMAT=json: every line of the log, uvicorn's included, is a JSON object with
    time (UTC), level, logger and message; a request's has request_id, method, path, status and
    duration_ms; a socket's has event, role, code and lived_s."""
    env = board_env(tmp_path, admin_token=ADMIN_TOKEN, log_format="json")
    with serve(env) as server:
        slug, _key, _token = new_board(server)

        async def scenario() -> None:
            ws = await viewer(server, slug)
            await ws.close(1000)

        asyncio.run(scenario())
        with httpx2.Client(base_url=server.url, timeout=10) as http:
            answer = http.get(f"/api/boards/{slug}")
        log_after(server, 0, answer.headers["x-request-id"])
    entries = json_lines(server.stderr())
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= entry.keys(), entry
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"]), entry
    assert any(e["logger"] == "uvicorn.error" and "Started server" in e["message"] for e in entries)
    request = next(e for e in entries if e.get("request_id") == answer.headers["x-request-id"])
    assert request["logger"] == "board.requests"
    assert (request["method"], request["path"], request["status"]) == (
        "GET",
        f"/api/boards/{slug}",
        200,
    )
    assert isinstance(request["duration_ms"], float)
    close = next(e for e in entries if e.get("event") == "close")
    assert (close["role"], close["code"], close["path"]) == ("viewer", 1000, f"/ws/boards/{slug}")
    assert isinstance(close["lived_s"], float)
    assert next(e for e in entries if e.get("event") == "open")["role"] == "viewer"


SOCKETS = 320


def counted(entries: list[dict[str, Any]], single: str, summary: str) -> tuple[int, int]:
    """(lines, sockets) of one kind: the `single` lines plus the `summary` lines' counts."""
    singles = [e for e in entries if e.get("event") == single]
    summaries = [e for e in entries if e.get("event") == summary]
    return len(singles) + len(summaries), len(singles) + sum(s["count"] for s in summaries)


def test_a_storm_of_closes_is_a_few_lines_that_count_every_socket(tmp_path: Path) -> None:
    """320 viewers, then SIGTERM: every socket closes with 1012 within a second or two, and the
    log has at most ONE_BY_ONE + 1 close lines a second (singles plus one summary with counts by
    code and role) that together count all 320; the opens are counted the same way."""
    env = board_env(tmp_path, admin_token=ADMIN_TOKEN, log_format="json")
    with serve(env) as server:
        slug, _key, _token = new_board(server)

        async def storm() -> tuple[list[int | None], float, float]:
            start = time.monotonic()
            sockets = await asyncio.gather(*(viewer(server, slug) for _ in range(SOCKETS)))
            opening, start = time.monotonic() - start, time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(asyncio.gather(*(ws.wait_closed() for ws in sockets)), 10)
            return [ws.close_code for ws in sockets], opening, time.monotonic() - start

        codes, opening, closing = asyncio.run(storm())
        server.process.wait(timeout=15)  # the log is complete once it has exited
    assert codes == [1012] * SOCKETS
    entries = json_lines(server.stderr())
    close_lines, closed = counted(entries, "close", "closed_summary")
    open_lines, opened = counted(entries, "open", "opened_summary")
    assert (opened, closed) == (SOCKETS, SOCKETS), entries
    # Each window of a second: ONE_BY_ONE lines of their own and one summary.
    assert close_lines <= (ONE_BY_ONE + 1) * (math.ceil(closing) + 1), close_lines
    assert open_lines <= (ONE_BY_ONE + 1) * (math.ceil(opening) + 1), open_lines
    summaries = [e for e in entries if e.get("event") == "closed_summary"]
    assert summaries and all(set(s["codes"]) == {"1012"} for s in summaries), summaries
    assert all(s["roles"] == {"viewer": s["count"]} for s in summaries)
    assert all(0 <= s["lived_median_s"] <= s["lived_max_s"] for s in summaries)
