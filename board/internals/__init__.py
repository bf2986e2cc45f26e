"""The only place the board reaches into libraries' private parts: one adapter per library.

Each module says what private thing it uses, what that saves, and the public path it falls back
to when an upgrade takes the private thing away (slower, never wrong). Each decides once, at
start-up or when a socket opens, never per frame. `tests/test_internals_*.py` fail naming the
adapter when an upgrade removes what one relies on, and run each fallback for real;
`tests/test_internals_fence.py` fails when a module outside this package uses those names.

- `uvicorn_private`: the WebSocket protocol behind uvicorn's ASGI `send` (direct frame writes,
  abort), its httptools HTTP protocol (no cycle per upgraded connection), and its worker
  supervisor (the board's server class in every worker).
- `asyncio_private`: awaiting a future that a hand-stepped coroutine yielded.
- `sqlalchemy_private`: running a compiled Core statement straight on the driver's cursor.

The bottom layer: every package may import it, and it imports nothing of the board.
"""
