"""The participant wall in real Chromium (#17): notes without a section fit the page, the compose
form folds away on a phone, "most liked" is a sort order kept live, and a rate-limited note says
why and when it will be sent."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from chromium import (
    SCREENSHOTS,
    OpenPage,
    board_server,
    join,
    make_board,
)
from playwright.sync_api import Page, expect
from servers import Server

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)

SECTIONS = [
    "Strategi og forankring",
    "Eksempler fra kommunene",
    "Leverandørdialog og marked",
    "Krav og kriterier",
    "Oppfølging av kontrakter",
    "Måling og rapportering",
]
TEXTS = [
    "Utslippsfrie byggeplasser – krav i alle byggekontrakter fra 2025.",
    "Forankre den grønne innkjøpsstrategien politisk, så den overlever valget.",
    "Leverandørdialog før konkurransen – inviter også små og nye leverandører.",
]

# How far the page and the notes area scroll sideways, and the widest clipped column title.
OVERFLOW = """() => {
  const notes = document.querySelector("#notes");
  const titles = [...document.querySelectorAll("#notes .column:not([hidden]) .column-title")];
  return {
    page: document.scrollingElement.scrollWidth - innerWidth,
    notes: notes.scrollWidth - notes.clientWidth,
    titles: titles.filter((t) => t.scrollWidth > t.clientWidth).map((t) => t.textContent),
    columns: [...document.querySelectorAll("#notes .column:not([hidden])")].map(
      (c) => c.getBoundingClientRect().right - notes.getBoundingClientRect().right),
  };
}"""


def shot(page: Page, name: str, full: bool = False) -> None:
    """A screenshot under build/screenshots/: what the viewport shows (the size a person sees),
    or with `full` the whole page."""
    size = page.viewport_size or {"width": 1280, "height": 900}
    page.wait_for_timeout(150)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{size['width']}.png"), full_page=full)


def post(page: Page, text: str) -> None:
    page.fill("#note-body", text)
    page.locator("#note-form button[type=submit]").click()


@pytest.mark.parametrize("sections", [1, 3, 6])
def test_notes_without_a_section_fit_at_every_width(
    server: Server, open_page: OpenPage, sections: int
) -> None:
    """With 1, 3 or 6 sections and a note in none, the "Uten seksjon" column shows its whole
    title and neither the page nor the notes area scrolls sideways at 360, 1280 and 1920 px:
    columns shrink, then wrap."""
    board = make_board(server, sections=SECTIONS[:sections])
    token = board.join("Kari")["token"]
    for index, section in enumerate(board.sections):
        board.post(token, TEXTS[index % 3], section_id=section["id"], sdgs=[12])
    board.post(token, "Ingen seksjon passet: del kravspesifikasjonene mellom kommunene.")
    for width, height in ((360, 800), (1280, 720), (1920, 1080)):
        page = open_page(board.url, width=width)
        page.set_viewport_size({"width": width, "height": height})
        none = page.locator("#notes .column", has_text="Uten seksjon")
        expect(none.locator(".note-body")).to_have_text(
            ["Ingen seksjon passet: del kravspesifikasjonene mellom kommunene."]
        )
        expect(page.locator("#notes .column:not([hidden])")).to_have_count(sections + 1)
        join(page, "Hilde")
        measured = page.evaluate(OVERFLOW)
        assert measured["page"] <= 0, (width, measured)
        assert measured["notes"] <= 0, (width, measured)
        assert measured["titles"] == [], (width, measured)
        assert max(measured["columns"]) <= 0.5, (width, measured)
        if sections in (3, 6):
            shot(page, f"wall-no-section-{sections}", full=width == 360)


def test_the_compose_form_folds_on_a_phone(server: Server, open_page: OpenPage) -> None:
    """At 360 px the form is open right after joining, folds after posting (focus on the
    "Skriv en lapp" button, aria-expanded false, the notes near the top), opens again with
    Enter, and starts folded when the page is opened already joined."""
    board = make_board(server, sections=SECTIONS[:2])
    page = open_page(board.url, width=360)
    page.set_viewport_size({"width": 360, "height": 800})
    join(page, "Hilde")
    toggle = page.get_by_role("button", name="Skriv en lapp")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#note-body")).to_be_focused()
    page.fill("#note-body", "Kommunene bør dele kravspesifikasjoner")
    shot(page, "wall-compose-open")
    page.locator("#note-form button[type=submit]").click()

    expect(page.locator("#notes .note-body")).to_have_text(
        ["Kommunene bør dele kravspesifikasjoner"]
    )
    expect(page.locator("#note-form")).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    assert toggle.get_attribute("aria-controls") == "note-form"
    compose = page.locator("#compose").bounding_box()
    assert compose and compose["height"] < 220, compose
    note = page.locator("#notes .note").first.bounding_box()
    assert note and note["y"] < 800, note
    shot(page, "wall-compose-folded")

    page.keyboard.press("Enter")
    expect(page.locator("#note-form")).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#note-body")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(toggle).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#note-form")).to_be_hidden()

    page.reload()
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#note-form")).to_be_hidden()
    page.locator("#language").click()
    expect(page.get_by_role("button", name="Write a note")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth - innerWidth") <= 0


def test_the_compose_form_stays_open_on_a_wide_screen(server: Server, open_page: OpenPage) -> None:
    """At 1280 px there is no fold button and the form stays open after posting."""
    board = make_board(server)
    page = open_page(board.url, width=1280)
    join(page, "Hilde")
    expect(page.locator("#compose-toggle")).to_be_hidden()
    post(page, "Felles innkjøp av elektriske anleggsmaskiner")
    expect(page.locator("#notes .note")).to_have_count(1)
    expect(page.locator("#note-form")).to_be_visible()
    expect(page.locator("#note-body")).to_be_focused()


def test_most_liked_first_is_a_sort_order_kept_live(server: Server, open_page: OpenPage) -> None:
    """The "Mest likt" order sorts by likes, the newest first among equals; a like from someone
    else or from the reader moves a card live, and the reader's focus stays on the button."""
    board = make_board(server)
    kari = board.join("Kari")["token"]
    old = board.post(kari, "Eldst, to liker")
    middle = board.post(kari, "Midten, ingen liker")
    new = board.post(kari, "Nyest, ingen liker")
    likers = [board.join(f"Deltaker {n}")["token"] for n in range(3)]
    for token in likers[:2]:
        board.api("PUT", f"/notes/{old['id']}/like", token)
    page = open_page(board.url)
    join(page, "Per")
    bodies = page.locator("#notes .note-body")
    expect(bodies).to_have_text(["Nyest, ingen liker", "Midten, ingen liker", "Eldst, to liker"])
    page.select_option("#sort", label="Mest likt")
    expect(bodies).to_have_text(["Eldst, to liker", "Nyest, ingen liker", "Midten, ingen liker"])

    for token in likers:
        board.api("PUT", f"/notes/{middle['id']}/like", token)
    expect(bodies).to_have_text(["Midten, ingen liker", "Eldst, to liker", "Nyest, ingen liker"])
    board.api("DELETE", f"/notes/{middle['id']}/like", likers[0])
    board.api("DELETE", f"/notes/{middle['id']}/like", likers[1])
    # 2 likes for the oldest, 1 for the middle one.
    expect(bodies).to_have_text(["Eldst, to liker", "Midten, ingen liker", "Nyest, ingen liker"])

    like = page.locator(f"#notes .note[data-id='{new['id']}'] .like")
    for token in likers[:2]:
        board.api("PUT", f"/notes/{new['id']}/like", token)
    # A tie with the oldest at 2: the newest goes first.
    expect(bodies).to_have_text(["Nyest, ingen liker", "Eldst, to liker", "Midten, ingen liker"])
    page.locator(f"#notes .note[data-id='{middle['id']}'] .like").focus()
    page.keyboard.press("Enter")  # the reader's like: 2 for the middle one, newer than the oldest
    expect(bodies).to_have_text(["Nyest, ingen liker", "Midten, ingen liker", "Eldst, to liker"])
    expect(page.locator(f"#notes .note[data-id='{middle['id']}'] .like")).to_be_focused()
    expect(like.locator(".like-count")).to_have_text("2")

    page.reload()
    expect(page.locator("#sort")).to_have_value("liked")
    expect(bodies).to_have_text(["Nyest, ingen liker", "Midten, ingen liker", "Eldst, to liker"])
    page.select_option("#sort", label="Nyeste først")
    expect(bodies).to_have_text(["Nyest, ingen liker", "Midten, ingen liker", "Eldst, to liker"])
    page.select_option("#sort", label="Tavlas rekkefølge")
    expect(bodies).to_have_text(["Nyest, ingen liker", "Midten, ingen liker", "Eldst, to liker"])


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that lets a participant post one note, then one every 6 s."""
    yield from board_server(
        tmp_path_factory.mktemp("limited"), notes_per_minute="10", notes_burst="1"
    )


def test_a_rate_limited_note_says_why_and_when_it_is_sent(
    limited: Server, open_page: OpenPage
) -> None:
    """Past BOARD_NOTES_BURST the second note says "Du har sendt mange lapper på kort tid.
    Denne sendes om N s." (N counting down, read once by the live region, in English after the
    switch), and is sent by itself when the limit allows, without a second copy."""
    board = make_board(limited)
    page = open_page(board.url, width=360)
    page.set_viewport_size({"width": 360, "height": 800})
    join(page, "Hilde")
    post(page, "Første lapp går rett gjennom")
    expect(page.locator("#notes .note")).to_have_count(1)
    page.get_by_role("button", name="Skriv en lapp").click()
    post(page, "Andre lapp må vente litt")
    flag = page.locator("#outbox .note .flag")
    pattern = r"^Du har sendt mange lapper på kort tid\. Denne sendes om (\d) s\.$"
    expect(flag).to_have_text(re.compile(pattern))
    text = flag.text_content() or ""
    shown = re.match(pattern, text)
    assert shown, text
    first = int(shown.group(1))
    assert 1 <= first <= 6
    expect(page.locator("#announcer")).to_have_text(re.compile(pattern))
    shot(page, "wall-rate-limited")
    if first > 2:
        expect(flag).to_have_text(re.compile(pattern.replace(r"(\d)", str(first - 1))))
        page.locator("#language").click()
        expect(flag).to_have_text(
            re.compile(r"^You have sent many notes in a short time\. This one will be sent in \d s")
        )
    expect(page.locator("#notes .note-body")).to_have_text(
        ["Andre lapp må vente litt", "Første lapp går rett gjennom"], timeout=15_000
    )
    expect(page.locator("#outbox .note")).to_have_count(0)
    assert len(board.snapshot()["notes"]) == 2
