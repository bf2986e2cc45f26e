"""OpenAPI 3.1, generated from the same operations and pydantic models the routes validate with."""

from __future__ import annotations

import re
import typing
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from board import __version__
from board.domain.schemas import ErrorEnvelope
from board.web.operations import Operation
from board.web.routes import OPERATIONS

REF = "#/components/schemas/{model}"
ERRORS = {
    "400": "Malformed request",
    "401": "Missing or invalid token",
    "403": "Not allowed",
    "404": "Unknown board or item",
    "409": "Conflict",
    "413": "Request body too large",
    "422": "Invalid input",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer"},
    }
}


def openapi_path(path: str) -> str:
    """`/api/boards/{slug:slug}` → `/api/boards/{slug}`."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if typing.get_origin(annotation) is list:
        annotation = typing.get_args(annotation)[0]
    return (
        annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    )


def _ref(annotation: Any) -> dict[str, Any]:
    model = _model_of(annotation)
    assert model is not None
    ref = {"$ref": REF.format(model=model.__name__)}
    return {"type": "array", "items": ref} if typing.get_origin(annotation) is list else ref


def _operation(op: Operation) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "summary": op.summary,
        "description": f"Who may call it: {op.who}.",
        "operationId": op.endpoint.__name__,
    }
    params = re.findall(r"\{(\w+)(?::(\w+))?\}", op.path)
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer"} if kind == "id" else {"type": "string"},
        }
        for name, kind in params
    ] + [
        {
            "name": query.name,
            "in": query.where,
            "required": False,
            "description": query.description,
            "schema": query.schema
            or {"type": "string", "enum": list(query.values), "default": query.values[0]},
        }
        for query in op.query
    ]
    if parameters:
        spec["parameters"] = parameters
    if op.body is not None:
        # A body whose fields are all optional may be left out: the server reads none as {}.
        required = any(field.is_required() for field in op.body.model_fields.values())
        spec["requestBody"] = {
            "required": required,
            "content": {"application/json": {"schema": _ref(op.body)}},
        }
    success: dict[str, Any] = {"description": "Success"}
    if op.response is str:
        success["content"] = {op.media_type: {"schema": {"type": "string"}}}
    elif op.response is bytes:  # a file: OpenAPI's registered format for any sequence of octets
        success["content"] = {op.media_type: {"schema": {"type": "string", "format": "binary"}}}
    elif op.response is not None:
        success["content"] = {op.media_type: {"schema": _ref(op.response)}}
    responses = {str(op.status): success}
    if op.repeat is not None:
        responses["200"] = success | {"description": op.repeat}
    if op.cached:
        responses["304"] = {"description": "Not modified: the If-None-Match ETag is current"}
    errors = dict(ERRORS)
    if op.limited:
        errors["429"] = "Rate limited: wait as Retry-After says"
    if op.database:
        errors["503"] = "The database is unavailable (database_unavailable): retry after a while"
    responses |= {
        code: {
            "description": text,
            "content": {"application/json": {"schema": _ref(ErrorEnvelope)}},
        }
        | ({"headers": RETRY_AFTER} if code in ("429", "503") else {})
        for code, text in errors.items()
    }
    spec["responses"] = responses
    spec["security"] = [{}, {"bearer": []}]
    return spec


@cache
def document() -> dict[str, Any]:
    models: set[type[BaseModel]] = {ErrorEnvelope}
    for op in OPERATIONS:
        models.update(m for m in (_model_of(op.body), _model_of(op.response)) if m is not None)
    pairs: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (m, "validation" if m.__name__.endswith(("Create", "Update")) else "serialization")
        for m in sorted(models, key=lambda m: m.__name__)
    ]
    _, schemas = models_json_schema(pairs, ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(openapi_path(op.path), {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "SDG Pinboard", "version": __version__},
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
