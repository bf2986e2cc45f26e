"""The published OpenAPI document: complete, self-consistent, and as strict as the app."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from conftest import Api, auth
from starlette.routing import Route
from starlette.testclient import TestClient

from board.domain import schemas, sdg
from board.domain.schemas import COLORS, NOTE_MAX
from board.web.openapi import openapi_path

REF_PREFIX = "#/components/schemas/"
# The document does not describe the route that serves it (as FastAPI's does not either).
NOT_DESCRIBED = {("GET", "/api/openapi.json")}


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


def served_operations(client: TestClient) -> set[tuple[str, str]]:
    """(method, OpenAPI path) for every route the app serves under /api; HEAD comes with GET."""
    served = set()
    for route in client.app.routes:
        if not isinstance(route, Route) or not route.path.startswith("/api/"):
            continue
        methods = route.methods or {"GET"}
        for method in methods - ({"HEAD"} if "GET" in methods else set()):
            served.add((method, openapi_path(route.path)))
    return served


def described_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item}


def refs(node: Any) -> list[str]:
    """Every `$ref` value anywhere in a JSON document."""
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in refs(value)]
    return []


def test_document_is_openapi_3_1(document: dict[str, Any]) -> None:
    """GET /api/openapi.json is an OpenAPI 3.1.0 document with info, paths and components."""
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] and document["info"]["version"]
    assert document["paths"] and document["components"]["schemas"]
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
    }


def test_every_api_route_is_described_with_its_method(
    client: TestClient, document: dict[str, Any]
) -> None:
    """Each route the app serves under /api appears in `paths` with that method."""
    served = served_operations(client)
    assert len(served) >= 17  # the walk found the routes (it is not vacuous)
    missing = served - NOT_DESCRIBED - described_operations(document)
    assert not missing, f"served but not in the OpenAPI document: {sorted(missing)}"
    assert served >= NOT_DESCRIBED, "NOT_DESCRIBED names a route the app does not serve"


def test_every_described_operation_is_served(client: TestClient, document: dict[str, Any]) -> None:
    """Nothing in `paths` is a route the app does not serve, so the document cannot promise more."""
    phantom = described_operations(document) - served_operations(client)
    assert not phantom, f"in the OpenAPI document but not served: {sorted(phantom)}"


def test_path_parameters_match_the_path_templates(document: dict[str, Any]) -> None:
    """Every {name} in a path is declared once as a required path parameter, and nothing else."""
    for path, item in document["paths"].items():
        names = re.findall(r"\{(\w+)\}", path)
        for method, operation in item.items():
            declared = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            assert sorted(declared) == sorted(names), (method, path)
            assert all(
                p["required"] for p in operation.get("parameters", []) if p["in"] == "path"
            ), (method, path)


def test_every_ref_resolves_to_a_component_schema(document: dict[str, Any]) -> None:
    """Every `$ref` in the document points at a key of components/schemas."""
    schemas = document["components"]["schemas"]
    found = refs(document)
    assert found, "no $ref at all: the walk is broken"
    for ref in found:
        assert ref.startswith(REF_PREFIX), ref
        assert ref.removeprefix(REF_PREFIX) in schemas, f"dangling {ref}"


def test_request_bodies_are_strict_objects(document: dict[str, Any]) -> None:
    """Every request body is a JSON object schema that, like the app, forbids unknown fields."""
    schemas = document["components"]["schemas"]
    bodies = [
        (method, path, op["requestBody"]["content"]["application/json"]["schema"]["$ref"])
        for path, item in document["paths"].items()
        for method, op in item.items()
        if "requestBody" in op
    ]
    assert len(bodies) >= 8
    for method, path, ref in bodies:
        schema = schemas[ref.removeprefix(REF_PREFIX)]
        assert schema["type"] == "object", (method, path)
        assert schema["additionalProperties"] is False, (method, path)


def test_note_create_schema_states_the_apps_limits(document: dict[str, Any]) -> None:
    """NoteCreate says what the app enforces: body 1..2000 chars, sdgs 1..17, the catalogue's
    target codes, colours."""
    schemas = document["components"]["schemas"]
    note = document["paths"]["/api/boards/{slug}/notes"]["post"]
    ref = note["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == REF_PREFIX + "NoteCreate"
    schema = schemas["NoteCreate"]
    props = schema["properties"]
    assert set(schema["required"]) == {"client_id", "body"}
    assert (props["body"]["type"], props["body"]["minLength"], props["body"]["maxLength"]) == (
        "string",
        1,
        NOTE_MAX,
    )
    assert props["sdgs"]["type"] == "array" and props["sdgs"]["maxItems"] == 17
    assert props["sdgs"]["items"] == {"type": "integer", "minimum": 1, "maximum": 17}
    assert props["targets"]["type"] == "array" and props["targets"]["maxItems"] == 169
    assert props["targets"]["items"] == {"type": "string", "enum": list(sdg.targets())}
    assert props["color"]["enum"] == list(COLORS)
    section = [s for s in props["section_id"]["anyOf"] if s.get("type") == "integer"]
    assert section == [{"type": "integer", "minimum": 1, "maximum": 2**31 - 1}]
    assert "201" in note["responses"] and "422" in note["responses"]


# --- Schema and app agree at the boundaries --------------------------------------------------


def schema_accepts(schema: dict[str, Any], value: Any, schemas: dict[str, Any]) -> bool:
    """A JSON Schema check for the keywords these models use (enough for the spot checks)."""
    if "$ref" in schema:
        return schema_accepts(schemas[schema["$ref"].removeprefix(REF_PREFIX)], value, schemas)
    if "anyOf" in schema:
        return any(schema_accepts(s, value, schemas) for s in schema["anyOf"])
    kind = schema.get("type")
    checks = {
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
        # JSON Schema: 3.0 is an integer too.
        "integer": (isinstance(value, int) and not isinstance(value, bool))
        or (isinstance(value, float) and value.is_integer()),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "null": value is None,
    }
    if kind is not None and not checks[kind]:
        return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    if isinstance(value, str):
        if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value)):
            return False
        # ECMAScript's `$` is the end of the text; Python's also matches before a final newline.
        pattern = schema.get("pattern", "").removesuffix("$") + r"\Z"
        if "pattern" in schema and not re.search(pattern, value):
            return False
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not (schema.get("minimum", value) <= value <= schema.get("maximum", value))
    ):
        return False
    if isinstance(value, list):
        if len(value) > schema.get("maxItems", len(value)):
            return False
        if "items" in schema and not all(
            schema_accepts(schema["items"], v, schemas) for v in value
        ):
            return False
    if isinstance(value, dict):
        props = schema.get("properties", {})
        if any(name not in value for name in schema.get("required", [])):
            return False
        if schema.get("additionalProperties") is False and set(value) - set(props):
            return False
        return all(schema_accepts(props[k], v, schemas) for k, v in value.items() if k in props)
    return True


NOTE_SPOT_CHECKS = [
    pytest.param({"body": "x" * NOTE_MAX}, True, id="body-2000-chars"),
    pytest.param({"body": "x" * (NOTE_MAX + 1)}, False, id="body-2001-chars"),
    pytest.param({"body": ""}, False, id="body-empty"),
    pytest.param({"body": 5}, False, id="body-number"),
    pytest.param({"sdgs": [1, 17]}, True, id="sdgs-1-and-17"),
    pytest.param({"sdgs": [0]}, False, id="sdgs-0"),
    pytest.param({"sdgs": [18]}, False, id="sdgs-18"),
    pytest.param({"sdgs": [1.5]}, False, id="sdgs-1.5"),
    pytest.param({"sdgs": [1] * 18}, False, id="sdgs-18-items"),
    pytest.param({"targets": ["1.1", "12.7", "12.a", "17.19"]}, True, id="targets-known"),
    pytest.param({"targets": ["18.1"]}, False, id="targets-goal-18"),
    pytest.param({"targets": ["12.7.1"]}, False, id="targets-indicator"),
    pytest.param({"targets": [12.7]}, False, id="targets-number"),
    pytest.param({"targets": ["1.1"] * 170}, False, id="targets-170-items"),
    pytest.param({"color": "blue"}, True, id="color-in-palette"),
    pytest.param({"color": "red"}, False, id="color-not-in-palette"),
    pytest.param({"section_id": 2**31}, False, id="section_id-2e31"),
    pytest.param({"section_id": 0}, False, id="section_id-0"),
    pytest.param({"client_id": "a b"}, False, id="client_id-with-space"),
    pytest.param({"client_id": "a" * 65}, False, id="client_id-65-chars"),
    pytest.param({"nope": 1}, False, id="unknown-field"),
    pytest.param({"body": "  Lapp\n"}, True, id="body-with-edge-whitespace"),
    pytest.param({"body": "x" * NOTE_MAX + " "}, False, id="body-2000-chars-plus-a-space"),
    pytest.param({"body": "\u00a0\u2003\n"}, False, id="body-only-unicode-whitespace"),
    pytest.param({"body": "før\x00etter"}, False, id="body-with-nul"),
    pytest.param({"body": "a\x01\x1fb"}, True, id="body-with-other-control-chars"),
    pytest.param({"link": "https://example.no/krav?a=1#b"}, True, id="link-https"),
    pytest.param({"link": "HTTP://[::1]:8000/"}, True, id="link-ipv6-upper-case-scheme"),
    pytest.param({"link": ""}, True, id="link-empty-is-none"),
    pytest.param({"link": None}, True, id="link-null-is-none"),
    pytest.param({"link": "https://example.no/a\tb"}, False, id="link-with-tab"),
    pytest.param({"link": "https://example.no/\n"}, False, id="link-final-newline"),
    pytest.param({"link": "http://["}, False, id="link-unclosed-bracket"),
    pytest.param({"link": "mailto:a@example.no"}, False, id="link-mailto"),
    pytest.param({"sdgs": [3.0]}, True, id="sdgs-3.0-is-an-integer"),
    pytest.param({"section_id": None}, True, id="section_id-null-is-none"),
    pytest.param({"color": None}, False, id="color-null"),
]


@pytest.mark.parametrize(("change", "valid"), NOTE_SPOT_CHECKS)
def test_note_create_schema_and_app_agree(
    api: Api, document: dict[str, Any], change: dict[str, Any], valid: bool
) -> None:
    """A note the NoteCreate schema rejects the app rejects (422); one it accepts posts."""
    slug, _ = api.create_board(title=f"OpenAPI {uuid.uuid4().hex[:12]}")
    token = api.join(slug)["token"]
    payload = {"client_id": uuid.uuid4().hex, "body": "Lapp", **change}
    schemas = document["components"]["schemas"]
    assert schema_accepts({"$ref": REF_PREFIX + "NoteCreate"}, payload, schemas) is valid
    response = api.client.post(f"/api/boards/{slug}/notes", json=payload, headers=auth(token))
    assert response.status_code == (201 if valid else 422), response.text


def test_error_envelope_schema_matches_what_the_app_sends(
    api: Api, document: dict[str, Any]
) -> None:
    """The ErrorEnvelope schema that 4xx responses reference describes the app's real errors."""
    schemas = document["components"]["schemas"]
    envelope = {"$ref": REF_PREFIX + "ErrorEnvelope"}
    response = api.client.get("/api/boards/no-such-board")
    assert response.status_code == 404
    assert schema_accepts(envelope, response.json(), schemas)
    assert not schema_accepts(envelope, {"error": "not_found"}, schemas)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status in ("400", "404", "422"):
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"] == envelope, (method, path, status)


