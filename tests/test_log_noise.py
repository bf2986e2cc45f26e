"""What a client can make a real `board serve` write to its log: frames no browser sends
(invalid UTF-8 in a text frame, binary, bad JSON) get their close code and at most one line,
never a traceback; and a bug in the app is logged once."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from conftest import ADMIN_TOKEN, Api
from servers import Server, board_env, running, serve
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from board.app import create_app
from board.bench.wire import (
    CLOSE,
    _masked,
    close_code,
    frames,
    handshake,
    masked_text_frame,
    upgrade_request,
)
from board.settings import Settings
from board.store import db

pytestmark = pytest.mark.slow

BAD_FRAMES = 30


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = board_env(tmp_path_factory.mktemp("noise"), admin_token=ADMIN_TOKEN)
    with serve(env) as running:
        yield running


def closed_with(server: Server, path: str, frame: bytes) -> int:
    """Open a socket on `path`, send `frame`, and return the code the server closes with."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        origin = f"Origin: {server.url}\r\n"
        sock.sendall(upgrade_request(f"127.0.0.1:{server.port}", path, origin))
        buffer = bytearray()
        status = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            buffer += sock.recv(65536)
            if status is None:
                status = handshake(buffer)
                if status is None:
                    continue
                assert status == 101
                sock.sendall(frame)
            for opcode, payload in frames(buffer):
                if opcode == CLOSE:
                    return close_code(payload)
    raise AssertionError("the server did not close the socket")


def test_frames_of_invalid_utf8_are_closed_1007_and_logged_once_without_a_traceback(
    server: Server,
) -> None:
    """30 sockets each send a text frame of invalid UTF-8: each is closed with 1007, and the
    log gains one line about it (with its count), no traceback."""
    with httpx2.Client(base_url=server.url) as http:
        slug, _key = Api(http).create_board()  # type: ignore[arg-type]
    before = server.stderr()
    codes = [
        closed_with(server, f"/ws/boards/{slug}", masked_text_frame(b'{"type":"hello\xff\xfe"}'))
        for _ in range(BAD_FRAMES)
    ]
    assert codes == [1007] * BAD_FRAMES
    time.sleep(0.5)  # the log is written as the closes finish
    added = server.stderr()[len(before) :]
    assert "Traceback" not in added, added
    assert added.count("Invalid UTF-8") == 1, added


@pytest.mark.parametrize(
    "frame",
    [
        masked_text_frame(b"{not json"),
        masked_text_frame(b'{"type":"hello","since":"x"}'),
        masked_text_frame(b"[" * 3000),
        _masked(0x2, b"\x00\x01binary"),
    ],
    ids=["bad-json", "wrong-type", "too-deep", "binary"],
)
def test_other_malformed_first_frames_are_a_bad_hello_with_no_log_line(
    server: Server, frame: bytes
) -> None:
    """Bad JSON, a field of the wrong type, nesting too deep and a binary frame in place of the
    hello: each closed with 1008 (bad hello, docs/websocket.md), and nothing in the log."""
    with httpx2.Client(base_url=server.url) as http:
        slug, _key = Api(http).create_board()  # type: ignore[arg-type]
    before = server.stderr()
    assert closed_with(server, f"/ws/boards/{slug}", frame) == 1008
    time.sleep(0.5)
    assert server.stderr()[len(before) :] == ""


def test_a_bug_is_a_500_envelope_and_one_traceback_in_the_log(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """An error no handler expects answers 500 `internal_error` with nothing internal in the
    body, and the real uvicorn server logs its traceback once (not once by the app and again by
    the server); the answer's X-Request-Id names the request's line in the log."""
    settings = Settings(data_dir=tmp_path)
    db.upgrade(db.create_engine(settings.resolved_database_url))
    app = create_app(settings)

    async def bug(_request: Request) -> Response:
        raise RuntimeError("a bug, for the test")

    app.router.routes.insert(0, Route("/bug", bug))
    with running(app) as port:
        answer = httpx2.get(f"http://127.0.0.1:{port}/bug", timeout=10)
    assert answer.status_code == 500
    assert answer.json() == {
        "error": {"code": "internal_error", "message": "something went wrong on the server"}
    }
    log = capfd.readouterr().err
    assert log.count("Traceback") == 1, log
    assert log.count("RuntimeError: a bug, for the test") == 1, log
    # The id a user can quote is in the answer and in the request's line.
    assert f"{answer.headers['x-request-id']} GET /bug 500" in log, log
