"""The floor for Python: a bare `websockets` server that broadcasts each note with `broadcast()`.

It speaks just enough of the board's protocol for `board bench` (hello → welcome, events), and
takes notes over a minimal HTTP listener on another port. No database, no roles, no queues:
what is left is the cost of the WebSocket library itself.

    .venv/bin/python tests/bench/bare_broadcast.py --ws-port 8765 --http-port 8766
    board bench --url http://127.0.0.1:8766 --ws-url http://127.0.0.1:8765 --slug bare ...
"""

from __future__ import annotations

import argparse
import asyncio
import json

from websockets.asyncio.server import ServerConnection, broadcast, serve

clients: set[ServerConnection] = set()
seq = 0


async def viewer(connection: ServerConnection) -> None:
    await connection.recv()  # the hello
    await connection.send(json.dumps({"type": "welcome", "seq": seq, "role": "viewer"}))
    clients.add(connection)
    try:
        await connection.wait_closed()
    finally:
        clients.discard(connection)


async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    global seq
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            writer.close()
            return
        request_line, *header_lines = head.decode().split("\r\n")
        length = next(
            (
                int(h.split(":", 1)[1])
                for h in header_lines
                if h.lower().startswith("content-length:")
            ),
            0,
        )
        body = json.loads(await reader.readexactly(length)) if length else {}
        path = request_line.split()[1]
        if path.endswith("/notes"):
            seq += 1
            event = {"type": "event", "seq": seq, "kind": "note.upsert", "data": body}
            broadcast(clients, json.dumps(event, ensure_ascii=False))
            answer = json.dumps({"id": seq}).encode()
        else:
            answer = json.dumps({"board": {"slug": "bare"}, "token": "bare"}).encode()
        writer.write(
            b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(answer), answer)
        )


async def main(ws_port: int, http_port: int) -> None:
    async with serve(viewer, "127.0.0.1", ws_port, compression=None, max_size=4096):
        server = await asyncio.start_server(http, "127.0.0.1", http_port)
        async with server:
            await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ws-port", type=int, default=8765)
    parser.add_argument("--http-port", type=int, default=8766)
    args = parser.parse_args()
    asyncio.run(main(args.ws_port, args.http_port))
