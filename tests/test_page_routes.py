"""The page routes without a browser: which file each URL serves, the join redirect, the 404
page and the security headers (issue #6)."""

from __future__ import annotations

import pytest
from conftest import Api
from starlette.testclient import TestClient

from board.domain import joincode
from board.web.pages import CONTENT_SECURITY_POLICY, join_target

HTML = {"Accept": "text/html"}


@pytest.mark.parametrize(
    ("typed", "target"),
    [
        ("innovative-anskaffelser", "/b/innovative-anskaffelser"),
        ("  Innovative Anskaffelser ", "/b/innovative-anskaffelser"),
        ("https://pinboard.example.no/b/demo", "/b/demo"),
        ("pinboard.example.no/b/demo/present", "/b/demo"),
        ("", None),
        ("!!!", None),
        ("/b/", None),
    ],
)
def test_join_target_takes_a_code_or_a_link(typed: str, target: str | None) -> None:
    """What someone types on the start page becomes a board path, or nothing."""
    assert join_target(typed) == target


def test_board_pages_are_served_for_a_known_board(client: TestClient, api: Api) -> None:
    """The wall, console and presenter view are HTML pages that load their own module from the
    versioned prefix, and are revalidated on every visit."""
    slug, _key = api.create_board()
    prefix = client.app.state.assets.prefix
    for path, module in [
        (f"/b/{slug}", "wall.js"),
        (f"/b/{slug}/moderate", "moderate.js"),
        (f"/b/{slug}/present", "present.js"),
        ("/", "index.js"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert f'src="{prefix}js/{module}"' in response.text
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["etag"]


def test_the_wall_page_names_its_snapshot_for_preloading(client: TestClient, api: Api) -> None:
    """The wall's answer (a 200 and a 304 alike) carries a Link header that has the browser
    fetch the board's snapshot while it loads the modules; the console and the presenter view,
    which ask for it with a key, carry none."""
    slug, _key = api.create_board()
    first = client.get(f"/b/{slug}")
    again = client.get(f"/b/{slug}", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    for response in (first, again):
        assert response.headers["link"] == (
            f"</api/boards/{slug}>; rel=preload; as=fetch; crossorigin"
        )
    for path in (f"/b/{slug}/moderate", f"/b/{slug}/present", "/"):
        assert "link" not in client.get(path).headers, path


def test_unknown_pages_are_the_html_404_page_and_the_api_keeps_json(client: TestClient) -> None:
    """An unknown board or page is the 404 page for browsers; the API answers with its envelope."""
    for path in ["/b/no-such-board", "/b/no-such-board/present", "/b/UPPER", "/nowhere"]:
        response = client.get(path, headers=HTML)
        assert response.status_code == 404, path
        assert "Page not found" in response.text
    api = client.get("/api/boards/no-such-board", headers=HTML)
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"


def test_join_redirects_to_the_board(client: TestClient) -> None:
    """The start page's form works without JavaScript: /join?code=… redirects (303)."""
    response = client.get("/join?code=Demo", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/b/demo"
    response = client.get("/join?code=%21%21", follow_redirects=False)
    assert response.headers["location"] == "/?unknown=1"


def test_a_join_code_redirects_to_its_board_in_any_case(client: TestClient, api: Api) -> None:
    """/j/{code} answers 303 to /b/{slug} for the board's code, typed upper- or lower-case;
    the snapshot names the same code."""
    slug, _key = api.create_board()
    code = api.snapshot(slug)["board"]["code"]
    for typed in (code, code.lower(), f"{code[:3].lower()}-{code[3:]}"):
        response = client.get(f"/j/{typed}", follow_redirects=False)
        assert response.status_code == 303, typed
        assert response.headers["location"] == f"/b/{slug}"


@pytest.mark.parametrize("code", ["AAAAAA", "ACDEF", "K0MR4X", "%20", "x" * 300])
def test_an_unknown_join_code_is_the_html_404_page(client: TestClient, code: str) -> None:
    """A code no board has, or that cannot be one, answers the HTML 404 page."""
    response = client.get(f"/j/{code}", headers=HTML, follow_redirects=False)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page not found" in response.text


def test_the_start_page_form_takes_a_join_code(client: TestClient, api: Api) -> None:
    """/join?code= with a board's code (any case, with a space) goes to that board."""
    slug, _key = api.create_board()
    code = api.snapshot(slug)["board"]["code"]
    typed = f" {code[:3].lower()} {code[3:]} "
    response = client.get("/join", params={"code": typed}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/b/{slug}"


def test_an_unknown_join_code_on_the_start_page_says_so(client: TestClient, api: Api) -> None:
    """/join?code= with a code no board has goes back to / with the error, but a board whose
    slug happens to look like a code is still found."""
    response = client.get("/join", params={"code": "aaa aaa"}, follow_redirects=False)
    assert response.headers["location"] == "/?unknown=1"
    slug, _key = api.create_board(slug=joincode.new_code().lower())  # a slug shaped like a code
    response = client.get("/join", params={"code": slug}, follow_redirects=False)
    assert response.headers["location"] == f"/b/{slug}"


def test_pages_carry_their_policy_and_everything_else_a_closed_one(client: TestClient) -> None:
    """Pages (the 404 page too) carry the pages' CSP without 'unsafe-inline' and with
    frame-ancestors; static files and API answers get a policy that allows nothing; all carry
    nosniff and a Referrer-Policy."""
    for path in ["/", "/b/missing"]:
        response = client.get(path, headers=HTML)
        csp = response.headers["content-security-policy"]
        assert csp == f"{CONTENT_SECURITY_POLICY}; frame-ancestors 'none'", path
    for path in ["/static/css/board.css", "/api/sdgs", "/healthz"]:
        response = client.get(path)
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
    for path in ["/", "/static/js/wall.js", "/api/sdgs"]:
        response = client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert len(response.headers.get_list("content-security-policy")) == 1
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY


def test_static_modules_are_javascript_kept_when_versioned_and_revalidated_when_not(
    client: TestClient,
) -> None:
    """ES modules go out with a JavaScript type (nosniff would refuse others): immutable under
    the versioned prefix, no-cache with an ETag (a 304) under plain /static/."""
    prefix = client.app.state.assets.prefix
    for name in ["js/wall.js", "vendor/uqr/uqr.js"]:
        for path, cache_control in [
            (prefix + name, "public, max-age=31536000, immutable"),
            (f"/static/{name}", "no-cache"),
        ]:
            response = client.get(path)
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/javascript")
            assert response.headers["cache-control"] == cache_control
    etag = client.get("/static/js/wall.js").headers["etag"]
    assert client.get("/static/js/wall.js", headers={"If-None-Match": etag}).status_code == 304
