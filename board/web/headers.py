"""Security headers on every HTTP response, as one ASGI middleware (no per-request task)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Responses that are not pages (JSON, Markdown) load nothing and run nothing.
NOT_A_PAGE = "default-src 'none'"


def not_a_page(frame_ancestors: str = "'none'") -> dict[str, str]:
    """The headers SecurityHeaders gives an answer that is not a page (for ServeAssets, which
    answers before it runs)."""
    return {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Content-Security-Policy": policy(None, f"frame-ancestors {frame_ancestors}"),
    }


class SecurityHeaders:
    """`nosniff`, a same-origin `Referrer-Policy`, and `frame-ancestors` from the settings.

    A page sets its own Content-Security-Policy; this replaces any `frame-ancestors` in it by the
    configured one (the organiser's sites that may embed the board, `'none'` by default: a
    second directive would be ignored by browsers). Anything else gets a policy that allows
    nothing.
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
                headers["Content-Security-Policy"] = self.policy(
                    headers.get("content-security-policy")
                )
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def policy(self, page: str | None) -> str:
        """The response's policy with the configured `frame-ancestors` as its only one."""
        return policy(page, self.frame_ancestors)


def policy(page: str | None, frame_ancestors: str) -> str:
    """A page's policy (none: NOT_A_PAGE) with `frame_ancestors` as its only such directive."""
    directives = [
        d.strip()
        for d in (page or NOT_A_PAGE).split(";")
        if d.strip() and d.split()[0].lower() != "frame-ancestors"
    ]
    return "; ".join([*directives, frame_ancestors])
