"""`board serve --workers 2` without the Redis check, the adapter's supervisor way forced:
`python tests/run_workers.py PORT SHAPE` (SHAPE: target, worker or plain; see
board/internals/uvicorn_private.py). For tests/test_internals_uvicorn.py."""

from __future__ import annotations

import socket
import sys

from board.cli.server import run_workers, uvicorn_config
from board.internals import uvicorn_private


def main() -> None:
    port, uvicorn_private.SUPERVISOR = int(sys.argv[1]), sys.argv[2]
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.set_inheritable(True)
    run_workers(uvicorn_config("board.app:create_app", workers=2), sock)


if __name__ == "__main__":  # the workers are spawned: they import this module again
    main()
