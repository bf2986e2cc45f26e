"""Every operation of the JSON API, in the order declared: what the app routes and the OpenAPI
document describes."""

from __future__ import annotations

from board.web import api, moderation_api
from board.web.operations import Operation, declared_in

OPERATIONS: list[Operation] = declared_in(api, moderation_api)
