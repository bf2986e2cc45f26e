"""A big board in real headless Chromium (#14): the wall builds the cards near the reader first
and the rest as they are reached, while counts, filters, sorting, live updates and the other
pages go on covering every note. No timings here: tests/bench/phone.py measures those."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from chromium import OpenPage, join
from conftest import ADMIN_TOKEN
from playwright.sync_api import Page, expect
from servers import NO_LIMITS, Server, board_env, run_board, serve

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)

NOTES = 300
SLUG = "stort-webinar"
STAMP = "2026-11-26T09:00:00Z"


@dataclass
class BigBoard:
    server: Server
    key: str

    @property
    def url(self) -> str:
        return f"{self.server.url}/b/{SLUG}"

    def api(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx2.request(
            method, f"{self.server.url}/api/boards/{SLUG}{path}", headers=headers, **kwargs
        )
        assert response.status_code < 400, response.text
        return response.json() if response.content else None


def backup() -> dict[str, Any]:
    """NOTES notes in two sections, in board order by number: "Lapp 0" first, "Lapp 299" last;
    only the last one has goal 14 (with target 14.1), and every note has goal 12."""
    people = [{"id": 1, "name": "Kari", "created_at": STAMP, "erased_at": None, "banned_at": None}]
    notes = []
    for i in range(NOTES):
        last = i == NOTES - 1
        notes.append(
            {
                "id": i + 1,
                "client_id": f"stor{i}",
                "section_id": 1 + i % 2,
                "author": {"id": 1, "name": "Kari"},
                "body": f"Lapp {i}: krav om sirkulære anskaffelser og utslippsfrie byggeplasser.",
                "link": None,
                "sdgs": [12, 14] if last else [12],
                "targets": ["14.1"] if last else [],
                "color": "yellow",
                "status": "visible",
                "pinned": False,
                "position": float(i),
                "likes": 0,
                "version": 1,
                "created_at": STAMP,
                "updated_at": STAMP,
                "deleted_at": None,
                "flag_reason": None,
                "edited_by_moderator": False,
                "comments": [],
            }
        )
    board = {
        "slug": SLUG,
        "title": "Stort webinar",
        "description": "",
        "locale": "nb",
        "moderation": "post",
        "locked": False,
        "require_sdg": False,
        "timezone": "Europe/Oslo",
        "word_filter": [],
        "retention_days": None,
        "created_at": STAMP,
        "updated_at": STAMP,
        "seq": NOTES,
    }
    sections = [{"id": 1, "title": "Strategi", "position": 0}]
    sections.append({"id": 2, "title": "Eksempler", "position": 1})
    return {
        "format": "sdg-pinboard-backup",
        "version": 3,
        "board": board,
        "sections": sections,
        "participants": people,
        "notes": notes,
        "audit": [],
    }


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BigBoard]:
    data_dir = tmp_path_factory.mktemp("large")
    env = board_env(data_dir, admin_token=ADMIN_TOKEN, **NO_LIMITS)
    path = Path(data_dir) / "backup.json"
    path.write_text(json.dumps(backup()), "utf-8")
    imported = run_board("import", str(path), env=env)
    assert imported.returncode == 0, imported.stderr
    key = re.search(r"#key=([^\s&]+)", imported.stdout)
    assert key, imported.stdout
    with serve(env) as server:
        yield BigBoard(server, key.group(1))


# Resolves once the page has drawn a frame and run a task after it.
AFTER_A_FRAME = (
    "new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r))))"
)


def card(page: Page, number: int) -> Any:
    body = page.locator(".note-body", has_text=re.compile(rf"^Lapp {number}:"))
    return page.locator("#notes .note", has=body)


def scroll_until_visible(page: Page, number: int) -> None:
    """Scroll down, a screen at a time, until the card of note `number` is on screen."""
    for _ in range(200):
        if card(page, number).count() and card(page, number).is_visible():
            card(page, number).scroll_into_view_if_needed()
            return
        page.mouse.wheel(0, 2000)
        page.wait_for_timeout(50)
    raise AssertionError(f"Lapp {number} never appeared")


def test_a_big_board_shows_its_first_cards_and_counts_every_note(
    big: BigBoard, open_page: OpenPage
) -> None:
    """The first cards show and the counts cover all 300 notes, with far fewer cards built."""
    page = open_page(big.url, width=360)
    expect(card(page, 0)).to_be_visible()
    expect(page.locator("#note-total")).to_have_text(f"({NOTES} lapper)")
    expect(page.locator(".column-count")).to_have_text(["150", "150"])
    assert page.locator("#notes .note").count() < NOTES


def test_a_card_far_down_appears_when_scrolled_to(big: BigBoard, open_page: OpenPage) -> None:
    """Scrolling down builds the next cards in order until the last note of a column shows."""
    page = open_page(big.url, width=360)
    expect(card(page, 0)).to_be_visible()
    scroll_until_visible(page, NOTES - 2)
    bodies = page.locator("section.column").first.locator(".note-body").all_text_contents()
    assert [int(re.match(r"Lapp (\d+)", b).group(1)) for b in bodies] == list(range(0, NOTES, 2))


def test_filtering_shows_a_note_far_down_with_its_count(big: BigBoard, open_page: OpenPage) -> None:
    """The goal and target filters find the one note at the bottom and count it."""
    page = open_page(big.url)
    chip = page.locator("#filters .chip").nth(14)
    expect(chip).to_have_accessible_name(re.compile(r"^14 .*, 1 lapp$"))
    chip.click()
    expect(card(page, NOTES - 1)).to_be_visible()
    expect(page.locator("#notes .note:not([hidden])")).to_have_count(1)
    expect(page.locator("#note-total")).to_have_text("(1 lapp)")
    page.locator("#target-filters .chip-target", has_text="14.1").click()
    expect(page.locator("#notes .note:not([hidden])")).to_have_count(1)
    page.get_by_role("button", name="Alle mål").click()
    expect(page.locator("#note-total")).to_have_text(f"({NOTES} lapper)")
    expect(card(page, 0)).to_be_visible()


def test_live_changes_reach_cards_not_built_yet(big: BigBoard, open_page: OpenPage) -> None:
    """A like and a comment on a note far down show on its card once built; a new note shows."""
    page = open_page(big.url, width=360)
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    far = NOTES - 3
    expect(card(page, far)).to_have_count(0)
    token = big.api("POST", "/participants", json={"name": "Per"})["token"]
    big.api("PUT", f"/notes/{far + 1}/like", token)
    big.api("POST", f"/notes/{far + 1}/comments", token, json={"body": "Godt poeng"})
    big.api("POST", "/notes", token, json={"body": "Helt ny lapp", "client_id": "ny-lapp"})
    expect(page.locator("#note-total")).to_have_text(f"({NOTES + 1} lapper)")
    expect(page.locator("#notes .note-body", has_text="Helt ny lapp")).to_have_count(1)
    scroll_until_visible(page, far)
    expect(card(page, far).locator(".like-count")).to_have_text("1")
    expect(card(page, far).locator(".comment-body")).to_have_text(["Godt poeng"])
    big.api("DELETE", f"/notes/{far + 1}", big.key)
    expect(card(page, far)).to_have_count(0)
    expect(page.locator("#note-total")).to_have_text(f"({NOTES} lapper)")


def test_newest_first_puts_the_newest_note_on_top(big: BigBoard, open_page: OpenPage) -> None:
    """Sorting by newest first starts each column with its newest note; board order returns."""
    page = open_page(big.url)
    expect(card(page, 0)).to_be_visible()
    page.select_option("#sort", "newest")
    first = page.locator("section.column").first.locator(".note-body").first
    expect(first).to_have_text(re.compile(rf"^Lapp {NOTES - 2}:"))
    page.select_option("#sort", "board")
    expect(first).to_have_text(re.compile(r"^Lapp 0:"))


def test_the_presenter_and_the_console_show_a_big_board(big: BigBoard, open_page: OpenPage) -> None:
    """The presenter shows the newest cards, as many as its one screen holds and never more
    than two dozen, without scrolling; the console lists cards and counts all."""
    # The newest note of the board as the module's tests have left it (some post their own).
    newest = max(big.api("GET", "")["notes"], key=lambda note: (note["created_at"], note["id"]))
    present = open_page(f"{big.url}/present")
    cards = present.locator("#present-notes .note:visible")
    expect(cards.first).to_have_text(re.compile("^" + re.escape(newest["body"])))
    assert 6 <= cards.count() <= 24
    assert present.evaluate("document.documentElement.scrollHeight <= innerHeight")
    console = open_page(f"{big.url}/moderate#key={big.key}")
    expect(console.locator("#all-count")).to_have_text(f"({NOTES})")
    expect(console.locator("#all-notes .note").first).to_be_visible()


def test_tab_alone_moves_on_through_cards_not_built_at_first(
    big: BigBoard, open_page: OpenPage
) -> None:
    """From the first card, Tab goes card by card (like, comments) past the first cards built."""
    page = open_page(big.url)
    join(page, "Tastatur")
    like = card(page, 0).locator(".like")
    expect(like).to_be_enabled()
    built = page.locator("section.column").first.locator(".note").count()
    like.focus()
    for _ in range(2 * built + 20):
        page.keyboard.press("Tab")
        # A person's next press comes after the page has drawn a frame (the sentinel's observer
        # reports then, and the cards it asks for are built in the task after): Playwright's
        # presses, back to back, could outrun every frame.
        page.evaluate(AFTER_A_FRAME)
    focused = page.evaluate("document.activeElement.closest('.note').dataset.id")
    assert int(focused) - 1 == 2 * built + 20
