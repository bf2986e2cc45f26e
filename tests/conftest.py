"""Fixtures: real SQLite files and a real PostgreSQL database per test run, the real app.

PostgreSQL tests run whenever a server answers at BOARD_TEST_POSTGRES_URL (default: the local one
with trust auth). Without it they are skipped with a note, except under CI=true, where a missing
server is a failure.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import psycopg
import pytest
import sqlalchemy as sa
from contract import Checker, declared_json_operations, media_type_of
from starlette.testclient import TestClient

from board.app import create_app
from board.settings import Settings
from board.store import db

POSTGRES_URL = os.environ.get(
    "BOARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ADMIN_TOKEN = "test-admin-token-0123456789"
DEFAULT_BODY = "Krav om utslippsfrie byggeplasser"
BACKENDS = ["sqlite", "postgresql"]


VALIDATED = pytest.StashKey[Counter[tuple[str, str]]]()
CALL_PASSED = pytest.StashKey[bool]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "off_contract(why): the test produces answers the OpenAPI document does not allow, "
        "on purpose; they are not checked (tests/contract.py)",
    )
    config.stash[VALIDATED] = Counter()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[CALL_PASSED] = report.passed
    return report


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    validated = config.stash[VALIDATED]
    if validated:
        operations = declared_json_operations()
        seen = len(operations & set(validated))
        terminalreporter.write_line(
            f"OpenAPI contract: {sum(validated.values())} JSON answers validated, "
            f"{seen} of {len(operations)} JSON operations answered at least once"
        )


@pytest.fixture(autouse=True)
def contract(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Checker]:
    """Every answer an HTTP client gets in this test, in process or from a real server, is held
    against the OpenAPI document at once (tests/contract.py), unless the test is marked
    `off_contract`. A violation the test's own code swallows (a retry loop, a gather with
    return_exceptions) still fails the test when it ends."""
    marker = request.node.get_closest_marker("off_contract")
    if marker is not None:
        assert marker.args and marker.args[0], "off_contract needs a reason"
    checker = Checker(enabled=marker is None)

    def check(request: httpx2.Request, response: httpx2.Response) -> None:
        checker.check(
            request.method,
            str(request.url),
            response.status_code,
            media_type_of(response.headers.get("content-type")),
            response.content,
        )

    sync_send = httpx2.Client.send
    async_send = httpx2.AsyncClient.send

    def send(self: httpx2.Client, request: httpx2.Request, **kwargs: Any) -> httpx2.Response:
        response = sync_send(self, request, **kwargs)
        if not kwargs.get("stream"):
            check(request, response)
        return response

    async def send_async(
        self: httpx2.AsyncClient, request: httpx2.Request, **kwargs: Any
    ) -> httpx2.Response:
        response = await async_send(self, request, **kwargs)
        if not kwargs.get("stream"):
            check(request, response)
        return response

    monkeypatch.setattr(httpx2.Client, "send", send)
    monkeypatch.setattr(httpx2.AsyncClient, "send", send_async)
    yield checker
    request.config.stash[VALIDATED].update(checker.validated)
    if checker.violations and request.node.stash.get(CALL_PASSED, False):
        pytest.fail("answers off the OpenAPI contract:\n" + "\n".join(checker.violations))


def require(service: str, available: bool, how: str) -> None:
    """Skip (or, under CI=true, fail) a test whose real service is missing, saying how to get it."""
    if available:
        return
    message = f"{service} not available: {how}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {message}")
    pytest.skip(message)


def _postgres_up() -> bool:
    try:
        with psycopg.connect(_libpq(POSTGRES_URL), connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _libpq(url: str) -> str:
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The URL of the maintenance database, or skip when no PostgreSQL server answers."""
    require(
        "PostgreSQL",
        _postgres_up(),
        f"no server at {POSTGRES_URL}; start it (docs/development.md) "
        "or point BOARD_TEST_POSTGRES_URL at one",
    )
    return POSTGRES_URL


