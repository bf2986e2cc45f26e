"""Request plumbing for the routes: bounded JSON bodies, bearer tokens, path and query values."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from board.domain.access import Credentials
from board.domain.schemas import describe
from board.errors import ApiError
from board.settings import Settings
from board.store.db import Store
from board.store.writer import GroupCommit
from board.web.limits import Limits

M = TypeVar("M", bound=BaseModel)
# ASCII only: str.isdigit() also accepts "²", which int() then refuses.
_DIGITS = re.compile(r"[0-9]{1,12}")
# The largest number a query parameter can be (twelve digits); the schema states it.
MAX_QUERY_INT = 10**12 - 1
R = TypeVar("R")


@dataclass(frozen=True)
class Context:
    """What the routes need from the app, built once in `create_app`."""

    settings: Settings
    store: Store
    limits: Limits
    writer: GroupCommit | None = None


def context(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


async def call(request: Request, func: Callable[..., R], *args: Any) -> R:
    """Run a service function with the app's store, off the event loop: writes in the group
    commit when there is one, reads (and writes on PostgreSQL) in the thread pool."""
    ctx = context(request)
    if request.method != "GET" and ctx.writer is not None and ctx.writer.running:
        return await ctx.writer.run(func, ctx.store, *args)
    return await run_in_threadpool(func, ctx.store, *args)


async def limit_token(request: Request, what: str) -> None:
    """Take one `what` from the bearer token's bucket, before any database work; 429 when empty."""
    await context(request).limits.per_token(what, credentials(request).token)


async def limit_address(request: Request, what: str) -> None:
    """Take one `what` from the client address's bucket; 429 when empty."""
    await context(request).limits.per_address(what, request)


def credentials(request: Request) -> Credentials:
    header = request.headers.get("authorization")
    token = None
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise ApiError(
                401, "invalid_token", "send the token as 'Authorization: Bearer <token>'"
            )
        token = value.strip()
    return Credentials(token, context(request).settings.admin_token)


async def parse(request: Request, model: type[M]) -> M:
    """The request body as `model`: 413 when too large, 400 when not JSON, 422 when invalid."""
    limit = context(request).settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and _DIGITS.fullmatch(declared) and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        # No body counts as {}: routes whose fields are all optional need not send one. Only
        # whitespace is not JSON (nor no body), so it is malformed, as the document has it.
        data = json.loads(raw, parse_constant=_reject_constant) if raw else {}
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "malformed_json", "the request body must be a JSON object") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "malformed_json", "the request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "invalid", describe(exc)) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "too_large", f"the request body is larger than {limit} bytes")


def query_int(
    request: Request, name: str, default: int, low: int = 0, high: int | None = None
) -> int:
    """The query parameter `name` as a whole number from `low` to `high`; 400 otherwise."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or int(raw) < low or (high is not None and int(raw) > high):
        wanted = "a non-negative integer" if high is None else f"an integer from {low} to {high}"
        raise ApiError(400, "bad_query", f"{name} must be {wanted}")
    return int(raw)


def query_choice(request: Request, name: str, values: tuple[str, ...]) -> str:
    """The query parameter `name`, one of `values`; the first when it is absent."""
    raw = request.query_params.get(name)
    if raw is None:
        return values[0]
    if raw not in values:
        allowed = ", ".join(v for v in values if v)
        raise ApiError(400, "bad_query", f"{name} must be one of: {allowed}")
    return raw


class IdConvertor(Convertor[int]):
    """Path ids that fit the database's 32-bit keys; anything else matches no route (404)."""

    regex = "[1-9][0-9]{0,8}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


class SlugConvertor(Convertor[str]):
    regex = "[a-z0-9][a-z0-9-]{0,63}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


async def handle_api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.headers)
