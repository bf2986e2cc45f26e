"""The JSON API: thin handlers that parse, call a service function and send what it returns
(every shape is built in domain/views.py).

Each handler is declared with `@operation` (operations.py), which is also what `openapi.py`
describes, so the published schema and the routes cannot drift apart.
"""

from __future__ import annotations

import time
from typing import cast

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from board import metrics
from board.archive import spreadsheet
from board.archive.export import GROUPINGS, LANGS, GroupBy, Lang, Options, board_markdown
from board.domain import boards, notes, participants, suggest
from board.domain.schemas import (
    BoardCreate,
    BoardCreated,
    BoardPublic,
    BoardUpdate,
    CommentCreate,
    CommentPublic,
    EventsPage,
    HeldNotes,
    KeyTerms,
    LikeState,
    NoteCreate,
    NotePublic,
    NoteUpdate,
    ParticipantCreate,
    ParticipantCreated,
    Sdg,
    SectionCreate,
    SectionPublic,
    SectionUpdate,
    Snapshot,
    Stats,
    SuggestCreate,
    Suggestions,
)
from board.domain.tokens import matches
from board.domain.views import board_created, suggestions_view
from board.errors import ApiError
from board.store.unavailable import unavailable
from board.web import key_terms, snapshots
from board.web.assets import CATALOGUE, Assets, respond
from board.web.http import (
    MAX_QUERY_INT,
    call,
    context,
    credentials,
    limit_address,
    limit_token,
    parse,
    query_choice,
    query_int,
)
from board.web.operations import BOARD, IF_NONE_MATCH, NOTE, Query, no_content, operation


@operation(
    "GET",
    "/api/sdgs",
    "The 17 goals with official names and colours, each with its targets",
    "anyone",
    response=list[Sdg],
    query=(IF_NONE_MATCH,),
    cached=True,
    database=False,
)
async def list_sdgs(request: Request) -> Response:
    # Encoded and gzipped once with the static tree (assets.py), with an ETag. The pages fetch
    # the same bytes from /static/<version>/sdgs.json, which browsers keep for good.
    assets: Assets = request.app.state.assets
    return respond(request, assets.files[CATALOGUE], "public, max-age=3600")


@operation(
    "POST",
    "/api/sdgs/suggest",
    "The goals and targets a text suggests, best first, with the words that led to each",
    "anyone; rate limited per address",
    body=SuggestCreate,
    response=Suggestions,
    limited=True,
    database=False,
)
async def suggest_sdgs(request: Request) -> Response:
    # On the event loop: no database, and a note takes a fraction of a millisecond (a few at
    # 2,000 characters; docs/suggestions.md), about what the hop to the thread pool would.
    spec = await parse(request, SuggestCreate)
    await limit_address(request, "suggestions")
    return JSONResponse(suggestions_view(suggest.suggest(spec.text, spec.lang)))


@operation(
    "POST",
    "/api/boards",
    "Create a board",
    "admin",
    body=BoardCreate,
    response=BoardCreated,
    status=201,
)
async def create_board(request: Request) -> Response:
    if not matches(credentials(request).token, context(request).settings.admin_token):
        raise ApiError(
            401,
            "admin_required",
            "creating boards needs the admin token "
            "(BOARD_ADMIN_TOKEN); or run `board create` on the server",
        )
    spec = await parse(request, BoardCreate)
    view, key = await call(request, boards.create_board, spec)
    return JSONResponse(board_created(view, key), status_code=201)


@operation(
    "GET",
    BOARD,
    "Snapshot of a board: settings, sections, notes and the current seq "
    "(ETag: If-None-Match gives 304 while current)",
    "anyone; moderators also see pending and hidden notes",
    response=Snapshot,
    query=(IF_NONE_MATCH,),
    cached=True,
)
async def get_board(request: Request) -> Response:
    return await snapshots.respond(request)


@operation(
    "PATCH", BOARD, "Change board settings", "moderator", body=BoardUpdate, response=BoardPublic
)
async def update_board(request: Request) -> Response:
    change = await parse(request, BoardUpdate)
    slug = request.path_params["slug"]
    return JSONResponse(
        await call(request, boards.update_board, slug, change, credentials(request))
    )


@operation(
    "POST",
    BOARD + "/sections",
    "Add a section (column)",
    "moderator",
    body=SectionCreate,
    response=SectionPublic,
    status=201,
)
async def add_section(request: Request) -> Response:
    spec = await parse(request, SectionCreate)
    slug = request.path_params["slug"]
    section = await call(request, boards.add_section, slug, spec, credentials(request))
    return JSONResponse(section, status_code=201)


@operation(
    "PATCH",
    BOARD + "/sections/{section_id:id}",
    "Rename or reorder a section",
    "moderator",
    body=SectionUpdate,
    response=SectionPublic,
)
async def update_section(request: Request) -> Response:
    change = await parse(request, SectionUpdate)
    p = request.path_params
    return JSONResponse(
        await call(
            request, boards.update_section, p["slug"], p["section_id"], change, credentials(request)
        )
    )


