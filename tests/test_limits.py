"""Rate limits, the client address behind proxies, and the security headers (#7).

The limiter against a real redis-server (started here, as test_live_scale.py does); the routes
through the real app on SQLite and PostgreSQL. The limits across two `board serve` processes and
on real WebSockets are in test_safety_live.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import ADMIN_TOKEN, Api, auth, require
from servers import free_port
from starlette.requests import HTTPConnection
from starlette.testclient import TestClient
from test_live_scale import REDIS_SERVER, RedisServer

from board.app import create_app
from board.errors import ApiError
from board.settings import Settings
from board.store.db import Store
from board.web.headers import NOT_A_PAGE, SecurityHeaders
from board.web.limits import Limits, MemoryLimiter, Rate, RedisLimiter
from board.web.pages import CONTENT_SECURITY_POLICY


def limited(what: str, **extra: Any) -> Settings:
    """Settings with a burst of 2 and one more a minute for `what` (notes, comments, …)."""
    if what in ("joins", "sockets"):
        names = {f"{what}_per_minute_per_ip": 1, f"{what}_burst_per_ip": 2}
    else:
        names = {f"{what}_per_minute": 1, f"{what}_burst": 2}
    return Settings(admin_token=ADMIN_TOKEN, **names, **extra)


def app_client(store: Store, settings: Settings, peer: str = "testclient") -> TestClient:
    return TestClient(create_app(settings, store), client=(peer, 50000))


def assert_rate_limited(response: Any) -> int:
    """A 429 with the error envelope and a Retry-After in whole seconds; returns the seconds."""
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited"
    assert set(response.json()["error"]) == {"code", "message"}
    retry = int(response.headers["retry-after"])
    assert retry >= 1
    return retry


# --- the buckets -------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_lets_a_burst_through_then_refills_at_the_rate() -> None:
    """Burst 3 at 6 a minute: three at once, the fourth waits 10 s; after 10 s one more."""

    async def scenario() -> list[float]:
        clock = Clock()
        limiter = MemoryLimiter(clock)
        rate = Rate(per_minute=6, burst=3)
        waits = [await limiter.take("k", rate) for _ in range(4)]
        clock.now += 10
        waits.append(await limiter.take("k", rate))
        waits.append(await limiter.take("other", rate))
        return waits

    assert asyncio.run(scenario()) == [0, 0, 0, pytest.approx(10.0), 0, 0]


def test_a_bucket_is_forgotten_once_it_is_full_again() -> None:
    """A client address is kept in memory only until its bucket has refilled."""

    async def scenario() -> list[list[str]]:
        clock = Clock()
        limiter = MemoryLimiter(clock)
        rate = Rate(per_minute=60, burst=2)
        await limiter.take("joins:192.0.2.1", rate)
        kept = [list(limiter.buckets)]
        clock.now += 1.5  # refilled after 1 s
        await limiter.take("joins:192.0.2.2", rate)
        kept.append(list(limiter.buckets))
        return kept

    assert asyncio.run(scenario()) == [["joins:192.0.2.1"], ["joins:192.0.2.2"]]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway redis-server for this module."""
    require("redis-server", REDIS_SERVER.exists(), "install redis-server (apt-get install redis)")
    server = RedisServer(free_port(), tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield f"redis://127.0.0.1:{server.port}/0"
    finally:
        server.stop()


def redis_limiter(url: str) -> RedisLimiter:
    import redis.asyncio as redis

    return RedisLimiter(redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1))


def test_redis_buckets_are_shared_by_every_limiter(redis_url: str) -> None:
    """Two limiters (two processes) on one Redis take from one bucket: a burst of 3 in all."""

    async def scenario() -> list[float]:
        a, b = redis_limiter(redis_url), redis_limiter(redis_url)
        rate = Rate(per_minute=1, burst=3)
        try:
            return [await limiter.take("shared", rate) for limiter in (a, b, a, b)]
        finally:
            await a.close()
            await b.close()

    waits = asyncio.run(scenario())
    assert waits[:3] == [0, 0, 0]
    assert 55 < waits[3] <= 60  # one token a minute, from Redis's clock


def test_without_redis_each_process_counts_alone_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A limiter whose Redis cannot be reached still limits, in memory, and logs one warning."""

    async def scenario() -> list[float]:
        limiter = redis_limiter(f"redis://127.0.0.1:{free_port()}/0")
        try:
            return [await limiter.take("k", Rate(per_minute=1, burst=2)) for _ in range(3)]
        finally:
            await limiter.close()

    with caplog.at_level(logging.WARNING, logger="board.web.limits"):
        waits = asyncio.run(scenario())
    assert waits[:2] == [0, 0] and waits[2] > 0
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and messages[0].startswith("rate limits: cannot reach Redis")


# --- the limited routes ------------------------------------------------------------------------


def test_notes_over_the_limit_are_429_before_anything_is_written(store: Store) -> None:
    """A token's third note within the burst of 2 is a 429 envelope with Retry-After (the
    refill time, a minute) and creates nothing; another participant's bucket is their own."""
    with app_client(store, limited("notes")) as client:
        api = Api(client)
        slug, _ = api.create_board()
        kari, ola = api.join(slug, "Kari")["token"], api.join(slug, "Ola")["token"]
        assert [api.post(slug, kari, f"Innspill {n}").status_code for n in range(2)] == [201, 201]
        seq = api.snapshot(slug)["seq"]
        assert 55 <= assert_rate_limited(api.post(slug, kari, "Ett for mye")) <= 60
        assert api.snapshot(slug)["seq"] == seq
        assert api.post(slug, ola, "Olas innspill").status_code == 201


