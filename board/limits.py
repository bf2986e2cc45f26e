"""Rate limits: token buckets per participant token and per client IP, in memory or in Redis.

A bucket holds up to `burst` tokens and refills at `per_minute`; each action takes one. With
Redis every process takes from the same buckets (one Lua script per check, atomic on the
server); without it each process keeps its own. Keys never contain a token: participants are
keyed by their token's hash.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.requests import HTTPConnection

from .errors import ApiError

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
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def take(self, key: str, rate: Rate) -> float:
        now = self.clock()
        tokens, then = self.buckets.pop(key, (float(rate.burst), now))
        tokens = min(float(rate.burst), tokens + (now - then) * rate.per_minute / 60.0)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = rate.refill_seconds(1.0 - tokens)
        self.buckets[key] = (tokens, now)
        if len(self.buckets) > MEMORY_BUCKETS:
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
    def __init__(self, redis: Any) -> None:
        self.script = redis.register_script(_TAKE)

    async def take(self, key: str, rate: Rate) -> float:
        wait = await self.script(
            keys=[f"board:limit:{key}"], args=[rate.burst, rate.per_minute / 60]
        )
        return float(wait)


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


def client_ip(
    connection: HTTPConnection, trusted: list[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> str:
    """The client's address: the socket's peer, or, when that peer is a trusted proxy, the
    nearest address in X-Forwarded-For that is not itself a trusted proxy."""
    peer = connection.client.host if connection.client else ""
    if not trusted or not _within(peer, trusted):
        return peer
    forwarded = connection.headers.get("x-forwarded-for", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return hop
    return hops[0] if hops else peer


def _within(address: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
