"""The moderation routes: who a key is, named moderator keys, bulk approve, bans and the audit
trail (see api.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from board.domain import audit, moderators, notes, participants
from board.domain.schemas import (
    APPROVE_MAX,
    ApproveCreate,
    ApproveResult,
    AuditEntry,
    BanState,
    ModeratorCreate,
    ModeratorCreated,
    ModeratorPublic,
    ModeratorSelf,
)
from board.web.http import call, credentials, parse, query_int
from board.web.operations import BOARD, Query, no_content, operation

# Ids are 32-bit in the database.
MAX_ID = 2**31 - 1
MODERATORS = BOARD + "/moderators"
BAN = BOARD + "/participants/{participant_id:id}/ban"
AUDIT_QUERY = (
    Query(
        "before",
        (),
        "Only entries older than the entry with this id (the last id of the previous page)",
        {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    ),
    Query(
        "limit",
        (),
        f"Entries per page, 1–{audit.MAX_PAGE}",
        {
            "type": "integer",
            "minimum": 1,
            "maximum": audit.MAX_PAGE,
            "default": audit.DEFAULT_PAGE,
        },
    ),
)


@operation(
    "GET",
    MODERATORS,
    "The board's moderator keys by name (never the keys), revoked ones included",
    "moderator",
    response=list[ModeratorPublic],
)
async def list_moderators(request: Request) -> Response:
    slug = request.path_params["slug"]
    return JSONResponse(await call(request, moderators.list_keys, slug, credentials(request)))


@operation(
    "GET",
    MODERATORS + "/me",
    "Who the presented key is: its id and name, and whether it manages keys (owner); the "
    "admin token is id null, name Admin, owner true",
    "moderator",
    response=ModeratorSelf,
)
async def moderator_me(request: Request) -> Response:
    slug = request.path_params["slug"]
    return JSONResponse(await call(request, moderators.whoami, slug, credentials(request)))


@operation(
    "POST",
    MODERATORS,
    "Add a named moderator key; the key is in this response only",
    "the owner key (or admin)",
    body=ModeratorCreate,
    response=ModeratorCreated,
    status=201,
)
async def create_moderator(request: Request) -> Response:
    spec = await parse(request, ModeratorCreate)
    slug = request.path_params["slug"]
    created = await call(request, moderators.create_key, slug, spec, credentials(request))
    # A secret in the body: no cache may keep it.
    return JSONResponse(created, status_code=201, headers={"Cache-Control": "no-store"})


@operation(
    "DELETE",
    MODERATORS + "/{key_id:id}",
    "Revoke a moderator key: its requests fail and its live connections close at once",
    "the owner key (or admin); the owner key itself cannot be revoked",
    status=204,
)
async def revoke_moderator(request: Request) -> Response:
    p = request.path_params
    await call(request, moderators.revoke_key, p["slug"], p["key_id"], credentials(request))
    return no_content()


@operation(
    "POST",
    BOARD + "/notes/approve",
    f"Approve up to {APPROVE_MAX} pending notes in one transaction (one audit entry each, their "
    "events in one frame per socket); ids that are not pending are skipped",
    "moderator",
    body=ApproveCreate,
    response=ApproveResult,
)
async def approve_notes(request: Request) -> Response:
    spec = await parse(request, ApproveCreate)
    slug = request.path_params["slug"]
    return JSONResponse(await call(request, notes.approve_notes, slug, spec, credentials(request)))


@operation(
    "POST",
    BAN,
    "Ban a participant: the token is refused, live connections close, notes are hidden",
    "moderator",
    response=BanState,
)
async def ban_participant(request: Request) -> Response:
    p = request.path_params
    return JSONResponse(
        await call(request, participants.ban, p["slug"], p["participant_id"], credentials(request))
    )


@operation(
    "DELETE",
    BAN,
    "Lift a ban; the notes it hid stay hidden until a moderator restores them",
    "moderator",
    response=BanState,
)
async def unban_participant(request: Request) -> Response:
    p = request.path_params
    return JSONResponse(
        await call(
            request, participants.unban, p["slug"], p["participant_id"], credentials(request)
        )
    )


@operation(
    "GET",
    BOARD + "/audit",
    "Moderator actions, newest first, a page at a time (?before=<last id>)",
    "moderator",
    response=list[AuditEntry],
    query=AUDIT_QUERY,
)
async def get_audit(request: Request) -> Response:
    before = None
    if "before" in request.query_params:
        before = query_int(request, "before", 0, low=1, high=MAX_ID)
    limit = query_int(request, "limit", audit.DEFAULT_PAGE, low=1, high=audit.MAX_PAGE)
    slug = request.path_params["slug"]
    return JSONResponse(await call(request, audit.trail, slug, before, limit, credentials(request)))
