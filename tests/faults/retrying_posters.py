"""Participants posting notes concurrently, each retrying an unacknowledged post with the same
`client_id` until the server acknowledges it, as the wall's outbox does (docs/pages.md).

A post is acknowledged by a 201 (made now) or a 200 (made by an earlier attempt whose answer
was lost, here to a SIGKILL). Anything else but a transport error or a 5xx is a failure: the
server has no business refusing a well-formed retry.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

import httpx2
from conftest import auth

RETRY_DELAY = (0.05, 0.2)  # seconds, jittered so the posters do not retry in step
REQUEST_TIMEOUT = 10.0


class RefusedPost(AssertionError):
    """The server answered a post with something other than an acknowledgement or a 5xx."""


@dataclass
class Tally:
    """What all posters saw, for the checks and the figures."""

    acknowledged: dict[str, int] = field(default_factory=dict)  # client_id → note id
    bodies: dict[str, str] = field(default_factory=dict)  # client_id → body sent
    failed_attempts: int = 0  # transport errors and 5xx, each followed by a retry
    retried_posts: int = 0  # posts that needed more than one attempt
    saved_before_the_answer_was_lost: int = 0  # retries answered 200: the note was saved
    server_errors: dict[int, int] = field(default_factory=dict)  # 5xx status → count


async def post_until_acknowledged(
    http: httpx2.AsyncClient,
    slug: str,
    token: str,
    client_id: str,
    body: str,
    tally: Tally,
    rng: random.Random,
    deadline: float,
) -> None:
    """POST the note until a 201 or 200; record its id under its client_id."""
    note = {"client_id": client_id, "body": body, "sdgs": [12]}
    tally.bodies[client_id] = body
    attempts = 0
    while True:
        attempts += 1
        try:
            response = await http.post(f"/api/boards/{slug}/notes", json=note, headers=auth(token))
        except httpx2.TransportError:
            pass
        else:
            if response.status_code in (200, 201):
                tally.acknowledged[client_id] = int(response.json()["id"])
                if attempts > 1:
                    tally.retried_posts += 1
                    tally.saved_before_the_answer_was_lost += response.status_code == 200
                return
            if response.status_code < 500:
                raise RefusedPost(f"{client_id}: {response.status_code} {response.text}")
            errors = tally.server_errors
            errors[response.status_code] = errors.get(response.status_code, 0) + 1
        tally.failed_attempts += 1
        if time.monotonic() > deadline:
            raise TimeoutError(f"{client_id} still unacknowledged after {attempts} attempts")
        await asyncio.sleep(rng.uniform(*RETRY_DELAY))


async def keep_posting(
    base_url: str,
    slug: str,
    token: str,
    poster: int,
    enough: asyncio.Event,
    tally: Tally,
    most: int,
    deadline: float,
    rng: random.Random,
) -> None:
    """Post one note after another (up to `most`) until `enough` is set; the post under way
    when it is set is still retried until acknowledged."""
    async with httpx2.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as http:
        for number in range(most):
            if enough.is_set():
                return
            client_id = f"p{poster}-n{number}"
            body = f"Idé {number} fra deltaker {poster} ({client_id})"
            await post_until_acknowledged(http, slug, token, client_id, body, tally, rng, deadline)


def start_posting(
    base_url: str,
    slug: str,
    tokens: list[str],
    enough: asyncio.Event,
    tally: Tally,
    most: int,
    deadline: float,
    seed: int,
) -> list[asyncio.Task[None]]:
    """One `keep_posting` task per token, each with jitter of its own from `seed`."""
    return [
        asyncio.create_task(
            keep_posting(
                base_url,
                slug,
                token,
                poster,
                enough,
                tally,
                most,
                deadline,
                random.Random(f"{seed}-{poster}"),  # noqa: S311 - jitter, not secrets
            )
        )
        for poster, token in enumerate(tokens)
    ]


async def post_all(
    base_url: str,
    slug: str,
    tokens: list[str],
    count: int,
    tally: Tally,
    deadline: float,
    prefix: str,
) -> None:
    """Exactly `count` notes, spread over the tokens and posted concurrently, all acknowledged."""
    rng = random.Random(prefix)  # noqa: S311 - jitter, not secrets

    async def one_poster(poster: int) -> None:
        async with httpx2.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as http:
            for number in range(poster, count, len(tokens)):
                client_id = f"{prefix}-{number}"
                body = f"Idé {number} ({client_id})"
                await post_until_acknowledged(
                    http, slug, tokens[poster], client_id, body, tally, rng, deadline
                )

    await asyncio.gather(*(one_poster(p) for p in range(min(count, len(tokens)))))


async def until_acknowledged(tally: Tally, count: int, seconds: float) -> None:
    """Wait until `count` posts in all have been acknowledged: posting is under way."""
    deadline = time.monotonic() + seconds
    while len(tally.acknowledged) < count:
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{len(tally.acknowledged)} posts acknowledged, not {count}, within {seconds} s"
            )
        await asyncio.sleep(0.02)
