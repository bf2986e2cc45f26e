"""Notes and participants for the scenarios, over the asyncio HTTP client: a board, many
joins, a prefilled board, and notes at a steady rate.

Bodies read like a webinar's notes (about 300 characters, 0–3 goals). A note the viewers must
account for starts with its marker `bench-n000042`; prefilled notes carry `bench-p000042`, which
viewers ignore.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .http1 import Pool, Response
from .viewers import LIMITS_OFF

IDEAS = [
    "Krav om utslippsfrie byggeplasser i alle kommunale kontrakter fra neste år.",
    "Skolene kan dele kantinemat som blir til overs med nabolaget hver fredag.",
    "Sett av midler til å reparere sykler og klær i stedet for å kjøpe nytt.",
    "Lokale energifellesskap med solceller på tak som leier ut til naboene.",
    "Gi unge en fast plass i budsjettarbeidet, ikke bare en høring til slutt.",
    "Måle vanntap i ledningsnettet og prioritere de verste strekningene først.",
    "Gratis kollektivtransport for alle under 20 år i hele fylket.",
    "Innkjøpere bør få opplæring i å stille klimakrav som faktisk følges opp.",
    "Åpne data om luftkvalitet per skolevei, slik at foreldre kan velge rute.",
    "Et felles lager for utstyr som kommunens enheter kan låne av hverandre.",
]


def note(number: int, size: int, rng: random.Random, kind: str = "n") -> dict[str, Any]:
    """A note of about `size` characters with its marker first and 0–3 goals."""
    text = f"bench-{kind}{number:06d}"
    while len(text) < size:
        text += " " + rng.choice(IDEAS)
    return {
        "client_id": f"bench-{kind}{number}-{secrets.token_hex(4)}",
        "body": text[:size].rstrip(),
        "sdgs": sorted(rng.sample(range(1, 18), rng.randint(0, 3))),
    }


def refused(what: str, response: Response) -> RuntimeError:
    """A setup call the server refused, as one line (with the fix for a 429)."""
    if response.status == 429:
        return RuntimeError(f"{what}: 429, the server's rate limits refused it; {LIMITS_OFF}")
    return RuntimeError(f"{what}: {response.status} {response.content()[:200]!r}")


async def call(
    pool: Pool, method: str, path: str, body: Any = None, token: str | None = None
) -> Any:
    """A setup call that must succeed; its JSON answer."""
    response = await pool.json(method, path, body, token)
    if response.status >= 300:
        raise refused(f"{method} {path}", response)
    content = response.content()
    return json.loads(content) if content else None


async def board_for(pool: Pool, slug: str | None, admin_token: str | None) -> str:
    """`slug`, or a new board made with the admin token."""
    if slug:
        return slug
    if not admin_token:
        raise RuntimeError("give --slug of an existing board, or --admin-token to create one")
    created = await call(pool, "POST", "/api/boards", {"title": "board bench"}, admin_token)
    return str(created["board"]["slug"])


async def join_many(pool: Pool, slug: str, count: int, prefix: str = "bench") -> list[str]:
    """Tokens of `count` new participants, joined over the pool's connections at once."""
    path = f"/api/boards/{slug}/participants"

    async def one(i: int) -> str:
        return str((await call(pool, "POST", path, {"name": f"{prefix} {i}"}))["token"])

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def prefill(pool: Pool, slug: str, tokens: list[str], count: int, size: int) -> None:
    """Post `count` notes (markers `bench-p…`), one stream per token, before anyone watches."""
    rng = random.Random(count)  # noqa: S311 (text, not a secret)
    path = f"/api/boards/{slug}/notes"

    async def stream(first: int) -> None:
        for number in range(first, count, len(tokens)):
            await call(pool, "POST", path, note(number, size, rng, "p"), tokens[first])

    await asyncio.gather(*(stream(i) for i in range(min(len(tokens), count))))


@dataclass
class Flow:
    """Notes `bench-n…` posted at a steady rate: when each was sent, which were accepted."""

    pool: Pool
    slug: str
    token: str
    rate: float
    size: int
    limit: int  # note numbers stop here (the viewers' arrays are this long)
    first: int = 0  # the first note's number
    sent: dict[int, float] = field(default_factory=dict)
    accepted: set[int] = field(default_factory=set)
    failed: Counter[str] = field(default_factory=Counter)
    post_ms: list[float] = field(default_factory=list)

    async def run(self, stop: asyncio.Event) -> None:
        """Post until `stop` is set (or `limit` notes): each POST on time, not after the last."""
        rng = random.Random(7)  # noqa: S311 (text, not a secret)
        start = time.perf_counter()
        posts: set[asyncio.Task[None]] = set()
        for number in range(self.first, self.limit):
            delay = start + (number - self.first) / self.rate - time.perf_counter()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
            if stop.is_set():
                break
            task = asyncio.create_task(self.post(number, note(number, self.size, rng)))
            posts.add(task)
            task.add_done_callback(posts.discard)
        if posts:
            await asyncio.wait(posts)

    async def post(self, number: int, body: dict[str, Any], token: str | None = None) -> None:
        """POST one note; `sent` has when the request went out (after any wait for a
        connection of the pool, which is the load generator's and not the server's time)."""
        self.sent[number] = time.perf_counter()
        try:
            response = await self.pool.json(
                "POST", f"/api/boards/{self.slug}/notes", body, token or self.token
            )
        except (OSError, TimeoutError) as exc:
            self.failed[type(exc).__name__] += 1
            return
        self.sent[number] = response.sent_at
        self.post_ms.append((time.perf_counter() - response.sent_at) * 1000)
        if response.status in (200, 201):
            self.accepted.add(number)
        else:
            self.failed[f"HTTP {response.status}"] += 1

    def check(self) -> None:
        """Refused notes mean the run measures nothing useful: say why, in one line."""
        if self.failed.get("HTTP 429"):
            raise RuntimeError(
                f"posting notes: 429, the server's rate limits refused them; {LIMITS_OFF}"
            )