def test_markdown_export_is_described_with_its_type_and_options(
    api: Api, document: dict[str, Any]
) -> None:
    """export.md is described as text/markdown with its query options, and the app agrees."""
    operation = document["paths"]["/api/boards/{slug}/export.md"]["get"]
    assert operation["responses"]["200"]["content"] == {
        "text/markdown": {"schema": {"type": "string"}}
    }
    options = {
        p["name"]: p["schema"]["enum"] for p in operation["parameters"] if p["in"] == "query"
    }
    assert options == {
        "group_by": ["sdg", "section", "time"],
        "include_hidden": ["false", "true"],
        "lang": ["", "nb", "en"],
        "anonymous": ["false", "true"],
    }
    slug, key = api.create_board()
    for name, values in options.items():
        for value in values:
            response = api.client.get(
                f"/api/boards/{slug}/export.md?{name}={value}", headers=auth(key)
            )
            assert response.status_code == 200, (name, value, response.text)
            assert response.headers["content-type"].startswith("text/markdown")


def test_a_repeated_client_id_is_a_declared_200_with_the_note(
    api: Api, document: dict[str, Any]
) -> None:
    """POST notes declares 200 with the note for a repeat, and a repeat gets exactly that."""
    responses = document["paths"]["/api/boards/{slug}/notes"]["post"]["responses"]
    assert responses["200"]["content"] == responses["201"]["content"]
    slug, _ = api.create_board()
    token = api.join(slug)["token"]
    first = api.post(slug, token, client_id="gjentatt")
    again = api.post(slug, token, client_id="gjentatt")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()


