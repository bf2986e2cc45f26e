"""kill -9 under concurrent posting (#15): no acknowledged note is lost, and retrying an
unacknowledged post with the same `client_id` never makes a second note.

A real `board serve` on SQLite and on PostgreSQL (a database of the test's own), POSTERS
participants posting at once, the server SIGKILLed KILLS times at seeded random moments and
started again on the same data and port, while every poster retries its unacknowledged post.

Every MODERATOR_EVERY-th poster posts with the moderator key: a participant's retry would also
be caught by the same-text check (docs/moderation.md), a moderator's only by its `client_id`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from pathlib import Path

import pytest
from board_state import all_events, assert_log_whole, assert_server_clean, open_board, snapshot
from conftest import ADMIN_TOKEN
from killable import KillableServer
from retrying_posters import Tally, start_posting, until_acknowledged
from servers import NO_LIMITS, board_env

pytestmark = pytest.mark.slow
BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

SEED = 15  # the number; change it to try other kill moments
POSTERS = 30
MODERATOR_EVERY = 5
KILLS = 3
KILL_AFTER = (0.3, 1.2)  # seconds of posting before each kill, drawn from the seeded generator
MOST_PER_POSTER = 200  # a bound that a healthy run never reaches
RUN_SECONDS = 45.0  # no post stays unacknowledged longer than this
GOING_WITHIN = 15.0  # seconds for a (re)started server to acknowledge POSTERS posts


async def post_through_kills(
    server: KillableServer, slug: str, tokens: list[str], tally: Tally, rng: random.Random
) -> list[int]:
    """Posters post until the last restart has run a while; returns how many posts were
    acknowledged at each kill."""
    enough = asyncio.Event()
    deadline = time.monotonic() + RUN_SECONDS
    posting = start_posting(
        server.url, slug, tokens, enough, tally, MOST_PER_POSTER, deadline, SEED
    )
    acknowledged_at_kill = []
    try:
        for _ in range(KILLS + 1):
            # Each process takes posts before its kill: a kill of an idle server proves nothing.
            await until_acknowledged(tally, len(tally.acknowledged) + POSTERS, GOING_WITHIN)
            await asyncio.sleep(rng.uniform(*KILL_AFTER))
            if len(acknowledged_at_kill) == KILLS:
                break  # the last process only takes posts
            acknowledged_at_kill.append(len(tally.acknowledged))
            await asyncio.to_thread(server.kill_and_restart)
        enough.set()
        await asyncio.gather(*posting)
    finally:
        for task in posting:
            task.cancel()
        await asyncio.gather(*posting, return_exceptions=True)
    return acknowledged_at_kill


@BOTH
def test_kill_9_while_posting_loses_no_acknowledged_note_and_makes_no_duplicate(
    database_url: str, tmp_path: Path
) -> None:
    """After SIGKILLs in the middle of concurrent posting and retries with the same client_id,
    the board holds every acknowledged note once, as acknowledged (id and body), and nothing
    else; its log has one upsert per note and no seq gap."""
    env = board_env(tmp_path / "data", database_url, admin_token=ADMIN_TOKEN, **NO_LIMITS)
    server = KillableServer(env, tmp_path / "logs")
    server.start()
    try:
        slug, key, tokens = open_board(server.url, POSTERS)
        authors = [key if n % MODERATOR_EVERY == 0 else token for n, token in enumerate(tokens)]
        tally = Tally()
        kill_moments = random.Random(SEED)  # noqa: S311 - reproducible, not secret
        at_kill = asyncio.run(post_through_kills(server, slug, authors, tally, kill_moments))
        state = snapshot(server.url, slug, key)
        events = all_events(server.url, slug, key)
    finally:
        server.stop()

    notes = state["notes"]
    on_board = {note["client_id"]: note for note in notes}
    # By body: each post's text is its own, so a retry taken for a new post shows as its text
    # twice, whatever client_id the copy got.
    twice = {b: n for b, n in Counter(note["body"] for note in notes).items() if n > 1}
    lost = sorted(set(tally.acknowledged) - set(on_board))
    changed = sorted(
        client_id
        for client_id, note_id in tally.acknowledged.items()
        if client_id in on_board
        and (on_board[client_id]["id"], on_board[client_id]["body"])
        != (note_id, tally.bodies[client_id])
    )
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    print(
        f"\nfaults[{backend}]: {len(tally.acknowledged)} notes acknowledged, "
        f"{server.kills} kills (acknowledged at each: {at_kill}), "
        f"{tally.retried_posts} posts retried, {tally.saved_before_the_answer_was_lost} of them "
        f"saved before the answer was lost, {tally.failed_attempts} failed attempts, "
        f"5xx {tally.server_errors}, {len(twice)} duplicates, {len(lost)} lost"
    )
    assert server.kills == KILLS
    assert tally.retried_posts > 0  # some posts were cut off and had to be retried
    assert not lost, f"acknowledged but not on the board: {lost[:20]}"
    assert not twice, f"on the board more than once: {twice}"
    assert not changed, f"on the board, but not as acknowledged: {changed[:20]}"
    assert len(notes) == len(tally.acknowledged)
    assert state["seq"] == len(events)
    assert_log_whole(events, notes)
    assert_server_clean(server.output())