@pytest.fixture(scope="session")
def new_database(postgres_server: str) -> Iterator[Any]:
    """A factory of fresh, empty PostgreSQL databases, dropped when the test run ends."""
    created: list[str] = []

    def make() -> str:
        name = f"board_test_{os.getpid()}_{secrets.token_hex(4)}"
        with psycopg.connect(_libpq(postgres_server), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return sa.make_url(postgres_server).set(database=name).render_as_string(False)

    yield make
    with psycopg.connect(_libpq(postgres_server), autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of the backend the test is parametrised with (SQLite by default)."""
    backend = getattr(request, "param", "sqlite")
    if backend == "postgresql":
        return str(request.getfixturevalue("new_database")())
    return f"sqlite:///{tmp_path / 'board.db'}"


@pytest.fixture(scope="session")
def _shared_stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, db.Store]]:
    stores: dict[str, db.Store] = {}
    yield stores
    for store in stores.values():
        store.dispose()


@pytest.fixture(params=BACKENDS)
def store(
    request: pytest.FixtureRequest,
    _shared_stores: dict[str, db.Store],
    tmp_path_factory: pytest.TempPathFactory,
) -> db.Store:
    """A migrated database per backend, shared by the run; tests keep apart by using own boards."""
    backend = request.param
    if backend not in _shared_stores:
        if backend == "postgresql":
            url = request.getfixturevalue("new_database")()
        else:
            url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'board.db'}"
        store = db.Store(db.create_engine(url))
        db.upgrade(store.engine)
        _shared_stores[backend] = store
    return _shared_stores[backend]


@pytest.fixture
def settings() -> Settings:
    return Settings(admin_token=ADMIN_TOKEN)


@pytest.fixture
def client(store: db.Store, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store)) as test_client:
        yield test_client


class Api:
    """Short calls for the steps most tests share."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.default_bodies: Counter[str] = Counter()

    def create_board(self, **fields: Any) -> tuple[str, str]:
        """A new board; returns (slug, moderator key)."""
        fields.setdefault("title", "Innovative anskaffelser")
        response = self.client.post("/api/boards", json=fields, headers=auth(ADMIN_TOKEN))
        assert response.status_code == 201, response.text
        body = response.json()
        return body["board"]["slug"], body["moderator_key"]

    def join(self, slug: str, name: str = "Kari") -> dict[str, Any]:
        response = self.client.post(f"/api/boards/{slug}/participants", json={"name": name})
        assert response.status_code == 201, response.text
        return dict(response.json())

    def post(self, slug: str, token: str, body: str | None = None, **fields: Any) -> Any:
        """POST a note. Without a body: DEFAULT_BODY, numbered from a token's second note on
        (the same text again within ten minutes would be a duplicate); a retry that names its
        client_id gets DEFAULT_BODY again."""
        if body is None:
            posted = self.default_bodies[token]
            self.default_bodies[token] += "client_id" not in fields
            body = (
                DEFAULT_BODY
                if posted == 0 or "client_id" in fields
                else f"{DEFAULT_BODY} {posted + 1}"
            )
        fields.setdefault("client_id", uuid.uuid4().hex)
        return self.client.post(
            f"/api/boards/{slug}/notes", json={"body": body, **fields}, headers=auth(token)
        )

    def note(self, slug: str, token: str, body: str | None = None, **fields: Any) -> dict[str, Any]:
        response = self.post(slug, token, body, **fields)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def snapshot(self, slug: str, token: str | None = None) -> dict[str, Any]:
        response = self.client.get(f"/api/boards/{slug}", headers=auth(token))
        assert response.status_code == 200, response.text
        return dict(response.json())

    def events(self, slug: str, token: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        response = self.client.get(f"/api/boards/{slug}/events?since={since}", headers=auth(token))
        assert response.status_code == 200, response.text
        return list(response.json()["events"])


def auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


# What the browser tests share (tests/test_pages*.py, tests/test_accessibility.py): a real
# `board serve` and one Chromium per module, a fresh page opener per test. A module with other
# needs defines its own fixture of the same name. Imported inside, so that only the tests that
# use a browser load Playwright.
@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    from chromium import board_server

    yield from board_server(tmp_path_factory.mktemp(request.module.__name__))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from chromium import launch

    yield from launch()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    from chromium import page_opener

    yield from page_opener(browser)