OPTIONAL_BODIES = [
    ("post", "/api/boards/{slug}/participants", 201),
    ("patch", "/api/boards/{slug}", 200),
    ("patch", "/api/boards/{slug}/sections/{section_id}", 200),
    ("patch", "/api/boards/{slug}/notes/{note_id}", 200),
]


@pytest.mark.parametrize(("method", "path", "status"), OPTIONAL_BODIES)
def test_a_body_of_optional_fields_is_optional_in_both(
    api: Api, document: dict[str, Any], method: str, path: str, status: int
) -> None:
    """A request body whose fields are all optional is optional in the document, and the app
    answers a request without one as it would `{}`."""
    assert document["paths"][path][method]["requestBody"]["required"] is False
    slug, key = api.create_board(sections=["A"])
    section_id = api.snapshot(slug)["board"]["sections"][0]["id"]
    note_id = api.note(slug, key)["id"]
    url = path.format(slug=slug, section_id=section_id, note_id=note_id)
    response = api.client.request(method.upper(), url, headers=auth(key))
    assert response.status_code == status, response.text


def test_bodies_with_required_fields_are_required(document: dict[str, Any]) -> None:
    """Every other request body is required in the document (the app answers 422 without it,
    which tests/test_bad_input.py proves per route)."""
    optional = {(method, path) for method, path, _ in OPTIONAL_BODIES}
    for path, item in document["paths"].items():
        for method, op in item.items():
            if "requestBody" in op:
                assert op["requestBody"]["required"] is ((method, path) not in optional), path


