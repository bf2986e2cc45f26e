"""`GET /api/boards/{slug}/terms`: a board's key terms, or one goal's, for the presenter (#18).

The presenter asks again a few seconds after notes arrive, and a webinar may have several
presenter screens open, so the answer is shared like the snapshot, and made from it:

- **From the shared snapshot, not the database.** The notes are those of the snapshot entry of
  the caller's role class (snapshots.py), which already decides how current a copy must be,
  builds once for a crowd and spaces its rebuilds while a board keeps changing. So a request
  costs no database work while that entry is current (none at all without a token), and key
  terms are never newer or older than what the same caller's snapshot shows. The notes are read
  back from the entry's JSON when an answer is computed (a few milliseconds for 1,000 notes,
  next to the counting).
- **One answer per (entry, goal, limit).** The entry's ETag names the board, its `seq` and the
  role class, so the answer is computed once per change of the board for each goal and limit
  asked for (single flight: a crowd that asks at once waits for one computation), kept as JSON
  bytes with an ETag of its own (304 while current), at most `MAX_ANSWERS` of them.
- **Which notes count is decided in one place**, `select` and the `Selection` it returns: the
  visible notes of the caller's snapshot, those of one goal when asked. Moderators' snapshot has
  pending and hidden notes too: they do not count, for any role. Notes a blind round holds are
  not in the shared snapshot (domain/visibility.py), so they count for moderators only, until
  the reveal.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from board.domain import terms
from board.domain.views import key_terms_view
from board.web.http import call, credentials, query_int
from board.web.snapshots import VARY, Entry, Snapshots, dumps, matches, sees_everything

DEFAULT_LIMIT = 20
MAX_LIMIT = 50
# Answers kept: a board with a few presenters asks for two or three (goal, limit) pairs per seq.
MAX_ANSWERS = 256


@dataclass(frozen=True, slots=True)
class Selection:
    """Which notes count for one request's key terms: with `select`, the one place that
    decides it.

    The visible notes of `entry` (the snapshot of the caller's role class), those tagged with
    `goal` when it is not None. `key` names everything the choice depends on; the answers are
    kept by it.
    """

    entry: Entry
    goal: int | None

    @property
    def key(self) -> tuple[str, int | None]:
        return (self.entry.etag, self.goal)

    def texts(self) -> list[str]:
        """The texts of the notes that count, read from the entry's JSON."""
        return [
            note["body"]
            for note in json.loads(self.entry.plain)["notes"]
            if note["status"] == "visible" and (self.goal is None or self.goal in note["sdgs"])
        ]


async def select(request: Request, slug: str, goal: int | None) -> Selection:
    """The notes that count for this caller: a token is checked as for the snapshot (401, 403),
    and a moderator's selects from the moderators' snapshot (its visible notes include those a
    blind round holds)."""
    creds = credentials(request)
    moderator = creds.token is not None and await call(request, sees_everything, slug, creds)
    snapshots: Snapshots = request.app.state.snapshots
    return Selection(await snapshots.get(slug, moderator), goal)


@dataclass(frozen=True, slots=True)
class Answer:
    etag: str
    body: bytes
    moderator: bool

    def response(self, headers: Mapping[str, str]) -> Response:
        answer = {
            "ETag": self.etag,
            "Vary": VARY,
            "Cache-Control": "private, no-cache" if self.moderator else "no-cache",
        }
        if matches(headers.get("if-none-match"), self.etag):
            return Response(status_code=304, headers=answer)
        return Response(self.body, media_type="application/json", headers=answer)


class KeyTerms:
    """The app's key-terms answers by (selection, limit); lives on `app.state.key_terms`.

    Runs on the event loop; computing runs in the thread pool.
    """

    def __init__(self) -> None:
        self._answers: OrderedDict[tuple[Any, ...], Answer] = OrderedDict()
        self._flights: dict[tuple[Any, ...], asyncio.Task[Answer]] = {}

    async def get(self, selection: Selection, limit: int) -> Answer:
        key = (*selection.key, limit)
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
            return answer
        flight = self._flights.get(key)
        if flight is None:
            # A task of its own: a caller that goes away leaves it to the others.
            flight = asyncio.create_task(self._compute(key, selection, limit), name="key terms")
            flight.add_done_callback(_retrieve)
            self._flights[key] = flight
        return await asyncio.shield(flight)

    async def _compute(self, key: tuple[Any, ...], selection: Selection, limit: int) -> Answer:
        try:
            answer = await run_in_threadpool(self._answer, selection, limit)
            self._answers[key] = answer
            while len(self._answers) > MAX_ANSWERS:
                self._answers.popitem(last=False)
            return answer
        finally:
            del self._flights[key]

    def _answer(self, selection: Selection, limit: int) -> Answer:
        entry = selection.entry
        texts = selection.texts()
        view = key_terms_view(terms.key_terms(texts, limit), len(texts), selection.goal, entry.seq)
        body = dumps(view)
        digest = hashlib.blake2b(body, digest_size=8).hexdigest()
        return Answer(f'W/"terms-{entry.board_id}-{entry.seq}-{digest}"', body, entry.moderator)


def _retrieve(task: asyncio.Task[Answer]) -> None:
    if not task.cancelled():
        task.exception()


async def respond(request: Request) -> Response:
    """`GET /api/boards/{slug}/terms?goal=&limit=`."""
    goal = query_int(request, "goal", 0, low=1, high=17) or None
    limit = query_int(request, "limit", DEFAULT_LIMIT, low=1, high=MAX_LIMIT)
    selection = await select(request, request.path_params["slug"], goal)
    key_terms: KeyTerms = request.app.state.key_terms
    answer = await key_terms.get(selection, limit)
    return answer.response(request.headers)
