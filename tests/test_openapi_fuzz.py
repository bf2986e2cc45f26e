"""Schemathesis fuzzes every operation of the published OpenAPI document against a real `board
serve`, with valid tokens and ids, and finds no server error and nothing the document and the
server disagree on (issue 15).

Each operation gets a board of its own, so what one operation's examples do (lock the board, ask
for SDGs, erase someone) cannot make another's valid requests fail. Examples are derandomized:
the same code makes the same requests.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import hypothesis
import pytest
import requests
import schemathesis
from conftest import ADMIN_TOKEN, auth
from hypothesis import HealthCheck, Phase
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from servers import NO_LIMITS, Server, board_env, serve

from board.web.routes import OPERATIONS

pytestmark = pytest.mark.slow

# Examples per operation and mode: enough to reach every field's edges, few enough that the file
# takes well under a minute and a half on two shared cores.
EXAMPLES = 80
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    positive_data_acceptance,
    negative_data_rejection,
]
# Operations a participant's token is for; the admin token makes boards; the rest is moderated.
PARTICIPANT_OPERATIONS = {"like", "unlike", "post_note", "comment"}


@dataclass(frozen=True)
class World:
    """A board with one of everything, and a second of what a DELETE would take away."""

    slug: str
    key: str
    token: str
    note_id: int
    section_id: int
    spare_note_id: int
    spare_section_id: int
    spare_participant_id: int
    spare_key_id: int


def make_world(client: httpx2.Client) -> World:
    def ok(response: httpx2.Response) -> Any:
        assert response.status_code in (200, 201), response.text
        return response.json()

    made = ok(
        client.post(
            "/api/boards",
            json={"title": "Fuzz", "sections": ["A", "B"]},
            headers=auth(ADMIN_TOKEN),
        )
    )
    slug, key = made["board"]["slug"], made["moderator_key"]
    section_id, spare_section_id = (s["id"] for s in made["board"]["sections"])
    token = ok(client.post(f"/api/boards/{slug}/participants", json={"name": "Kari"}))["token"]
    spare = ok(client.post(f"/api/boards/{slug}/participants", json={"name": "Ola"}))
    note_ids = [
        ok(
            client.post(
                f"/api/boards/{slug}/notes",
                json={"client_id": f"fuzz-{n}", "body": f"Lapp {n}"},
                headers=auth(token),
            )
        )["id"]
        for n in (1, 2)
    ]
    spare_key = ok(
        client.post(f"/api/boards/{slug}/moderators", json={"name": "Hilde"}, headers=auth(key))
    )
    return World(
        slug,
        key,
        token,
        note_ids[0],
        section_id,
        note_ids[1],
        spare_section_id,
        spare["id"],
        spare_key["id"],
    )


def path_parameters(operation: APIOperation, world: World) -> dict[str, Any]:
    """Ids that exist, so the fuzzer reaches past 404; a DELETE gets the spare one."""
    deletes = operation.method.upper() == "DELETE"
    values = {
        "slug": world.slug,
        "note_id": world.spare_note_id if deletes else world.note_id,
        "section_id": world.spare_section_id if deletes else world.section_id,
        "participant_id": world.spare_participant_id,
        "key_id": world.spare_key_id,
    }
    return {p.name: values[p.name] for p in operation.path_parameters}


def token_for(operation: APIOperation, world: World) -> str:
    name = operation.definition.raw["operationId"]
    if name == "create_board":
        return ADMIN_TOKEN
    return world.token if name in PARTICIPANT_OPERATIONS else world.key


def on_this_board(case: Case, world: World) -> Case:
    """A valid section_id names a section of this board: which ones exist is state, which no
    schema can say (another is a 422 `unknown_section`)."""
    if (
        case.meta is not None
        and case.meta.generation.mode.is_positive
        and isinstance(case.body, dict)
        and type(case.body.get("section_id")) in (int, float)
    ):
        case.body["section_id"] = world.section_id
    return case


@dataclass
class Tally:
    requests: int = 0
    failures: list[str] | None = None


def fuzz(
    operation: APIOperation,
    mode: GenerationMode,
    world: World,
    server: Server,
    session: requests.Session,
    tally: Tally,
) -> None:
    strategy = operation.as_strategy(
        generation_mode=mode,
        path_parameters=path_parameters(operation, world),
        headers=auth(token_for(operation, world)),
    )
    failures = tally.failures if tally.failures is not None else []
    tally.failures = failures

    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(strategy)
    def run(case: Case) -> None:
        case = on_this_board(case, world)
        response = case.call(base_url=server.url, session=session)
        tally.requests += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, BaseExceptionGroup) as exc:  # every failure, not only the first
            failures.append(f"{operation.label} ({mode.value}): {exc}"[:1500])

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        # Nothing to make invalid: no body and no parameter but the fixed path ones.
        assert mode is GenerationMode.NEGATIVE, operation.label


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz")
    limits_off = NO_LIMITS | {"comments_per_minute": "0", "likes_per_minute": "0"}
    env = board_env(data_dir, admin_token=ADMIN_TOKEN, **limits_off)
    with serve(env) as running:
        yield running


def test_every_operation_conforms_to_the_document(server: Server) -> None:
    """Valid and invalid requests to every operation get answers the document declares (status,
    content type, body, headers), valid data is accepted, invalid data refused, never a 5xx."""
    schema = schemathesis.openapi.from_url(f"{server.url}/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(OPERATIONS), "the fuzzer does not see every operation"
    tally = Tally()
    started = time.monotonic()
    with requests.Session() as session, httpx2.Client(base_url=server.url) as client:
        for operation in operations:
            world = make_world(client)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                fuzz(operation, mode, world, server, session, tally)
    elapsed = time.monotonic() - started
    print(f"schemathesis: {tally.requests} requests, {len(operations)} operations, {elapsed:.0f} s")
    assert tally.requests >= len(operations) * EXAMPLES, "the fuzzer made too few requests"
    failures = tally.failures or []
    assert not failures, f"{len(failures)} mismatches:\n\n" + "\n\n".join(failures[:20])