def nullable_fields(schema: dict[str, Any]) -> set[str]:
    return {
        name
        for name, prop in schema["properties"].items()
        if {"type": "null"} in prop.get("anyOf", [])
    }


def test_null_is_offered_only_where_it_means_something(document: dict[str, Any]) -> None:
    """The input schemas offer null only for no slug (generate one), no retention, no section,
    no link and a language to detect; every other optional field must be left out instead."""
    schemas = document["components"]["schemas"]
    offered = {
        name: nullable_fields(schema)
        for name, schema in schemas.items()
        if name.endswith(("Create", "Update"))
    }
    assert offered == {
        "ApproveCreate": set(),
        "BoardCreate": {"slug"},
        "BoardUpdate": {"retention_days"},
        "SectionCreate": set(),
        "SectionUpdate": set(),
        "ParticipantCreate": set(),
        "NoteCreate": {"section_id", "link"},
        "NoteUpdate": {"section_id", "link"},
        "CommentCreate": set(),
        "ModeratorCreate": set(),
        "SuggestCreate": {"lang"},
    }


def test_null_means_what_the_document_says(api: Api) -> None:
    """Null clears retention, a note's link and section; null for a plain setting is a 422."""
    slug, key = api.create_board(sections=["A"])
    section_id = api.snapshot(slug)["board"]["sections"][0]["id"]
    board = f"/api/boards/{slug}"
    assert api.client.patch(board, json={"retention_days": 30}, headers=auth(key)).is_success
    cleared = api.client.patch(board, json={"retention_days": None}, headers=auth(key))
    assert cleared.json()["retention_days"] is None
    note = api.note(slug, key, link="https://example.no/", section_id=section_id)
    edited = api.client.patch(
        f"{board}/notes/{note['id']}", json={"link": None, "section_id": None}, headers=auth(key)
    )
    assert (edited.json()["link"], edited.json()["section_id"]) == (None, None)
    refused = api.client.patch(board, json={"locked": None}, headers=auth(key))
    assert refused.status_code == 422 and "locked cannot be null" in refused.text


def test_text_is_counted_as_sent_and_stored_trimmed(api: Api, document: dict[str, Any]) -> None:
    """A moderator name is at most 60 characters as sent, edge whitespace included (as the
    schema's maxLength counts), and is stored without that whitespace."""
    schema = document["components"]["schemas"]["ModeratorCreate"]["properties"]["name"]
    assert schema["maxLength"] == 60
    slug, key = api.create_board()
    url = f"/api/boards/{slug}/moderators"
    too_long = api.client.post(url, json={"name": "x" * 60 + "  "}, headers=auth(key))
    assert too_long.status_code == 422, too_long.text
    made = api.client.post(url, json={"name": " Hilde\u00a0"}, headers=auth(key))
    assert made.status_code == 201 and made.json()["name"] == "Hilde"


def test_the_time_zones_the_document_lists_are_the_ones_accepted(
    api: Api, document: dict[str, Any]
) -> None:
    """BoardUpdate's timezone lists the IANA names; a listed one is accepted, others are not."""
    zones = document["components"]["schemas"]["BoardUpdate"]["properties"]["timezone"]["enum"]
    assert "Europe/Oslo" in zones and "Mars/Olympus_Mons" not in zones
    slug, key = api.create_board()
    for zone, status in ((zones[-1], 200), (zones[0], 200), ("europe/oslo", 422)):
        response = api.client.patch(
            f"/api/boards/{slug}", json={"timezone": zone}, headers=auth(key)
        )
        assert response.status_code == status, (zone, response.text)


