"""Every API answer the tests see, held against the OpenAPI document (#16).

conftest.py wraps `httpx2.Client.send` and `httpx2.AsyncClient.send` for each test, which covers
the in-process `TestClient` (a `httpx2.Client`) and the clients tests open against real `board
serve` processes. An answer to an operation the document describes must have a status the document
declares for that operation, a media type it declares for that status, and, when that is JSON, a
body its schema accepts. Requests that are no operation of the document (pages, /healthz, a method
a route does not serve, a path no route matches) are not its business and pass unchecked; so do
streamed answers, whose body the test reads itself.

Schemas are compiled once per session, with Draft 2020-12, their `$ref`s resolved against the
document's components through a registry. `date-time` formats are checked too: the document
promises RFC 3339 timestamps.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs

from board.web.http import IdConvertor, SlugConvertor
from board.web.openapi import document, openapi_path
from board.web.routes import OPERATIONS

DOCUMENT_URI = "urn:sdg-pinboard:openapi"
CONVERTORS = {"id": IdConvertor.regex, "slug": SlugConvertor.regex}
JSON = "application/json"


class ContractViolation(AssertionError):
    """An answer the OpenAPI document does not allow."""


@dataclass(frozen=True)
class Route:
    """One operation: its method, its path as the app matches it and as the document names it."""

    method: str
    template: str
    pattern: re.Pattern[str]


@cache
def published() -> dict[str, Any]:
    """The document as GET /api/openapi.json serves it (JSON, so tuples are lists)."""
    parsed: dict[str, Any] = json.loads(json.dumps(document()))
    return parsed


@cache
def routes() -> tuple[Route, ...]:
    """The app's operations, with the convertors' own regexes, so a path matches here exactly
    when it matches the app's route."""

    def convertor(match: re.Match[str]) -> str:
        return f"(?:{CONVERTORS[match.group(2)]})"

    return tuple(
        Route(
            op.method,
            openapi_path(op.path),
            re.compile(re.sub(r"\{(\w+):(\w+)\}", convertor, op.path) + r"\Z"),
        )
        for op in OPERATIONS
    )


def route_of(method: str, path: str) -> Route | None:
    """The operation a request is for, or None when the document does not describe it."""
    for route in routes():
        if route.method == method and route.pattern.match(path):
            return route
    return None


@cache
def _registry() -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry([(DOCUMENT_URI, published())], draft=jsonschema_rs.Draft202012)


def _anchored(node: Any) -> Any:
    """A schema taken out of the document, its local `$ref`s pointed back into the document."""
    if isinstance(node, dict):
        return {
            key: DOCUMENT_URI + value
            if key == "$ref" and isinstance(value, str) and value.startswith("#")
            else _anchored(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_anchored(value) for value in node]
    return node


_validators: dict[tuple[str, str, str], jsonschema_rs.Validator] = {}
_compiling = threading.Lock()


def validator(method: str, template: str, status: str) -> jsonschema_rs.Validator:
    """The compiled schema of one operation's JSON answer with `status` (once per session)."""
    key = (method, template, status)
    with _compiling:
        if key not in _validators:
            response = published()["paths"][template][method.lower()]["responses"][status]
            _validators[key] = jsonschema_rs.Draft202012Validator(
                _anchored(response["content"][JSON]["schema"]),
                registry=_registry(),
                validate_formats=True,
            )
        return _validators[key]


def json_path(parts: list[str | int]) -> str:
    """`$.notes[0].color` for the instance path ["notes", 0, "color"]."""
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def problems(method: str, path: str, status: int, media_type: str, body: bytes) -> list[str]:
    """What is wrong with this answer by the document; empty when it is right or not an
    operation's."""
    route = route_of(method, path)
    if route is None:
        return []
    where = f"{method} {route.template} → {status}"
    responses = published()["paths"][route.template][method.lower()]["responses"]
    declared = responses.get(str(status))
    if declared is None:
        return [f"{where}: the document declares no {status} for this operation"]
    content = declared.get("content", {})
    if not content:
        return [] if not body else [f"{where}: the document declares no body, the answer has one"]
    if media_type not in content:
        return [f"{where}: answered {media_type or 'no media type'}, declared {sorted(content)}"]
    if media_type != JSON:
        return []
    try:
        instance = json.loads(body)
    except ValueError as exc:
        return [f"{where}: the body is not JSON ({exc})"]
    errors = validator(method, route.template, str(status)).iter_errors(instance)
    return [f"{where} at {json_path(e.instance_path)}: {e.message}" for e in errors]


@dataclass
class Checker:
    """Checks the answers of one test and counts, per operation, how many it validated."""

    enabled: bool = True
    violations: list[str] = field(default_factory=list)
    validated: Counter[tuple[str, str]] = field(default_factory=Counter)

    def check(self, method: str, url: str, status: int, media_type: str, body: bytes) -> None:
        """Raise (and remember, for answers a test's own code swallows) what is off-contract."""
        if not self.enabled:
            return
        path = urlsplit(url).path
        found = problems(method, path, status, media_type, body)
        if found:
            self.violations.extend(found)
            raise ContractViolation("\n".join(found))
        route = route_of(method, path)
        if route is not None:
            self.validated[(route.method, route.template)] += 1


def media_type_of(content_type: str | None) -> str:
    return (content_type or "").partition(";")[0].strip().lower()


def declared_json_operations() -> set[tuple[str, str]]:
    """(method, path) of every operation whose success answer is JSON."""
    return {
        (method.upper(), path)
        for path, item in published()["paths"].items()
        for method, spec in item.items()
        if any(JSON in r.get("content", {}) for c, r in spec["responses"].items() if c < "300")
    }