@operation(
    "DELETE",
    BOARD + "/sections/{section_id:id}",
    "Delete a section; its notes stay on the board without one",
    "moderator",
    status=204,
)
async def delete_section(request: Request) -> Response:
    p = request.path_params
    await call(request, boards.delete_section, p["slug"], p["section_id"], credentials(request))
    return no_content()


@operation(
    "POST",
    BOARD + "/participants",
    "Join a board and get a participant token",
    "anyone",
    body=ParticipantCreate,
    response=ParticipantCreated,
    status=201,
    limited=True,
)
async def join(request: Request) -> Response:
    spec = await parse(request, ParticipantCreate)
    await limit_address(request, "joins")
    joined = await call(request, participants.join, request.path_params["slug"], spec)
    return JSONResponse(joined, status_code=201)


@operation(
    "DELETE",
    BOARD + "/participants/{participant_id:id}",
    "Erase a participant with their notes, likes and comments",
    "moderator, or that participant",
    status=204,
)
async def erase_participant(request: Request) -> Response:
    p = request.path_params
    await call(request, participants.erase, p["slug"], p["participant_id"], credentials(request))
    return no_content()


@operation(
    "POST",
    BOARD + "/notes",
    "Post a note; repeating a client_id returns the first note with 200",
    "participant or moderator",
    body=NoteCreate,
    response=NotePublic,
    status=201,
    limited=True,
    repeat="The note already posted with this client_id (or the same text by the same "
    "participant within ten minutes): nothing new was made",
)
async def post_note(request: Request) -> Response:
    started = time.perf_counter()
    try:
        spec = await parse(request, NoteCreate)
        await limit_token(request, "notes")
        note, created = await call(
            request, notes.post_note, request.path_params["slug"], spec, credentials(request)
        )
    except Exception as exc:
        metrics.note_posts.labels(post_outcome(exc)).inc()
        raise
    metrics.note_post_seconds.observe(time.perf_counter() - started)
    metrics.note_posts.labels("created" if created else "repeated").inc()
    return JSONResponse(note, status_code=201 if created else 200)


# A refused post's outcome by its status (metrics.NOTE_OUTCOMES).
REFUSED = {
    400: "invalid",
    413: "invalid",
    422: "invalid",
    401: "denied",
    403: "denied",
    404: "not_found",
    429: "rate_limited",
}


def post_outcome(exc: Exception) -> str:
    """What became of a note post that raised `exc` (the answer the app's handlers make of it)."""
    if isinstance(exc, ApiError):
        return REFUSED.get(exc.status, "error")
    return "unavailable" if unavailable(exc) else "error"


@operation(
    "GET",
    BOARD + "/notes/held",
    "The notes a blind round holds that the caller may see: the shared snapshot leaves a "
    "participant's own out",
    "participant (their own) or moderator (all)",
    response=HeldNotes,
)
async def held_notes(request: Request) -> Response:
    slug = request.path_params["slug"]
    return JSONResponse(await call(request, boards.held_notes, slug, credentials(request)))


@operation(
    "PATCH",
    NOTE,
    "Edit a note (optional If-Match: <version>)",
    "author (content) or moderator (also status, pinned, section_id, position)",
    body=NoteUpdate,
    response=NotePublic,
    query=(
        Query(
            "If-Match",
            (),
            "The note's version (from the note or its events): 409 when the note has changed "
            "since; * or no header: any version",
            {"type": "string", "pattern": notes.IF_MATCH_PATTERN},
            where="header",
        ),
    ),
)
async def update_note(request: Request) -> Response:
    change = await parse(request, NoteUpdate)
    p = request.path_params
    note = await call(
        request,
        notes.update_note,
        p["slug"],
        p["note_id"],
        change,
        request.headers.get("if-match"),
        credentials(request),
    )
    return JSONResponse(note)


@operation("DELETE", NOTE, "Delete a note", "author or moderator", status=204)
async def delete_note(request: Request) -> Response:
    p = request.path_params
    await call(request, notes.delete_note, p["slug"], p["note_id"], credentials(request))
    return no_content()


@operation(
    "PUT",
    NOTE + "/like",
    "Like a note (idempotent)",
    "participant",
    response=LikeState,
    limited=True,
)
async def like(request: Request) -> Response:
    await limit_token(request, "likes")
    p = request.path_params
    return JSONResponse(
        await call(request, notes.set_like, p["slug"], p["note_id"], True, credentials(request))
    )


@operation(
    "DELETE",
    NOTE + "/like",
    "Take a like back (idempotent)",
    "participant",
    response=LikeState,
    limited=True,
)
async def unlike(request: Request) -> Response:
    await limit_token(request, "likes")
    p = request.path_params
    return JSONResponse(
        await call(request, notes.set_like, p["slug"], p["note_id"], False, credentials(request))
    )