def test_every_database_route_declares_503_with_retry_after(document: dict[str, Any]) -> None:
    """Each operation but the SDG catalogue (served from memory) and the suggestions (computed in
    memory) declares the outage's 503 with the error envelope and Retry-After; rate-limited ones
    declare 429 the same way."""
    for path, item in document["paths"].items():
        for method, op in item.items():
            responses = op["responses"]
            statuses = ["429"] if "429" in responses else []
            if path in ("/api/sdgs", "/api/sdgs/suggest"):
                assert "503" not in responses
            else:
                statuses.insert(0, "503")
            for status in statuses:
                assert responses[status]["headers"]["Retry-After"]["schema"]["type"] == "integer"
                envelope = responses[status]["content"]["application/json"]["schema"]
                assert envelope == {"$ref": REF_PREFIX + "ErrorEnvelope"}, (method, path)


@pytest.mark.parametrize(("before", "status"), [(2**31 - 1, 200), (2**31, 400)])
def test_the_audit_cursor_bound_is_in_the_document(
    api: Api, document: dict[str, Any], before: int, status: int
) -> None:
    """`before` is declared up to 2**31 - 1 (a database id); the app takes that, not one more."""
    params = document["paths"]["/api/boards/{slug}/audit"]["get"]["parameters"]
    (cursor,) = [p for p in params if p["name"] == "before"]
    assert cursor["schema"]["maximum"] == 2**31 - 1
    slug, key = api.create_board()
    response = api.client.get(f"/api/boards/{slug}/audit?before={before}", headers=auth(key))
    assert response.status_code == status, response.text


def test_the_events_cursor_is_declared(document: dict[str, Any]) -> None:
    """GET events declares `since` as the non-negative integer the app reads."""
    params = document["paths"]["/api/boards/{slug}/events"]["get"]["parameters"]
    (since,) = [p for p in params if p["name"] == "since"]
    assert since["schema"]["type"] == "integer" and since["schema"]["minimum"] == 0


def test_the_schema_s_whitespace_is_what_the_server_trims() -> None:
    """The whitespace class in the text patterns holds exactly the characters text is trimmed
    of, over the whole Basic Multilingual Plane, so "not blank" means the same to both."""
    in_class = re.compile(rf"[{schemas._SPACE}]")
    for code in range(0x10000):
        char = chr(code)
        assert bool(in_class.fullmatch(char)) is (char in schemas.WHITESPACE), hex(code)
    assert schemas.NoteCreate.model_validate({"client_id": "a", "body": "\u3000x\x85"}).body == "x"


def test_if_match_is_declared_with_the_pattern_the_app_checks(
    api: Api, document: dict[str, Any]
) -> None:
    """PATCH note declares If-Match with the app's pattern: forms it allows are a 200 (current)
    or 409 (stale), a form it refuses is a 400."""
    params = document["paths"]["/api/boards/{slug}/notes/{note_id}"]["patch"]["parameters"]
    (header,) = [p for p in params if p["in"] == "header"]
    assert header["name"] == "If-Match" and header["required"] is False
    slug, key = api.create_board()
    note = api.note(slug, key)
    url = f"/api/boards/{slug}/notes/{note['id']}"
    for value, status in (("*", 200), ('W/"2"', 200), (' "99" ', 409), ("2.0", 400)):
        assert bool(re.fullmatch(header["schema"]["pattern"], value)) is (status != 400)
        response = api.client.patch(
            url, json={"pinned": True}, headers=auth(key) | {"If-Match": value}
        )
        assert response.status_code == status, (value, response.text)


def test_etag_routes_declare_if_none_match_and_304(api: Api, document: dict[str, Any]) -> None:
    """The snapshot and the catalogue declare If-None-Match and a 304, which a current ETag gets."""
    for path in ("/api/sdgs", "/api/boards/{slug}"):
        operation = document["paths"][path]["get"]
        headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert headers == ["If-None-Match"] and "304" in operation["responses"], path
    etag = api.client.get("/api/sdgs").headers["etag"]
    assert api.client.get("/api/sdgs", headers={"If-None-Match": etag}).status_code == 304


def test_a_body_of_only_whitespace_is_malformed_even_where_a_body_is_optional(api: Api) -> None:
    """No body is `{}` where the body is optional, but whitespace alone is not JSON: 400."""
    slug, _ = api.create_board()
    response = api.client.post(f"/api/boards/{slug}/participants", content=b"\r\n\r\n")
    assert response.status_code == 400 and response.json()["error"]["code"] == "malformed_json"
