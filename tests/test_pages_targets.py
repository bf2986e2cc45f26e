"""SDG targets on the pages (#8), in real headless Chromium against a real `board serve`: the
target picker on the wall, target chips on cards, the target filter, the moderator's edit form
and the presenter's drill-down from a goal's bar to its targets."""

from __future__ import annotations

import re

import pytest
from chromium import OpenPage, join, make_board, screenshot
from playwright.sync_api import Locator, Page, expect
from servers import Server

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)

PROCUREMENT = "Promote public procurement practices that are sustainable"


def tile(page: Page, goal: int) -> Locator:
    return page.locator("#sdg-tiles input").nth(goal - 1)


def open_targets(page: Page) -> Locator:
    picker = page.locator("#target-picker details")
    expect(picker).to_be_visible()
    picker.locator("summary").click()
    return picker


def test_a_target_picked_by_keyboard_shows_as_a_chip_in_another_browser(
    server: Server, open_page: OpenPage
) -> None:
    """Keyboard alone picks goal 12, opens the targets, searches, ticks 12.7 and posts; another
    participant's wall shows the note with a 12.7 chip whose tooltip and name are the text."""
    board = make_board(server)
    kari = open_page(board.url)
    ola = open_page(board.url)
    join(kari)
    expect(ola.locator("#connection")).to_have_attribute("data-state", "live")
    kari.get_by_label("Ideen din").fill("Krav om sirkulære møbler i alle rammeavtaler")
    tile(kari, 12).focus()
    kari.keyboard.press("Space")
    expect(tile(kari, 12)).to_be_checked()
    for _ in range(17 - 12 + 1):  # past the remaining tiles to the targets' summary
        kari.keyboard.press("Tab")
    expect(kari.locator("#target-picker summary")).to_be_focused()
    kari.keyboard.press("Enter")
    kari.keyboard.press("Tab")
    search = kari.get_by_label("Søk i delmålene")
    expect(search).to_be_focused()
    kari.keyboard.type("procurement")
    kari.keyboard.press("Enter")  # must not post the note
    expect(kari.locator("#notes .note")).to_have_count(0)
    kari.keyboard.press("Tab")
    expect(kari.get_by_role("checkbox", name="12.7")).to_be_focused()
    kari.keyboard.press("Space")
    expect(kari.get_by_role("button", name="Fjern delmål 12.7")).to_be_visible()
    kari.get_by_role("button", name="Publiser lappen").focus()
    kari.keyboard.press("Enter")

    chip = ola.locator("#notes .note .note-targets .target-chip")
    expect(chip).to_have_count(1)
    expect(chip).to_contain_text("12.7")
    assert PROCUREMENT in (chip.get_attribute("title") or "")
    expect(chip.locator(".sr-only")).to_contain_text(f"Delmål 12.7: {PROCUREMENT}")
    expect(ola.locator("#notes .note .sdg-badge")).to_have_count(1)
    # The form is ready for the next note: no goal, no target left over.
    expect(kari.locator("#target-picker details")).to_be_hidden()


def test_typing_a_code_or_words_filters_the_target_list(
    server: Server, open_page: OpenPage
) -> None:
    """The search narrows the listed targets of the picked goals by code or by words, and says
    how many are shown."""
    board = make_board(server)
    page = open_page(board.url)
    join(page)
    tile(page, 12).check()
    tile(page, 17).check()
    picker = open_targets(page)
    items = picker.locator(".target-item:not([hidden])")
    expect(items).to_have_count(30)  # 11 targets of goal 12, 19 of goal 17
    expect(picker.get_by_role("status")).to_have_text("30 av 30 delmål vises")
    search = picker.get_by_label("Søk i delmålene")
    search.fill("12.7")
    expect(items).to_have_count(1)
    expect(items.locator("label")).to_contain_text(PROCUREMENT)
    expect(picker.locator(".target-group:not([hidden])")).to_have_count(1)
    search.fill("waste reduction")
    expect(items.locator(".target-code")).to_have_text(["12.5"])
    search.fill("technology")
    assert items.count() > 1
    assert all(c.startswith("17.") for c in items.locator(".target-code").all_text_contents())
    search.fill("no such words")
    expect(items).to_have_count(0)
    expect(picker.get_by_role("status")).to_have_text("Ingen delmål passer til søket.")


