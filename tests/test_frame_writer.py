"""The fan-out's direct frame write (live.frame_writer) under the uvicorn that `board serve` runs.

It reaches into uvicorn's websockets-sansio protocol; if an upgrade moved what it needs, the
fan-out would quietly fall back to the slower ASGI send. This test notices.
"""

from __future__ import annotations

import asyncio

import uvicorn
from servers import free_port
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket
from websockets.asyncio.client import connect

from board.cli.server import uvicorn_config
from board.live.hub import text_frame
from board.web.socket import ExposeAbort, frame_writer


async def endpoint(websocket: WebSocket) -> None:
    await websocket.accept()
    write = frame_writer(websocket)
    if write is None:
        await websocket.send_text("no direct write")
    else:
        assert write(text_frame('{"type":"ping","note":"blåbær"}'))
    await websocket.receive_text()  # hold the socket open until the client has read


def test_frame_writer_writes_a_frame_the_client_reads_under_board_serves_uvicorn() -> None:
    """Under `board serve`'s uvicorn settings the direct write is available, and a frame it
    writes arrives at a real client as that text message."""
    app = ExposeAbort(Starlette(routes=[WebSocketRoute("/ws", endpoint)]))
    config = uvicorn_config(app)
    config.port = free_port()
    server = uvicorn.Server(config)

    async def scenario() -> str:
        serving = asyncio.create_task(server.serve())
        try:
            while not server.started:
                await asyncio.sleep(0.02)
            async with connect(f"ws://127.0.0.1:{config.port}/ws") as ws:
                message = await asyncio.wait_for(ws.recv(), 5)
                await ws.send("bye")
                return str(message)
        finally:
            server.should_exit = True
            await asyncio.wait_for(serving, 10)

    assert asyncio.run(asyncio.wait_for(scenario(), 30)) == '{"type":"ping","note":"blåbær"}'
