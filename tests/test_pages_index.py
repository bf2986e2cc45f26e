"""The start page in real Chromium: a join code (or a link or slug) typed in its field opens the
board; an unknown code says so; screenshots at 360, 1280×720 and 1920×1080 (issue #17)."""

from __future__ import annotations

import httpx2
import pytest
from chromium import SCREENSHOTS, OpenPage, make_board
from playwright.sync_api import expect
from servers import Server

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)


def code_of(server: Server, slug: str) -> str:
    return str(httpx2.get(f"{server.url}/api/boards/{slug}").json()["board"]["code"])


@pytest.mark.parametrize("width", [360, 1280])
def test_a_join_code_typed_on_the_start_page_opens_the_board(
    server: Server, open_page: OpenPage, width: int
) -> None:
    """A participant types the code as heard (lower case, a space in the middle) and presses
    Enter: the board's wall opens."""
    board = make_board(server, title="Sirkulære innkjøp 2026")
    code = code_of(server, board.slug)
    page = open_page(f"{server.url}/", width=width)
    page.fill("#code", f"{code[:3].lower()} {code[3:].lower()}")
    page.press("#code", "Enter")
    expect(page).to_have_url(board.url)
    expect(page.locator("#board-title")).to_have_text("Sirkulære innkjøp 2026")


def test_the_address_from_j_code_opens_the_board(server: Server, open_page: OpenPage) -> None:
    """/j/{code}, the address a host can say aloud, lands on the wall."""
    board = make_board(server, title="Webinar om innovative anskaffelser")
    page = open_page(f"{server.url}/j/{code_of(server, board.slug).lower()}")
    expect(page).to_have_url(board.url)
    expect(page.locator("#board-title")).to_have_text("Webinar om innovative anskaffelser")


def test_an_unknown_code_says_so_on_the_start_page(server: Server, open_page: OpenPage) -> None:
    """A code no board has brings the participant back to the field with a message in words,
    announced (role=alert), in the language the page is in."""
    page = open_page(f"{server.url}/")
    page.fill("#code", "AAA AAA")
    page.locator("form button[type=submit]").click()
    message = page.locator("#unknown")
    expect(message).to_be_visible()
    expect(message).to_have_attribute("role", "alert")
    expect(message).to_contain_text("Fant ingen tavle med den koden")
    page.locator("#language").click()
    expect(message).to_contain_text("No board has that code or link")


@pytest.mark.parametrize(("width", "height"), [(360, 740), (1280, 720), (1920, 1080)])
def test_the_start_page_fits_and_is_saved_as_screenshots(
    server: Server, open_page: OpenPage, width: int, height: int
) -> None:
    """The start page with its code field and hint has no sideways scrolling and the field and
    button are on screen without scrolling; screenshots go to build/screenshots/."""
    page = open_page(f"{server.url}/", width=width)
    page.set_viewport_size({"width": width, "height": height})
    expect(page.locator("#code-hint")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth - innerWidth") <= 0
    button = page.locator("form button[type=submit]").bounding_box()
    assert button is not None and button["y"] + button["height"] <= height, button
    page.fill("#code", "K7M R4X")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"index-{width}x{height}.png"))