@pytest.mark.parametrize("what", ["comments", "likes"])
def test_comments_and_likes_over_the_limit_are_429(store: Store, what: str) -> None:
    """Comments and likes (and unlikes) have their own buckets per token."""
    with app_client(store, limited(what)) as client:
        api = Api(client)
        slug, key = api.create_board()
        token = api.join(slug)["token"]
        note = api.note(slug, key, "Moderators innspill")
        url = f"/api/boards/{slug}/notes/{note['id']}"

        def act(number: int) -> Any:
            if what == "comments":
                return client.post(
                    f"{url}/comments", json={"body": f"K{number}"}, headers=auth(token)
                )
            return client.request(
                "PUT" if number % 2 == 0 else "DELETE", f"{url}/like", headers=auth(token)
            )

        expected = 201 if what == "comments" else 200
        assert [act(n).status_code for n in range(2)] == [expected, expected]
        assert_rate_limited(act(2))
        assert api.post(slug, token, "Et innspill").status_code == 201  # notes: another bucket


def test_joins_are_limited_per_client_address(store: Store) -> None:
    """The third join from one address within the burst is a 429; another address may join."""
    settings = limited("joins")
    with (
        app_client(store, settings, "192.0.2.1") as one,
        app_client(store, settings, "192.0.2.2") as two,
    ):
        slug, _ = Api(one).create_board()
        url = f"/api/boards/{slug}/participants"
        assert [one.post(url).status_code for _ in range(2)] == [201, 201]
        assert_rate_limited(one.post(url))
        assert two.post(url).status_code == 201


def test_the_admin_token_and_limits_set_to_0_are_not_limited(store: Store) -> None:
    """The admin token posts past a token limit; a limit of 0 is off."""
    settings = limited("notes", joins_per_minute_per_ip=0)
    with app_client(store, settings) as client:
        api = Api(client)
        slug, _ = api.create_board()
        assert all(api.post(slug, ADMIN_TOKEN, f"Admin {n}").status_code == 201 for n in range(4))
        assert all(
            client.post(f"/api/boards/{slug}/participants").status_code == 201 for _ in range(5)
        )


@pytest.mark.parametrize(
    ("trusted", "forwarded", "separate"),
    [
        pytest.param("10.0.0.0/8", ("198.51.100.1", "198.51.100.2"), True, id="trusted-proxy"),
        pytest.param(
            "10.0.0.0/8",
            ("203.0.113.9, 198.51.100.1", "203.0.113.9, 198.51.100.2"),
            True,
            id="nearest-untrusted-hop",
        ),
        pytest.param("", ("198.51.100.1", "198.51.100.2"), False, id="no-trusted-proxies"),
        pytest.param("10.9.9.9", ("198.51.100.1", "198.51.100.2"), False, id="other-proxy"),
    ],
)
def test_x_forwarded_for_names_the_client_only_behind_a_trusted_proxy(
    store: Store, trusted: str, forwarded: tuple[str, str], separate: bool
) -> None:
    """Behind a proxy in BOARD_TRUSTED_PROXIES two clients it forwards have their own join
    buckets (the nearest address that is not a trusted proxy counts; what a client puts in
    front of it does not); from anywhere else X-Forwarded-For is ignored: one bucket."""
    settings = limited("joins", trusted_proxies=trusted)
    with app_client(store, settings, "10.0.0.7") as client:
        slug, _ = Api(client).create_board()
        url = f"/api/boards/{slug}/participants"
        first, second = ({"X-Forwarded-For": f} for f in forwarded)
        assert [client.post(url, headers=first).status_code for _ in range(2)] == [201, 201]
        assert client.post(url, headers=first).status_code == 429
        assert client.post(url, headers=second).status_code == (201 if separate else 429)


def test_the_openapi_document_names_429_on_the_limited_routes(client: TestClient) -> None:
    """Join, notes, comments, likes and suggestions document a 429 with Retry-After; other
    routes do not."""
    paths = client.get("/api/openapi.json").json()["paths"]
    limited_ops = {
        (path, method)
        for path, item in paths.items()
        for method, op in item.items()
        if "429" in op["responses"]
    }
    board = "/api/boards/{slug}"
    assert limited_ops == {
        (board + "/participants", "post"),
        (board + "/notes", "post"),
        (board + "/notes/{note_id}/comments", "post"),
        (board + "/notes/{note_id}/like", "put"),
        (board + "/notes/{note_id}/like", "delete"),
        ("/api/sdgs/suggest", "post"),
    }
    headers = paths[board + "/notes"]["post"]["responses"]["429"]["headers"]
    assert headers["Retry-After"]["schema"] == {"type": "integer"}