@operation(
    "POST",
    NOTE + "/comments",
    "Comment on a note",
    "participant or moderator",
    body=CommentCreate,
    response=CommentPublic,
    status=201,
    limited=True,
)
async def comment(request: Request) -> Response:
    spec = await parse(request, CommentCreate)
    await limit_token(request, "comments")
    p = request.path_params
    made = await call(
        request, notes.add_comment, p["slug"], p["note_id"], spec, credentials(request)
    )
    return JSONResponse(made, status_code=201)


@operation(
    "GET",
    BOARD + "/events",
    "Events after ?since=N, filtered for the caller's role",
    "anyone; moderators see every event",
    response=EventsPage,
    query=(
        Query(
            "since",
            (),
            "The last seq the caller has (0: from the start); beyond the board's seq is a 409",
            {"type": "integer", "minimum": 0, "maximum": MAX_QUERY_INT, "default": 0},
        ),
    ),
)
async def list_events(request: Request) -> Response:
    after = query_int(request, "since", 0)
    slug = request.path_params["slug"]
    return JSONResponse(await call(request, boards.catch_up, slug, after, credentials(request)))


@operation(
    "GET",
    BOARD + "/stats",
    "Notes per SDG, target and section, participants, viewers now",
    "anyone; pending notes count for moderators only",
    response=Stats,
)
async def get_stats(request: Request) -> Response:
    slug = request.path_params["slug"]
    viewers = request.app.state.hub.viewers  # open WebSockets on this board, in this process
    return JSONResponse(await call(request, boards.stats, slug, credentials(request), viewers))


@operation(
    "GET",
    BOARD + "/terms",
    "Key terms: the words and two-word phrases most visible notes share, each with the number "
    "of notes that contain it (ETag: If-None-Match gives 304 while current)",
    "anyone; visible notes only, for every role",
    response=KeyTerms,
    query=(
        Query(
            "goal",
            (),
            "Only the notes tagged with this goal; none: the whole board",
            {"type": "integer", "minimum": 1, "maximum": 17},
        ),
        Query(
            "limit",
            (),
            "How many terms at most",
            {
                "type": "integer",
                "minimum": 1,
                "maximum": key_terms.MAX_LIMIT,
                "default": key_terms.DEFAULT_LIMIT,
            },
        ),
        IF_NONE_MATCH,
    ),
    cached=True,
)
async def get_key_terms(request: Request) -> Response:
    return await key_terms.respond(request)


EXPORT_QUERY = (
    Query(
        "group_by", GROUPINGS, "One `##` per SDG (a note under each of its goals), section or day"
    ),
    Query("include_hidden", ("false", "true"), "Also pending, hidden and deleted notes, marked"),
    Query("lang", ("", *LANGS), "Headings and fixed words; default: the board's locale"),
    Query(
        "anonymous",
        ("false", "true"),
        "Every name becomes Deltaker/Participant 1, 2, … in order of first appearance",
    ),
)


@operation(
    "GET",
    BOARD + "/export.md",
    "The board as a Markdown archive (the same document as `board export`)",
    "moderator",
    response=str,
    query=EXPORT_QUERY,
    media_type="text/markdown",
)
async def export_markdown(request: Request) -> Response:
    group_by, include_hidden, lang, anonymous = (
        query_choice(request, q.name, q.values) for q in EXPORT_QUERY
    )
    settings = context(request).settings
    slug = request.path_params["slug"]
    # As `board export`: the board's link only when BOARD_PUBLIC_URL says where it is (the
    # address this request came in on may be a proxy's or a loopback address).
    options = Options(
        group_by=cast(GroupBy, group_by),
        lang=cast(Lang, lang) if lang else None,
        include_hidden=include_hidden == "true",
        board_url=f"{settings.public_url}/b/{slug}" if settings.public_url else None,
        anonymous=anonymous == "true",
    )
    text = await call(request, board_markdown, slug, credentials(request), options)
    return Response(
        text.encode("utf-8"),
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{slug}.md"'},
    )


# The Markdown export's options that a spreadsheet has: it has one row per note, no grouping.
WORKBOOK_QUERY = tuple(q for q in EXPORT_QUERY if q.name != "group_by")


@operation(
    "GET",
    BOARD + "/export.xlsx",
    "The board as a spreadsheet (.xlsx), one row per note (the same file as "
    "`board export --format xlsx`), sent as an attachment",
    "moderator",
    response=bytes,
    query=WORKBOOK_QUERY,
    media_type=spreadsheet.MEDIA_TYPE,
)
async def export_workbook(request: Request) -> Response:
    include_hidden, lang, anonymous = (
        query_choice(request, q.name, q.values) for q in WORKBOOK_QUERY
    )
    slug = request.path_params["slug"]
    options = spreadsheet.Options(
        lang=cast(Lang, lang) if lang else None,
        include_hidden=include_hidden == "true",
        anonymous=anonymous == "true",
    )
    content = await call(request, spreadsheet.board_workbook, slug, credentials(request), options)
    return Response(
        content,
        media_type=spreadsheet.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{slug}.xlsx"'},
    )
