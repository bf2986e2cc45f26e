"""gzip for HTTP answers: whether a request takes it, and the middleware for dynamic answers.

Static files, pages and the SDG catalogue are compressed once when the app is built (assets.py);
the middleware compresses what is made per request (JSON answers, error envelopes, the Markdown
export) and leaves alone any answer that already has a `Content-Encoding`.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

# Dynamic answers are gzipped from this many bytes of body on. Below it an answer fits in one
# TCP segment (1,460 bytes) with our ~400 bytes of headers, compressed or not: gzip would save
# no packet and no round trip, only cost CPU. Most writes' answers (a like, a note) are under it.
MINIMUM_SIZE = 1024
# zlib's default: level 9 costs about twice the CPU for 1-2 % fewer bytes on our JSON.
LEVEL = 6


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding value allows gzip (`gzip`, or `*`, with a q above 0)."""
    qualities: dict[str, float] = {}
    for item in accept_encoding.lower().split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        qualities[coding] = quality
    return qualities.get("gzip", qualities.get("*", 0.0)) > 0


class GZip(GZipMiddleware):
    """Starlette's GZipMiddleware (which passes WebSockets through with the server's own `send`,
    and skips answers with a Content-Encoding, event streams and 206s), entered only when the
    request takes gzip. Starlette looks for "gzip" anywhere in Accept-Encoding, so it would
    compress for `gzip;q=0`; and on other requests it appends a second `Vary: Accept-Encoding`
    to the one our pre-compressed answers already carry. (A client that takes no gzip gets a
    dynamic answer without `Vary`: at worst a shared cache hands that plain copy to a client
    that would have taken gzip, never gzip to one that cannot read it.)"""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app, minimum_size=MINIMUM_SIZE, compresslevel=LEVEL)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and accepts_gzip(
            Headers(scope=scope).get("accept-encoding", "")
        ):
            await super().__call__(scope, receive, send)
        else:
            await self.app(scope, receive, send)