# --- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("trusted_proxies", "10.0.0.0/8, proxy.example", "'proxy.example' is not an IP address"),
        ("frame_ancestors", "'self'; script-src *", "BOARD_FRAME_ANCESTORS"),
        ("frame_ancestors", "'none' https://a.example", "BOARD_FRAME_ANCESTORS"),
        ("frame_ancestors", "", "BOARD_FRAME_ANCESTORS"),
        ("notes_burst", "-1", "notes_burst"),
    ],
)
def test_unsafe_settings_fail_with_what_to_set(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, fragment: str
) -> None:
    """A proxy that is no address, a frame-ancestors list that could break out of its directive,
    or a negative limit is refused at start, naming the setting."""
    monkeypatch.setenv(f"BOARD_{name.upper()}", value)
    with pytest.raises(ValueError, match=r"(?s)" + fragment.replace("(", r"\(")):
        Settings()


def test_settings_read_the_proxy_list_and_the_frame_ancestors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Comma-separated addresses and networks; a space-separated CSP source list."""
    monkeypatch.setenv("BOARD_TRUSTED_PROXIES", " 127.0.0.1 , 10.0.0.0/8,::1")
    monkeypatch.setenv("BOARD_FRAME_ANCESTORS", "'self'   https://www.example.no https:")
    settings = Settings()
    assert [str(n) for n in settings.trusted_proxies] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    assert settings.frame_ancestors == "'self' https://www.example.no https:"


# --- security headers --------------------------------------------------------------------------


def test_api_responses_carry_nosniff_referrer_policy_and_a_policy_that_allows_nothing(
    client: TestClient,
) -> None:
    """JSON, errors and the health check: nosniff, Referrer-Policy, `default-src 'none'` and
    `frame-ancestors 'none'` (the default)."""
    for response in (
        client.get("/api/sdgs"),
        client.get("/api/boards/no-such-board"),
        client.post("/api/boards", json={}),
        client.get("/healthz"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["content-security-policy"] == (
            f"{NOT_A_PAGE}; frame-ancestors 'none'"
        )


def test_pages_keep_their_policy_and_get_frame_ancestors_from_the_setting(store: Store) -> None:
    """The page's own policy stays; frame-ancestors is BOARD_FRAME_ANCESTORS."""
    settings = Settings(frame_ancestors="'self' https://www.example.no")
    with TestClient(create_app(settings, store)) as client:
        page = client.get("/")
        api = client.get("/api/sdgs")
    assert page.headers["content-security-policy"] == (
        f"{CONTENT_SECURITY_POLICY}; frame-ancestors 'self' https://www.example.no"
    )
    assert page.headers["x-content-type-options"] == "nosniff"
    assert api.headers["content-security-policy"].endswith(
        "; frame-ancestors 'self' https://www.example.no"
    )


def test_a_pages_own_frame_ancestors_is_replaced_not_doubled() -> None:
    """Browsers obey the first frame-ancestors only: the configured one must be the only one."""
    headers = SecurityHeaders(app=None, frame_ancestors="https://org.example")  # type: ignore[arg-type]
    policy = headers.policy("default-src 'self'; frame-ancestors 'none'; img-src data:")
    assert policy == "default-src 'self'; img-src data:; frame-ancestors https://org.example"
    assert policy.count("frame-ancestors") == 1


def test_defaults_let_an_office_of_1500_in_within_a_minute_but_slow_a_joining_script() -> None:
    """Default limits, one address, one minute: 1,500 arrivals (a join and a socket each, all
    held open) all get in; a script trying 10,000 joins gets at most the burst and a minute's
    refill."""

    async def allowed(limits: Limits, what: str, address: str) -> bool:
        peer = HTTPConnection({"type": "http", "client": (address, 50000), "headers": []})
        try:
            await limits.per_address(what, peer)
        except ApiError:
            return False
        return True

    async def scenario() -> tuple[int, int, int, int]:
        clock = Clock()
        limits = Limits(Settings())
        limits.limiter = MemoryLimiter(clock)
        office, script = "192.0.2.10", "192.0.2.66"
        joins = sockets = held = scripted = 0
        for arrival in range(1500):
            clock.now = 1000.0 + arrival * 60 / 1500
            joins += await allowed(limits, "joins", office)
            sockets += await allowed(limits, "sockets", office)
            held += limits.socket_opened(office)
        for attempt in range(10_000):
            clock.now = 2000.0 + attempt * 60 / 10_000
            scripted += await allowed(limits, "joins", script)
        return joins, sockets, held, scripted

    joins, sockets, held, scripted = asyncio.run(scenario())
    assert (joins, sockets, held) == (1500, 1500, 1500)
    assert scripted <= 1500 + 300