def test_unpicking_a_goal_drops_its_targets(server: Server, open_page: OpenPage) -> None:
    """A target chosen under a goal goes when the goal is unpicked; the note posts without it."""
    board = make_board(server)
    page = open_page(board.url)
    join(page)
    page.get_by_label("Ideen din").fill("Bare mål 13")
    tile(page, 12).check()
    tile(page, 13).check()
    picker = open_targets(page)
    picker.get_by_role("checkbox", name="12.7").check()
    picker.get_by_role("checkbox", name="13.2").check()
    tile(page, 12).uncheck()
    expect(picker.get_by_role("checkbox", name="12.7")).to_have_count(0)
    expect(picker.locator(".targets-picked button")).to_have_count(1)
    expect(picker.locator(".targets-picked button")).to_have_accessible_name("Fjern delmål 13.2")
    page.get_by_role("button", name="Publiser lappen").click()
    expect(page.locator("#notes .note .target-chip")).to_have_count(1)
    note = board.snapshot()["notes"][0]
    assert (note["sdgs"], note["targets"]) == ([13], ["13.2"])


def test_a_goal_chip_reveals_target_chips_that_filter(server: Server, open_page: OpenPage) -> None:
    """Choosing goal 12 shows chips for its targets that have notes, with live counts; a target
    chip shows only notes tagged with it; unchoosing the goal drops the target filter."""
    board = make_board(server)
    token = board.join("Kari")["token"]
    board.post(token, "Innkjøp A", targets=["12.7"])
    board.post(token, "Innkjøp B", targets=["12.7", "12.5"])
    board.post(token, "Avfall", targets=["12.5"])
    board.post(token, "Bare mål 12", sdgs=[12])
    board.post(token, "Klima", targets=["13.2"])
    page = open_page(board.url)
    shown = page.locator("#notes .note:not([hidden])")
    expect(shown).to_have_count(5)
    targets = page.locator("#target-filters")
    expect(targets).to_be_hidden()
    goal = page.locator("#filters .chip").nth(12)
    goal.click()
    expect(shown).to_have_count(4)
    chips = targets.locator(".chip-target:not([hidden])")
    expect(chips).to_have_count(2)  # 12.5 and 12.7; the other nine have no notes
    chip = targets.get_by_role("button", name="12.7", exact=False)
    expect(chip).to_have_accessible_name(re.compile(rf"^12\.7 {PROCUREMENT}.*, 2 lapper$"))
    chip.click()
    expect(chip).to_have_attribute("aria-pressed", "true")
    expect(shown.locator(".note-body")).to_have_text(["Innkjøp B", "Innkjøp A"])
    board.post(token, "Innkjøp C", targets=["12.7"])
    expect(shown).to_have_count(3)
    expect(chip.locator(".chip-count")).to_have_text("3")
    goal.click()  # unchoose goal 12: its target filter goes too
    expect(targets).to_be_hidden()
    expect(shown).to_have_count(6)


def test_moderator_edits_targets_and_the_wall_updates_live(
    server: Server, open_page: OpenPage
) -> None:
    """In the console's edit form a moderator adds a target and unpicks a goal (dropping its
    target); the participant's card changes live."""
    board = make_board(server)
    token = board.join("Kari")["token"]
    note = board.post(token, "Grønne rammeavtaler", targets=["13.2"])
    wall = open_page(board.url)
    moderator = open_page(board.moderate_url)
    card = wall.locator(f"#notes .note[data-id='{note['id']}']")
    expect(card.locator(".target-chip")).to_contain_text(["13.2"])

    edit = moderator.locator(f"#all-notes .note[data-id='{note['id']}']")
    edit.get_by_role("button", name="Rediger").click()
    edit.get_by_role("checkbox", name="12 Ansvarlig forbruk og produksjon").check()
    edit.locator(".targets summary").click()
    expect(edit.get_by_role("button", name="Fjern delmål 13.2")).to_be_visible()
    edit.get_by_label("Søk i delmålene").fill("12.7")
    edit.get_by_role("checkbox", name="12.7").check()
    edit.get_by_role("checkbox", name="13 Stoppe klimaendringene").uncheck()
    screenshot(moderator, "moderate-edit-targets")
    edit.get_by_role("button", name="Lagre").click()

    expect(card.locator(".target-chip")).to_contain_text(["12.7"])
    expect(card.locator(".sdg-badge")).to_have_count(1)
    stored = board.snapshot()["notes"][0]
    assert (stored["sdgs"], stored["targets"]) == ([12], ["12.7"])


