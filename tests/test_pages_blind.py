"""A blind round in real Chromium (#18): the wall shows a participant their own held notes,
marked, and how many the round holds; the presenter view shows the count alone, or everything
when opened with a moderator key; on the reveal every page fetches the snapshot and shows all."""

from __future__ import annotations

import pytest
from chromium import OpenPage, join, make_board
from playwright.sync_api import Page, expect
from servers import Server

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)

KARI = "Kari skriver dette i blinde"
OLA = "Ola skriver også i blinde"


def live(page: Page) -> None:
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")


def test_the_wall_and_presenter_during_a_blind_round_and_after_the_reveal(
    server: Server, open_page: OpenPage
) -> None:
    """Kari posts in a blind round: her wall marks her note, says the round is blind and counts
    both held notes, and gets a moderator's comment on it live; Ola's note is nowhere on it. The
    presenter shows "2 notes waiting to be revealed" and no held text; with the key (taken out
    of the address bar) it shows both, marked. On the reveal each page shows both notes, none
    marked, and the notices go."""
    board = make_board(server)
    board.api("PATCH", "", board.key, json={"reveal": "blind"})
    wall = open_page(board.url)
    live(wall)
    join(wall, "Kari")
    wall.fill("#note-body", KARI)
    wall.locator("#note-form button[type=submit]").click()
    own = wall.locator("#notes .note", has_text=KARI)
    expect(own.locator(".flag-held")).to_have_text("Bare du og verten ser denne til den vises")
    board.post(board.join("Ola")["token"], OLA)
    expect(wall.locator("#blind-banner")).to_contain_text("lappene dine vises for alle")
    expect(wall.locator("#blind-count")).to_have_text("2 lapper venter.")
    kari_note = next(n for n in board.snapshot()["notes"] if n["body"] == KARI)
    board.api("POST", f"/notes/{kari_note['id']}/comments", board.key, json={"body": "Fin idé"})
    expect(own.locator("summary")).to_have_text("1 kommentar")
    expect(wall.locator("#notes")).not_to_contain_text(OLA)

    present = open_page(f"{board.url}/present")
    live(present)
    expect(present.locator("#present-held")).to_have_text("2 lapper venter på å bli vist")
    expect(present.locator("#main")).not_to_contain_text(KARI)
    with_key = open_page(f"{board.url}/present#key={board.key}")
    live(with_key)
    assert with_key.evaluate("location.hash") == ""
    expect(with_key.locator("#present-notes .note .flag-held")).to_have_count(2)
    expect(with_key.locator("#present-held")).to_contain_text("2 lapper er ikke vist")

    board.api("PATCH", "", board.key, json={"reveal": "instant"})
    for page, notes in (
        (wall, "#notes"),
        (present, "#present-notes"),
        (with_key, "#present-notes"),
    ):
        expect(page.locator(f"{notes} .note", has_text=OLA)).to_have_count(1)
        expect(page.locator(f"{notes} .note", has_text=KARI)).to_have_count(1)
        expect(page.locator(f"{notes} .flag-held")).to_have_count(0)
    expect(wall.locator("#blind-banner")).to_be_hidden()
    expect(present.locator("#present-held")).to_be_hidden()


def test_a_wall_open_when_a_round_begins_gets_its_readers_held_notes_live(
    server: Server, open_page: OpenPage
) -> None:
    """Kari's wall is open on an instant board (its socket has no token) when the host starts a
    round: it says hello again with her token, so a note she posts from another device reaches
    it live, marked as held."""
    board = make_board(server)
    wall = open_page(board.url)
    live(wall)
    join(wall, "Kari")
    token = wall.evaluate(
        f"JSON.parse(localStorage.getItem('pinboard:participant:{board.slug}')).token"
    )
    board.api("PATCH", "", board.key, json={"reveal": "blind"})
    expect(wall.locator("#blind-banner")).to_be_visible()
    wall.wait_for_timeout(2500)  # the new hello comes within two seconds of the round's start
    board.post(token, KARI)
    own = wall.locator("#notes .note", has_text=KARI)
    expect(own.locator(".flag-held")).to_be_visible()
