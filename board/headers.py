"""Security headers on every HTTP response, as one ASGI middleware (no per-request task)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Responses that are not pages (JSON, Markdown) load nothing and run nothing.
NOT_A_PAGE = "default-src 'none'"


class SecurityHeaders:
    """`nosniff`, a same-origin `Referrer-Policy`, and `frame-ancestors` from the settings.

    A page sets its own Content-Security-Policy; this adds `frame-ancestors` to it (the
    organiser's sites that may embed the board, `'none'` by default). Anything else gets a
    policy that allows nothing.
    """

    def __init__(self, app: ASGIApp, frame_ancestors: str = "'none'") -> None:
        self.app = app
        self.frame_ancestors = f"frame-ancestors {frame_ancestors}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                policy = headers.get("content-security-policy", NOT_A_PAGE)
                headers["Content-Security-Policy"] = f"{policy}; {self.frame_ancestors}"
            await send(message)

        await self.app(scope, receive, send_with_headers)
