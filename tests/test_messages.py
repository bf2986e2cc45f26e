"""Error messages in words that name what to change: no regex, no pydantic wording, and in the
CLI no internal field name, but the option, argument or environment variable a person sets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ADMIN_TOKEN, auth
from servers import board_env, run_board
from starlette.testclient import TestClient

# What no message may show: a regex, pydantic's phrasing, a Python-ish location.
INTERNAL = re.compile(r"\^\[|\$'|pattern|should|Input |String |Extra inputs|Value error|_type\b")


def error_line(result: object) -> str:
    stderr = getattr(result, "stderr", "")
    lines = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert getattr(result, "returncode", None) == 1 and len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("NOTES_PER_MINUTE", "-1", "must be a whole number, 0 or more (0 turns the limit off)"),
        ("NOTES_PER_MINUTE", "many", "must be a whole number, 0 or more (0 turns the limit off)"),
        ("WS_QUEUE_LIMIT", "2", "must be a whole number, 8 or more"),
        ("WS_HELLO_TIMEOUT", "0", "must be a number above 0"),
        ("DB_TIMEOUT", "soon", "must be a number above 0"),
        ("MAX_BODY_BYTES", "1.5", "must be a whole number, 1024 or more"),
    ],
)
def test_a_bad_number_setting_names_its_variable_and_what_it_takes(
    tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    """`bad setting:` names BOARD_… (not the field) and the kind and range of value it takes."""
    env = board_env(tmp_path / "data", **{variable.lower(): value})
    line = error_line(run_board("list", env=env))
    assert line == f"Error: bad setting: BOARD_{variable}: {expected}"
    assert f" {variable.lower()}" not in line and not INTERNAL.search(line)


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("TRUSTED_PROXIES", "not-an-address", "BOARD_TRUSTED_PROXIES: 'not-an-address' is not"),
        ("FRAME_ANCESTORS", "a;b", "BOARD_FRAME_ANCESTORS must be 'none' or"),
        ("DATABASE_URL", "sqlite://", "BOARD_DATABASE_URL: an in-memory SQLite database"),
        ("ADMIN_TOKEN", "short", "BOARD_ADMIN_TOKEN must be at least 16 characters"),
    ],
)
def test_a_setting_whose_check_names_it_is_not_named_twice(
    tmp_path: Path, variable: str, value: str, fragment: str
) -> None:
    """A setting's own check already names its variable: the line says it once, right after
    `bad setting:`, and shows no field name."""
    env = board_env(tmp_path / "data", **{variable.lower(): value})
    line = error_line(run_board("list", env=env))
    assert line.startswith(f"Error: bad setting: {fragment}"), line
    assert line.count(f"BOARD_{variable}") == 1 and variable.lower() not in line


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["Webinar", "--slug", "Mitt Webinar"],
            "--slug: must be 1 to 64 lower-case letters (a-z), digits or hyphens, starting and "
            "ending with a letter or digit",
        ),
        (["Webinar", "--slug", "-webinar"], "--slug: must be 1 to 64 lower-case letters"),
        ([""], "TITLE: must not be empty"),
        (["   "], "TITLE: must not be blank or contain NUL characters"),
        (["x" * 201], "TITLE: must have at most 200 characters"),
        (["Webinar", "--section", "A", "--section", ""], "--section number 2: must not be empty"),
    ],
    ids=[
        "slug with space and capitals",
        "slug with leading hyphen",
        "empty",
        "blank",
        "long",
        "section",
    ],
)
def test_create_errors_name_the_option_and_say_what_it_takes(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    """`board create` with a value the board refuses names the argument or option, in words."""
    line = error_line(run_board("create", *args, env=board_env(tmp_path / "data")))
    assert line.startswith(f"Error: {expected}"), line
    assert not INTERNAL.search(line), line
    assert run_board("list", env=board_env(tmp_path / "data")).stdout.startswith("No boards")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"title": "Webinar", "slug": "Mitt Webinar"},
            "slug: must be 1 to 64 lower-case letters (a-z), digits or hyphens, starting and "
            "ending with a letter or digit",
        ),
        ({"title": ""}, "title: must not be empty"),
        ({"title": "Webinar", "moderation": "maybe"}, "moderation: must be 'pre' or 'post'"),
        ({"title": "Webinar", "colour": "red"}, "colour: is not a field this takes"),
        ({}, "title: is required"),
        ({"title": "Webinar", "require_sdg": "yes"}, "require_sdg: must be true or false"),
        ({"title": "Webinar", "sections": ["A"] * 21}, "sections: must have at most 20 items"),
    ],
)
def test_api_422_messages_are_words_in_the_error_envelope(
    client: TestClient, body: dict[str, object], message: str
) -> None:
    """The API's 422s keep their envelope and code and name the JSON field as sent, with what
    it takes in words rather than a regex or pydantic's phrasing."""
    response = client.post("/api/boards", json=body, headers=auth(ADMIN_TOKEN))
    assert response.status_code == 422, response.text
    assert response.json() == {"error": {"code": "invalid", "message": message}}
    assert not INTERNAL.search(message)


def test_api_note_422_names_the_nested_field_by_its_json_path(client: TestClient) -> None:
    """A problem inside a list is located by its JSON path (`sdgs.0`), as the API sends it."""
    made = client.post("/api/boards", json={"title": "Webinar"}, headers=auth(ADMIN_TOKEN))
    slug = made.json()["board"]["slug"]
    token = client.post(f"/api/boards/{slug}/participants", json={"name": "Kari"}).json()["token"]
    response = client.post(
        f"/api/boards/{slug}/notes",
        json={"client_id": "a", "body": "Hei", "sdgs": ["12"]},
        headers=auth(token),
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"] == "sdgs.0: must be a whole number"
