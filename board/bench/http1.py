"""A minimal HTTP/1.1 client for the load generator: keep-alive connections as asyncio
Protocols, one request at a time on each (browsers do not pipeline), and a pool of them.

Each response records the bytes it took on the wire (head, body and chunk framing as they came,
compressed or not); a body is decoded only when asked (`Response.content`), so an asset that is
only counted costs no decompression.
"""

from __future__ import annotations

import asyncio
import json
import time
import zlib
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

try:  # only advertised when it can be decoded (discovery reads the page and its modules)
    import brotli  # type: ignore[import-not-found, unused-ignore]
except ImportError:  # pragma: no cover - not a dependency
    brotli = None

# What Chromium sends is "gzip, deflate, br, zstd"; we offer what we can decode.
ACCEPT_ENCODING = "gzip, deflate, br" if brotli is not None else "gzip, deflate"
USER_AGENT = "board-bench (Chromium-like first visits)"


def address(url: str) -> tuple[str, int]:
    """(host, port) of an http:// URL."""
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


class HttpError(ConnectionError):
    """No usable answer: the connection closed or sent something that is not HTTP/1.1."""


@dataclass(slots=True)
class Response:
    status: int
    headers: dict[str, str]
    raw: bytes  # the body as sent (compressed if it was)
    wire: int  # bytes received for this response
    sent_at: float = 0.0  # perf_counter when the request was written

    def content(self) -> bytes:
        """The body, decoded per its Content-Encoding."""
        encoding = self.headers.get("content-encoding", "identity").strip().lower()
        if encoding in ("gzip", "x-gzip", "deflate"):
            # wbits 47: gzip or zlib, told apart by the header (servers send both as deflate)
            return zlib.decompress(self.raw, 47)
        if encoding == "br" and brotli is not None:
            return bytes(brotli.decompress(self.raw))
        if encoding not in ("identity", ""):
            raise HttpError(f"cannot decode Content-Encoding {encoding!r}")
        return self.raw


class Connection(asyncio.Protocol):
    """One HTTP/1.1 connection; `request()` one at a time."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[Response] | None = None
        self.closed = False
        self.requests = 0
        self.sent_at = 0.0
        self._reset()

    def _reset(self) -> None:
        self.head: tuple[int, dict[str, str]] | None = None
        self.pos = 0  # where the body (or the next chunk) starts in the buffer
        self.length: int | None = None  # None: until the connection closes
        self.chunked = False
        self.parts: list[bytes] = []
        self.no_body = False

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        loop = asyncio.get_running_loop()
        _, connection = await loop.create_connection(lambda: cls(f"{host}:{port}"), host, port)
        return connection

    async def request(
        self, method: str, target: str, headers: dict[str, str], body: bytes | None = None
    ) -> Response:
        if self.closed or self.transport is None:
            raise HttpError("connection closed")
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        self.no_body = method == "HEAD"
        self.waiter = asyncio.get_running_loop().create_future()
        self.requests += 1
        self.sent_at = time.perf_counter()
        self.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        try:
            return await self.waiter
        finally:
            self.waiter = None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport = cast(asyncio.Transport, transport)  # uvloop's is not one

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        try:
            self._parse()
        except (ValueError, IndexError) as exc:
            self._fail(HttpError(f"malformed response: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.head is not None and self.length is None and not self.chunked:
            self._finish(bytes(self.buffer[self.pos :]), len(self.buffer))
        self._fail(HttpError("the server closed the connection"))

    def _fail(self, exc: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    def _parse(self) -> None:
        buffer = self.buffer
        if self.head is None:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
            version, status = lines[0].split(" ", 2)[:2]
            if not version.startswith("HTTP/1."):
                raise ValueError(lines[0][:40])
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name, value = name.strip().lower(), value.strip()
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
            code = int(status)
            self.head, self.pos = (code, headers), end + 4
            if self.no_body or code in (204, 304) or 100 <= code < 200:
                self.length = 0
            elif "chunked" in headers.get("transfer-encoding", "").lower():
                self.chunked = True
            elif "content-length" in headers:
                self.length = int(headers["content-length"])
        if self.chunked:
            self._chunks()
        elif self.length is not None and len(buffer) >= self.pos + self.length:
            end = self.pos + self.length
            self._finish(bytes(buffer[self.pos : end]), end)

    def _chunks(self) -> None:
        buffer = self.buffer
        while True:
            line_end = buffer.find(b"\r\n", self.pos)
            if line_end < 0:
                return
            size = int(bytes(buffer[self.pos : line_end]).split(b";")[0], 16)
            if size == 0:  # the last chunk, then trailers (if any) and an empty line
                if len(buffer) < line_end + 4:
                    return
                if buffer[line_end + 2 : line_end + 4] == b"\r\n":
                    end = line_end + 4
                else:
                    end = buffer.find(b"\r\n\r\n", line_end + 2)
                    if end < 0:
                        return
                    end += 4
                self._finish(b"".join(self.parts), end)
                return
            if len(buffer) < line_end + 2 + size + 2:
                return
            self.parts.append(bytes(buffer[line_end + 2 : line_end + 2 + size]))
            self.pos = line_end + 2 + size + 2

    def _finish(self, body: bytes, end: int) -> None:
        assert self.head is not None
        status, headers = self.head
        response = Response(status, headers, body, end, self.sent_at)
        del self.buffer[:end]
        self._reset()
        if "close" in headers.get("connection", "").lower():
            self.close()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(response)


class Pool:
    """Up to `size` keep-alive connections to one server, opened as they are needed (as a
    browser does: Chromium holds up to 6 per host)."""

    def __init__(self, host: str, port: int, size: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.slots = asyncio.Semaphore(size)
        self.idle: list[Connection] = []
        self.opened = 0

    async def request(
        self,
        method: str,
        target: str,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Response:
        """Send one request; HttpError, OSError or TimeoutError when no answer came."""
        async with self.slots:
            return await asyncio.wait_for(
                self._request(method, target, headers or {}, body), self.timeout
            )

    async def json(
        self, method: str, target: str, body: Any = None, token: str | None = None
    ) -> Response:
        """A call to the JSON API, as the pages' api.js makes it."""
        headers = {"Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        return await self.request(method, target, headers, data)

    async def _request(
        self, method: str, target: str, headers: dict[str, str], body: bytes | None
    ) -> Response:
        while self.idle:
            connection = self.idle.pop()
            if connection.closed:
                continue
            try:
                response = await connection.request(method, target, headers, body)
            except HttpError:
                # The server closed this idle connection as we reused it (keep-alive timeout):
                # a browser retries on a fresh one, and so do we.
                connection.close()
                break
            except BaseException:
                connection.close()
                raise
            self._keep(connection)
            return response
        connection = await Connection.open(self.host, self.port)
        self.opened += 1
        try:
            response = await connection.request(method, target, headers, body)
        except BaseException:
            connection.close()
            raise
        self._keep(connection)
        return response

    def _keep(self, connection: Connection) -> None:
        if not connection.closed:
            self.idle.append(connection)

    def close(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()
