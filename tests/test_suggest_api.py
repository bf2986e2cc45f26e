"""`POST /api/sdgs/suggest` (#18) through the real app: answers, refusals, the rate limit.

The route reads no database, so one SQLite file serves every test here. Every JSON answer is
held against the OpenAPI document by the `contract` fixture (conftest.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import ADMIN_TOKEN
from starlette.testclient import TestClient
from test_limits import assert_rate_limited

from board.app import create_app
from board.domain.schemas import NOTE_MAX
from board.domain.suggest import suggest
from board.settings import Settings
from board.store import db

URL = "/api/sdgs/suggest"
PROCUREMENT = "Vi må stille miljøkrav i alle offentlige anskaffelser og kutte klimagassutslipp"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[db.Store]:
    path = tmp_path_factory.mktemp("suggest") / "board.db"
    store = db.Store(db.create_engine(f"sqlite:///{path}"))
    db.upgrade(store.engine)
    yield store
    store.dispose()


def app_client(store: db.Store, peer: str = "192.0.2.10", **settings: Any) -> TestClient:
    config = Settings(admin_token=ADMIN_TOKEN, **settings)
    return TestClient(create_app(config, store), client=(peer, 50000))


@pytest.fixture
def client(store: db.Store) -> Iterator[TestClient]:
    with app_client(store) as test_client:
        yield test_client


def test_the_answer_is_the_matchers_suggestions(client: TestClient) -> None:
    """A procurement note gets goals 12 and 13 with their targets and words: what `suggest()`
    returns, as `{goals: [...]}`, with no token."""
    response = client.post(URL, json={"text": PROCUREMENT})
    assert response.status_code == 200
    goals = response.json()["goals"]
    assert goals == [dataclasses.asdict(s) for s in suggest(PROCUREMENT)]
    assert {g["goal"] for g in goals} >= {12, 13}
    twelve = next(g for g in goals if g["goal"] == 12)
    assert twelve["targets"][0] == "12.7"
    assert "offentlige anskaffelser" in twelve["matched"]
    assert 0 < twelve["score"] <= 1


def test_lang_null_detects_and_a_given_lang_is_used(client: TestClient) -> None:
    """`lang` null or left out detects; `en` on a bokmål text uses the English keywords only."""
    text = "Byen trenger flere sykkelveier"
    detected = client.post(URL, json={"text": text}).json()["goals"]
    assert client.post(URL, json={"text": text, "lang": None}).json()["goals"] == detected
    assert detected[0]["goal"] == 11
    assert client.post(URL, json={"text": text, "lang": "en"}).json() == {"goals": []}


def test_empty_text_has_no_suggestions(client: TestClient) -> None:
    """An empty text is allowed (a participant who has not typed yet) and suggests nothing."""
    assert client.post(URL, json={"text": ""}).json() == {"goals": []}


def test_text_of_the_note_limit_is_answered(client: TestClient) -> None:
    """A text of exactly the note length limit is suggested for."""
    text = ("Ombruk av møbler. " * (NOTE_MAX // 18 + 1))[:NOTE_MAX]
    response = client.post(URL, json={"text": text})
    assert response.status_code == 200
    assert response.json()["goals"][0]["goal"] == 12


@pytest.mark.parametrize(
    ("body", "status", "code", "says"),
    [
        pytest.param({}, 422, "invalid", "text: is required", id="missing-text"),
        pytest.param({"text": 12}, 422, "invalid", "text: must be text", id="not-a-string"),
        pytest.param({"text": None}, 422, "invalid", "text", id="null-text"),
        pytest.param(
            {"text": "x" * (NOTE_MAX + 1)},
            422,
            "invalid",
            f"at most {NOTE_MAX} characters",
            id="over-the-note-limit",
        ),
        pytest.param({"text": "x", "lang": "de"}, 422, "invalid", "lang", id="unknown-lang"),
        pytest.param({"text": "x", "extra": 1}, 422, "invalid", "extra", id="unknown-field"),
        pytest.param([1], 400, "malformed_json", "JSON object", id="not-an-object"),
    ],
)
def test_bad_input_is_a_4xx_with_the_error_envelope(
    client: TestClient, body: Any, status: int, code: str, says: str
) -> None:
    """Each bad body is refused with its status and the envelope naming the problem."""
    response = client.post(URL, json=body)
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error"}
    assert response.json()["error"]["code"] == code
    assert says in response.json()["error"]["message"]


def test_a_body_that_is_not_json_is_a_400(client: TestClient) -> None:
    """Bytes that are not JSON get `400 malformed_json`."""
    response = client.post(URL, content=b"text=hello", headers={"content-type": "text/plain"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_suggestions_are_rate_limited_per_client_address(store: db.Store) -> None:
    """The third request within a burst of two from one address is a 429 with the envelope and
    Retry-After; another address still gets answers."""
    limited = {"suggestions_per_minute_per_ip": 1, "suggestions_burst_per_ip": 2}
    with (
        app_client(store, "192.0.2.1", **limited) as one,
        app_client(store, "192.0.2.2", **limited) as two,
    ):
        assert [one.post(URL, json={"text": "avfall"}).status_code for _ in range(2)] == [200, 200]
        assert_rate_limited(one.post(URL, json={"text": "avfall"}))
        assert two.post(URL, json={"text": "avfall"}).status_code == 200


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket(store: db.Store) -> None:
    """As for joins: behind a proxy in BOARD_TRUSTED_PROXIES the forwarded address is the key."""
    settings = {
        "suggestions_per_minute_per_ip": 1,
        "suggestions_burst_per_ip": 1,
        "trusted_proxies": "10.0.0.0/8",
    }
    with app_client(store, "10.0.0.7", **settings) as proxy:
        first = {"X-Forwarded-For": "198.51.100.1"}
        assert proxy.post(URL, json={"text": "avfall"}, headers=first).status_code == 200
        assert_rate_limited(proxy.post(URL, json={"text": "avfall"}, headers=first))
        second = {"X-Forwarded-For": "198.51.100.2"}
        assert proxy.post(URL, json={"text": "avfall"}, headers=second).status_code == 200


def test_the_document_names_a_429_and_no_503(store: db.Store) -> None:
    """The operation documents its rate limit, and no 503: suggesting reads no database."""
    with app_client(store) as client:
        operation = client.get("/api/openapi.json").json()["paths"][URL]["post"]
    assert "503" not in operation["responses"]
    assert "429" in operation["responses"]
