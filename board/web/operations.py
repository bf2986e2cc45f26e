"""How a JSON API operation is declared: its route, who may call it, what it takes and answers.

`@operation` puts an `Operation` on its handler; `declared_in` collects them from the handler
modules (routes.py). The app's routes and the OpenAPI document are both made from that one list.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Query:
    """An optional query parameter (or header, `where="header"`) that takes one of `values` (the
    first is the default), or whatever `schema` describes."""

    name: str
    values: tuple[str, ...]
    description: str
    schema: dict[str, Any] | None = None
    where: str = "query"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    endpoint: Endpoint
    summary: str
    who: str
    body: type[BaseModel] | None
    response: Any
    status: int
    query: tuple[Query, ...] = ()
    media_type: str = "application/json"
    # Rate limited (limits.py): the operation may answer 429 with Retry-After.
    limited: bool = False
    # Why the operation may also answer 200 with the same body (an idempotent repeat), if it can.
    repeat: str | None = None
    # Answers 304 to a matching If-None-Match.
    cached: bool = False
    # Needs the database: 503 `database_unavailable` with Retry-After while it is away (outage.py).
    database: bool = True


# Any value: an ETag the answer had is a 304, anything else the full answer.
IF_NONE_MATCH = Query(
    "If-None-Match",
    (),
    "The ETag of the copy the client has: 304 while it is current",
    {"type": "string"},
    where="header",
)

BOARD = "/api/boards/{slug:slug}"
NOTE = BOARD + "/notes/{note_id:id}"


def operation(
    method: str,
    path: str,
    summary: str,
    who: str,
    *,
    body: type[BaseModel] | None = None,
    response: Any = None,
    status: int = 200,
    query: tuple[Query, ...] = (),
    media_type: str = "application/json",
    limited: bool = False,
    repeat: str | None = None,
    cached: bool = False,
    database: bool = True,
) -> Callable[[Endpoint], Endpoint]:
    def declare(endpoint: Endpoint) -> Endpoint:
        endpoint.operation = Operation(  # type: ignore[attr-defined]
            method,
            path,
            endpoint,
            summary,
            who,
            body,
            response,
            status,
            query,
            media_type,
            limited,
            repeat,
            cached,
            database,
        )
        return endpoint

    return declare


def no_content() -> Response:
    return Response(status_code=204)


def declared_in(*modules: ModuleType) -> list[Operation]:
    """The operations the handlers of `modules` declare, module by module in definition order."""
    return [
        value.operation
        for module in modules
        for value in vars(module).values()
        if getattr(value, "__module__", None) == module.__name__
        and isinstance(getattr(value, "operation", None), Operation)
    ]
