"""Rate limits: token buckets per participant token and per client IP, in memory or in Redis.

A bucket holds up to `burst` tokens and refills at `per_minute`; each action takes one. With
Redis every process takes from the same buckets (one Lua script per check, atomic on the
server); without it each process keeps its own. Keys never contain a token: participants are
keyed by their token's hash.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.requests import HTTPConnection

from board import metrics
from board.domain import tokens
from board.errors import ApiError
from board.settings import Network, Settings

log = logging.getLogger("board.web.limits")

# Buckets kept in memory; the least recently used go first (a full bucket loses nothing).
MEMORY_BUCKETS = 100_000


@dataclass(frozen=True)
class Rate:
    per_minute: float
    burst: int

    def refill_seconds(self, missing: float) -> float:
        return missing * 60.0 / self.per_minute


class Limiter(Protocol):
    async def take(self, key: str, rate: Rate) -> float:
        """Take a token: 0 when allowed, else the seconds until one is free (Retry-After)."""
        ...


class MemoryLimiter:
    def __init__(self, clock: Any = time.monotonic) -> None:
        self.clock = clock
        # key -> (tokens, when counted, when full again), least recently used first.
        self.buckets: OrderedDict[str, tuple[float, float, float]] = OrderedDict()

    async def take(self, key: str, rate: Rate) -> float:
        now = self.clock()
        tokens, then, _ = self.buckets.pop(key, (float(rate.burst), now, now))
        tokens = min(float(rate.burst), tokens + (now - then) * rate.per_minute / 60.0)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = rate.refill_seconds(1.0 - tokens)
        self.buckets[key] = (tokens, now, now + rate.refill_seconds(rate.burst - tokens))
        # A full bucket is the same as none: forget it, so addresses are not kept for long.
        while self.buckets and (
            len(self.buckets) > MEMORY_BUCKETS or next(iter(self.buckets.values()))[2] <= now
        ):
            self.buckets.popitem(last=False)
        return wait


# KEYS[1] bucket; ARGV: burst, tokens per second. Time comes from the Redis server, so
# processes on hosts with skewed clocks still share one bucket correctly.
_TAKE = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return tostring(wait)
"""


class RedisLimiter:
    """Buckets shared by every process. While Redis cannot be reached each process counts in its
    own memory instead: a Redis outage must not stop people from posting."""

    def __init__(self, redis: Any) -> None:
        self.redis = redis
        self.script = redis.register_script(_TAKE)
        self.fallback = MemoryLimiter()
        self.failing = False

    async def take(self, key: str, rate: Rate) -> float:
        try:
            wait = await self.script(
                keys=[f"board:limit:{key}"], args=[rate.burst, rate.per_minute / 60]
            )
        except Exception as exc:  # any Redis failure: limit in this process meanwhile
            if not self.failing:
                log.warning(
                    "rate limits: cannot reach Redis (%s); counting in this process until it "
                    "is back",
                    exc,
                )
                self.failing = True
            return await self.fallback.take(key, rate)
        if self.failing:
            log.info("rate limits: Redis is back; the shared counters apply again")
            self.failing = False
        return float(wait)

    async def close(self) -> None:
        await self.redis.aclose()


async def enforce(limiter: Limiter, key: str, rate: Rate, what: str) -> None:
    """Raise 429 with Retry-After when the bucket is empty."""
    wait = await limiter.take(key, rate)
    if wait > 0:
        retry = max(1, math.ceil(wait))
        raise ApiError(
            429,
            "rate_limited",
            f"too many {what}; try again in {retry} s",
            {"Retry-After": str(retry)},
        )


# What each limit counts, for the 429 message.
WHAT = {
    "notes": "notes",
    "comments": "comments",
    "likes": "likes",
    "joins": "joins from your address",
    "sockets": "connections from your address",
    "suggestions": "suggestions from your address",
}


class Limits:
    """The configured limits, the limiter they draw on, and the open WebSockets per address.

    The limiter is in memory until `use_redis()` (called from the app's lifespan) swaps in the
    shared one. The count of open sockets is this process's own: a socket lives in one process.
    """

    def __init__(self, settings: Settings) -> None:
        s = settings
        self.rates: dict[str, Rate | None] = {
            "notes": _rate(s.notes_per_minute, s.notes_burst),
            "comments": _rate(s.comments_per_minute, s.comments_burst),
            "likes": _rate(s.likes_per_minute, s.likes_burst),
            "joins": _rate(s.joins_per_minute_per_ip, s.joins_burst_per_ip),
            "sockets": _rate(s.sockets_per_minute_per_ip, s.sockets_burst_per_ip),
            "suggestions": _rate(s.suggestions_per_minute_per_ip, s.suggestions_burst_per_ip),
        }
        self.sockets_per_ip = s.sockets_per_ip
        self.trusted = s.trusted_proxies
        self.admin_token = s.admin_token
        self.limiter: Limiter = MemoryLimiter()
        self.open_sockets: Counter[str] = Counter()

    def use_redis(self, url: str) -> RedisLimiter:
        import redis.asyncio as redis  # the optional dependency, needed only with Redis

        # A short timeout: every limited request waits for this answer.
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        limiter = RedisLimiter(client)
        self.limiter = limiter
        return limiter

    async def per_token(self, what: str, token: str | None) -> None:
        """Take from the token's bucket for `what`, or raise 429. The admin token is not limited;
        no token is left to the service (401); the bucket is named by the token's hash."""
        if token is None or tokens.matches(token, self.admin_token):
            return
        await self._take(what, tokens.hash_token(token))

    async def per_address(self, what: str, connection: HTTPConnection) -> None:
        """Take from the client address's bucket for `what`, or raise 429."""
        await self._take(what, client_ip(connection, self.trusted))

    async def _take(self, what: str, key: str) -> None:
        rate = self.rates[what]
        if rate is not None:
            try:
                await enforce(self.limiter, f"{what}:{key}", rate, WHAT[what])
            except ApiError:
                metrics.rate_limited.labels(what).inc()
                raise

    def socket_opened(self, address: str) -> bool:
        """Count a new socket from `address`; False (and not counted) when it has too many."""
        if self.sockets_per_ip and self.open_sockets[address] >= self.sockets_per_ip:
            metrics.rate_limited.labels("open_sockets").inc()
            return False
        self.open_sockets[address] += 1
        return True

    def socket_closed(self, address: str) -> None:
        self.open_sockets[address] -= 1
        if self.open_sockets[address] <= 0:
            del self.open_sockets[address]


def _rate(per_minute: int, burst: int) -> Rate | None:
    """The bucket for a setting pair; 0 in either turns the limit off."""
    return Rate(per_minute, burst) if per_minute > 0 and burst > 0 else None


def client_ip(connection: HTTPConnection, trusted: list[Network]) -> str:
    """The client's address: the socket's peer, or, when that peer is a trusted proxy, the
    nearest address in X-Forwarded-For that is not itself a trusted proxy."""
    peer = connection.client.host if connection.client else ""
    if not trusted or not within(peer, trusted):
        return peer
    forwarded = connection.headers.get("x-forwarded-for", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        if not within(hop, trusted):
            return hop
    return hops[0] if hops else peer


def within(address: str, networks: list[Network]) -> bool:
    """Whether `address` is in one of `networks` (a trusted proxy); not an address: no."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
