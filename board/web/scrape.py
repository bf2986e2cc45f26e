"""`GET /metrics`: the Prometheus text format, for whoever holds `BOARD_METRICS_TOKEN`.

The app adds the route only when the token is set (board/app.py), so a server without it has no
`/metrics` at all (404, like any unknown path): the counters are never public by accident. With
it, a request without the token, or with another, is a 401 with the error envelope and
`WWW-Authenticate: Bearer`. The route is outside the API and its OpenAPI document, like
`/healthz`: it is for the operator's Prometheus, not for clients (docs/metrics.md).
"""

from __future__ import annotations

import hmac

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from board import metrics
from board.web.http import error_response

PATH = "/metrics"


def metrics_route(token: str) -> Route:
    """The route that answers scrapes with `token`."""
    expected = token.encode()

    async def scrape(request: Request) -> Response:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        # Compared as bytes (the header's own: Starlette decodes it as Latin-1) in constant
        # time: how much of a guess matched must not show in the time of the answer.
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode("latin-1"), expected
        ):
            return error_response(
                401,
                "invalid_token",
                "send the metrics token as 'Authorization: Bearer <token>'",
                {"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        # In the thread pool: with several workers this reads every worker's files.
        body = await run_in_threadpool(metrics.exposition)
        return Response(body, headers={"Content-Type": metrics.CONTENT_TYPE})

    return Route(PATH, scrape, methods=["GET"])