def test_presenter_drills_from_a_goal_bar_into_its_targets(
    server: Server, open_page: OpenPage
) -> None:
    """Enter on goal 12's bar shows, on the stage, a bar per target of goal 12 with its code,
    its text and a live count in the goal's colour; 'back' returns to the board with focus on
    goal 12's bar."""
    board = make_board(server)
    token = board.join("Kari")["token"]
    board.post(token, "A", targets=["12.7"])
    board.post(token, "B", targets=["12.7", "12.5"])
    board.post(token, "C", sdgs=[12, 13])
    page = open_page(f"{board.url}/present")
    rows = page.locator("#chart .chart-row")
    expect(rows).to_have_count(17)
    expect(rows.nth(11).locator(".chart-count")).to_have_text("3")
    rows.nth(11).focus()
    page.keyboard.press("Enter")
    expect(page.locator("#targets-heading")).to_have_text(
        "Lapper per delmål i mål 12: Ansvarlig forbruk og produksjon"
    )
    expect(page.locator("#present-notes")).to_be_hidden()
    targets = page.locator("#target-chart .chart-row")
    expect(targets).to_have_count(11)
    counts = dict(
        zip(
            targets.locator(".chart-number").all_text_contents(),
            targets.locator(".chart-count").all_text_contents(),
            strict=True,
        )
    )
    assert counts["12.7"] == "2" and counts["12.5"] == "1" and counts["12.1"] == "0"
    seven = targets.nth(6)
    expect(seven.locator(".chart-name")).to_have_text(re.compile(rf"^{PROCUREMENT}"))
    expect(seven.locator(".chart-name")).to_be_visible()
    expect(seven).to_have_accessible_name(re.compile(rf"^Delmål 12\.7: 2\. {PROCUREMENT}"))
    assert seven.locator(".chart-bar").evaluate("e => getComputedStyle(e).backgroundColor") == (
        "rgb(191, 139, 46)"  # SDG 12's official #BF8B2E
    )
    expect(rows.nth(11)).to_have_attribute("aria-current", "true")
    board.post(token, "D", targets=["12.7"])
    expect(seven.locator(".chart-count")).to_have_text("3")
    screenshot(page, "present-targets")
    back = page.get_by_role("button", name="Tilbake til alle mål")
    expect(back).to_be_focused()
    back.press("Enter")
    expect(page.locator("#present-notes")).to_be_visible()
    expect(page.locator("#targets")).to_be_hidden()
    expect(rows.nth(11)).to_be_focused()
    expect(rows.nth(11).locator(".chart-count")).to_have_text("4")
    rows.nth(16).click()
    expect(page.locator("#targets-heading")).to_contain_text("mål 17")
    expect(targets).to_have_count(19)


@pytest.mark.parametrize("width", [360, 1280])
def test_the_target_picker_fits_and_is_saved_as_a_screenshot(
    server: Server, open_page: OpenPage, width: int
) -> None:
    """The open target picker with two goals, a search and a choice has no sideways scrolling;
    its screenshot goes to build/screenshots/ for a person to look at."""
    board = make_board(server)
    token = board.join("Ola")["token"]
    board.post(token, "Leverandørdialog før konkurransen", targets=["12.7", "17.17"])
    page = open_page(board.url, width=width)
    join(page, "Hilde")
    page.get_by_label("Ideen din").fill("Stille krav om ombruk i alle møbelanskaffelser")
    tile(page, 12).check()
    tile(page, 17).check()
    picker = open_targets(page)
    picker.get_by_role("checkbox", name="12.5").check()
    picker.get_by_label("Søk i delmålene").fill("procurement")
    picker.get_by_role("checkbox", name="12.7").check()
    overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 0, f"the wall scrolls sideways at {width} px"
    page.locator("#filters .chip").nth(12).click()
    expect(page.locator("#target-filters")).to_be_visible()
    screenshot(page, "wall-targets")
