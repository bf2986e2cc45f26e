"""The presenter view as a host shares it in Teams or Zoom (#17), in real headless Chromium: one
screen at 1280×720 and 1920×1080 in every mode, no scrolling, the 17 goals with their names, a
compact QR code, type large enough for the back of a room, the most liked notes live, the key
terms of the board and of one goal, live (#18), and the join code when the board has one (never
the slug)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from chromium import (
    SCREENSHOTS,
    Board,
    Watched,
    make_board,
    new_context,
)
from playwright.sync_api import Browser, Page, expect
from servers import Server

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)

SCREENS = [(1280, 720), (1920, 1080)]
# The most of the viewport's width and height the QR code may take: a compact code, not a card.
QR_WIDTH_SHARE = 0.15
QR_HEIGHT_SHARE = 0.25
# The smallest type of a note's text on the stage, in CSS pixels at 1280×720 and up.
NOTE_MIN_PX = 18
LONG = (
    "Vi bør stille krav om livsløpskostnader i alle større anskaffelser, og dele "
    "kravspesifikasjonene med nabokommunene så leverandørene møter de samme kravene."
)

OpenAt = Callable[[str, int, int], Page]


@pytest.fixture
def open_at(browser: Browser) -> Iterator[OpenAt]:
    """Opens a page at a viewport's width and height; fails the test on an uncaught error, a
    dialog or a CSP violation in any of them."""
    contexts = []
    watched: list[Watched] = []

    def open_(url: str, width: int, height: int) -> Page:
        context = new_context(browser, width, height)
        contexts.append(context)
        page = context.new_page()
        watched.append(Watched(page))
        page.goto(url)
        return page

    yield open_
    problems = [p for w in watched for p in w.problems()]
    for context in contexts:
        context.close()
    assert problems == []


def like(board: Board, note_id: int, times: int) -> None:
    for index in range(times):
        token = board.join(f"Liker {note_id}-{index}")["token"]
        board.api("PUT", f"/notes/{note_id}/like", token)


@pytest.fixture(scope="module")
def full(server: Server) -> Board:
    """A busy board: a long title and description, 30 notes, long ones, with goals and targets,
    one pinned, several liked."""
    board = make_board(
        server,
        title="Innovative anskaffelser og bærekraftsmålene: hva kan kommunene gjøre i 2026?",
        description="Del ett grep din virksomhet kan ta for å nå bærekraftsmålene gjennom "
        "anskaffelser, og lik de beste forslagene fra de andre deltakerne.",
    )
    token = board.join("Kari Nordmann")["token"]
    notes = [
        board.post(token, f"{index}: {LONG}", sdgs=[index % 17 + 1, 12], targets=["12.7"])
        for index in range(30)
    ]
    board.api("PATCH", f"/notes/{notes[3]['id']}", board.key, json={"pinned": True})
    for index, note in enumerate(notes[:7]):
        like(board, note["id"], 7 - index)
    return board


def measure(page: Page) -> dict[str, Any]:
    """What the checks need, in one round trip."""
    return dict(
        page.evaluate(
            """() => {
              const box = (el) => { const r = el.getBoundingClientRect();
                return { top: r.top, bottom: r.bottom, left: r.left, right: r.right,
                         width: r.width, height: r.height }; };
              const texts = [];
              for (const el of document.querySelectorAll(
                  ".present-stage .note *, .present-stage .top-item *")) {
                if (el.closest(".sr-only") || !el.getClientRects().length) continue;
                const own = [...el.childNodes].some(
                  (n) => n.nodeType === 3 && n.textContent.trim());
                if (own) texts.push(parseFloat(getComputedStyle(el).fontSize));
              }
              const doc = document.documentElement;
              const terms = [...document.querySelectorAll("#terms-cloud .term")];
              return {
                terms: terms.map(box),
                cloud: box(document.querySelector("#terms-cloud")),
                termFont: terms.length ? Math.min(...terms.map((t) => parseFloat(
                  getComputedStyle(t.querySelector(".term-text")).fontSize))) : null,
                scrollHeight: doc.scrollHeight, scrollWidth: doc.scrollWidth,
                innerHeight, innerWidth,
                rows: [...document.querySelectorAll("#chart .chart-row")].map(box),
                names: [...document.querySelectorAll("#chart .chart-name")].map(box),
                qr: box(document.querySelector("#qr svg")),
                noteFont: texts.length ? Math.min(...texts) : null,
                chartFont: parseFloat(getComputedStyle(
                  document.querySelector("#chart .chart-name")).fontSize),
              };
            }"""
        )
    )


def save(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or {"width": 0, "height": 0}
    path = SCREENSHOTS / f"{name}-{size['width']}x{size['height']}.png"
    page.screenshot(path=str(path))
    return path


@pytest.mark.parametrize(("width", "height"), SCREENS, ids=["1280x720", "1920x1080"])
def test_the_presenter_fits_one_shared_screen_in_every_mode(
    full: Board, open_at: OpenAt, width: int, height: int
) -> None:
    """In each mode (board, most liked, key terms, slideshow, a goal's targets, opened from the
    slideshow and back to it) the page does not scroll either way, all 17 goal rows and their
    names are inside the viewport, the QR code is inside it and no bigger than its share, no
    most liked note is cut off, no key term overlaps another or leaves the stage, the notes'
    text and the terms are at least 18 px and the chart's at least 16 px; screenshots go to
    build/screenshots/."""
    page = open_at(f"{full.url}/present", width, height)
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(page.locator("#present-notes .note").first).to_be_visible()
    expect(page.locator("#chart .chart-row").nth(11).locator(".chart-count")).to_have_text("30")
    modes = {
        "board": "#mode-board",
        "top": "#most-liked",
        "terms": "#key-terms",
        "slides": "#slideshow",
        "targets": "#chart .chart-row >> nth=16",
    }
    for mode, selector in modes.items():
        page.locator(selector).click()
        if mode == "top":
            items = page.locator("#top-list .top-item")
            expect(items).to_have_count(5)
            cut = items.evaluate_all("els => els.filter(e => e.scrollHeight > e.clientHeight + 1)")
            assert cut == [], f"a most liked note is cut off at {width}×{height}"
        if mode == "terms":
            expect(page.locator("#terms-cloud .term").first).to_be_visible()
        if mode == "slides":
            expect(page.locator("#slide .note")).to_have_count(1)
        if mode == "targets":
            expect(page.locator("#target-chart .chart-row")).to_have_count(19)
        page.wait_for_timeout(100)  # a frame for the charts' redraw
        m = measure(page)
        where = f"{mode} at {width}×{height}"
        assert m["scrollHeight"] <= m["innerHeight"], f"{where} scrolls down"
        assert m["scrollWidth"] <= m["innerWidth"], f"{where} scrolls sideways"
        assert len(m["rows"]) == 17
        for number, (row, name) in enumerate(zip(m["rows"], m["names"], strict=True), 1):
            assert row["top"] >= 0 and row["bottom"] <= height, f"goal {number} cut off, {where}"
            assert row["height"] >= 20, f"goal {number}'s row is too thin, {where}"
            assert name["width"] >= 80, f"goal {number}'s name has no room, {where}"
        qr = m["qr"]
        assert qr["top"] >= 0 and qr["left"] >= 0
        assert qr["bottom"] <= height and qr["right"] <= width
        assert qr["width"] >= 90, "the QR code is too small to scan from a shared screen"
        assert qr["width"] <= QR_WIDTH_SHARE * width and qr["height"] <= QR_HEIGHT_SHARE * height
        assert m["chartFont"] >= 16
        if mode == "terms":
            assert_terms_fit(m, where)
        elif mode != "targets":
            assert m["noteFont"] is not None and m["noteFont"] >= NOTE_MIN_PX, where
        save(page, f"present-{mode}")
    page.locator("#targets-back").click()  # back to the mode the targets were opened from
    expect(page.locator("#slide .note")).to_be_visible()


def assert_terms_fit(m: dict[str, Any], where: str) -> None:
    """Several key terms, each inside the cloud, none over another, none under 18 px."""
    terms, cloud = m["terms"], m["cloud"]
    assert len(terms) >= 5, f"too few key terms shown, {where}"
    for term in terms:
        assert term["top"] >= cloud["top"] - 1 and term["bottom"] <= cloud["bottom"] + 1, where
        assert term["left"] >= cloud["left"] - 1 and term["right"] <= cloud["right"] + 1, where
    for i, a in enumerate(terms):
        for b in terms[i + 1 :]:
            apart = (
                a["right"] <= b["left"]
                or b["right"] <= a["left"]
                or a["bottom"] <= b["top"]
                or b["bottom"] <= a["top"]
            )
            assert apart, f"two key terms overlap, {where}"
    assert m["termFont"] is not None and m["termFont"] >= NOTE_MIN_PX, where


def terms_shown(page: Page) -> dict[str, int]:
    """The key terms on the stage, each with the count it shows."""
    return {
        term["text"]: int(term["count"])
        for term in page.locator("#terms-cloud .term").evaluate_all(
            """els => els.map((e) => ({
                 text: e.querySelector(".term-text").textContent,
                 count: e.querySelector(".term-count").textContent }))"""
        )
    }


def test_key_terms_show_a_term_of_several_notes_and_follow_new_notes_live(
    server: Server, open_at: OpenAt
) -> None:
    """The key-terms mode shows a phrase written in three notes with its count; notes posted
    while it is shown bring a new term and raise the count, and a burst of them costs a few
    requests, not one per note."""
    board = make_board(server)
    token = board.join("Kari")["token"]
    for text in ("Sirkulære anskaffelser nå", "Flere sirkulære anskaffelser", "Sirkulære "
                 "anskaffelser i alle kommuner"):  # fmt: skip
        board.post(token, text)
    page = open_at(f"{board.url}/present", 1280, 720)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/terms" in r.url else None)
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    page.locator("#key-terms").click()
    expect(page.locator("#key-terms")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#terms-heading")).to_have_text("Nøkkelord i lappene")
    sirk = page.locator("#terms-cloud .term", has_text="sirkulære anskaffelser")
    expect(sirk.locator(".term-count")).to_have_text("3")
    before = len(asked)
    for number in range(8):
        board.post(token, f"Lokale leverandører {number}")
    board.post(token, "Sirkulære anskaffelser med lokale leverandører")
    local = page.locator("#terms-cloud .term", has_text="lokale leverandører")
    expect(local.locator(".term-count")).to_have_text("9", timeout=15_000)
    expect(sirk.locator(".term-count")).to_have_text("4")
    assert 1 <= len(asked) - before <= 4, asked[before:]
    assert terms_shown(page)["lokale leverandører"] == 9


def test_key_terms_of_a_goal_show_only_the_notes_of_that_goal(
    server: Server, open_at: OpenAt
) -> None:
    """While the key terms are shown, choosing goal 13 in the chart shows the terms of goal
    13's notes only, under a heading that names it; back to all goals shows the board's again;
    in English too."""
    board = make_board(server)
    token = board.join("Ola")["token"]
    for place in ("Oslo", "Bergen"):
        board.post(token, f"Utslippsfrie byggeplasser i {place}", sdgs=[13])
        board.post(token, f"Sirkulære møbler til {place}", sdgs=[12])
    page = open_at(f"{board.url}/present", 1280, 720)
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    page.locator("#key-terms").click()
    cloud = page.locator("#terms-cloud")
    expect(cloud.locator(".term", has_text="sirkulære møbler")).to_have_count(1)
    goal = page.locator("#chart .chart-row").nth(12)
    expect(goal).to_have_accessible_name(
        re.compile(r"^13 Stoppe klimaendringene.*Vis nøkkelordene$")
    )
    goal.click()
    expect(page.locator("#terms-heading")).to_have_text(
        "13 Nøkkelord i mål 13: Stoppe klimaendringene"
    )
    expect(cloud.locator(".term", has_text="utslippsfrie byggeplasser")).to_have_count(1)
    expect(cloud.locator(".term", has_text="møbler")).to_have_count(0)
    shown = set(terms_shown(page))
    assert "utslippsfrie byggeplasser" in shown
    assert not shown & {"sirkulære møbler", "sirkulære", "møbler"}, shown
    page.locator("#language").click()
    expect(page.locator("#terms-heading")).to_have_text("13 Key terms in goal 13: Climate action")
    page.locator("#terms-back").click()
    expect(page.locator("#terms-heading")).to_have_text("Key terms in the notes")
    expect(cloud.locator(".term", has_text="sirkulære møbler")).to_have_count(1)
    expect(goal).to_be_focused()


def test_most_liked_orders_by_likes_and_follows_a_like_made_live(
    server: Server, open_at: OpenAt
) -> None:
    """'Most liked' lists liked notes by likes, equal likes in the order they came, with their
    counts; unliked notes are left out; a like made while it is shown moves a note up."""
    board = make_board(server)
    token = board.join("Ola")["token"]
    first = board.post(token, "Først med to")
    second = board.post(token, "Senere med to")
    one = board.post(token, "Én liker")
    board.post(token, "Ingen liker")
    like(board, first["id"], 2)
    like(board, second["id"], 2)
    like(board, one["id"], 1)
    page = open_at(f"{board.url}/present", 1280, 720)
    page.locator("#most-liked").click()
    expect(page.locator("#most-liked")).to_have_attribute("aria-pressed", "true")
    items = page.locator("#top-list .top-item")
    expect(items.locator(".top-body")).to_have_text(["Først med to", "Senere med to", "Én liker"])
    expect(items.locator(".top-likes")).to_have_text(["♥2 liker", "♥2 liker", "♥1 liker"])
    like(board, one["id"], 2)
    expect(items.locator(".top-body")).to_have_text(["Én liker", "Først med to", "Senere med to"])
    expect(items.first.locator(".top-likes")).to_have_text("♥3 liker")
    page.locator("#most-liked").click()
    expect(page.locator("#present-notes")).to_be_visible()
    expect(page.locator("#top")).to_be_hidden()


def test_most_liked_says_so_while_nobody_has_liked(server: Server, open_at: OpenAt) -> None:
    """With no likes yet the mode says the liked notes will come, and lists nothing."""
    board = make_board(server)
    board.post(board.join("Ola")["token"], "Ingen liker denne ennå")
    page = open_at(f"{board.url}/present", 1280, 720)
    expect(page.locator("#present-notes .note")).to_have_count(1)
    page.locator("#most-liked").click()
    expect(page.locator("#top-empty")).to_be_visible()
    expect(page.locator("#top-list .top-item")).to_have_count(0)


def test_the_join_card_shows_the_boards_join_code_never_the_slug(
    server: Server, open_at: OpenAt
) -> None:
    """The join card shows the link and the board's own short join code ("Kode: K7M3QX", what
    the host says aloud), never the slug as a code."""
    board = make_board(server)
    code = httpx2.get(f"{server.url}/api/boards/{board.slug}").json()["board"]["code"]
    page = open_at(f"{board.url}/present", 1280, 720)
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(page.locator("#join-url")).to_have_text(board.url.split("://")[1])
    expect(page.locator("#join-code")).to_have_text(f"Kode: {code}")
    expect(page.locator("#join-code")).to_be_visible()
    assert board.slug not in page.locator("#join-code").inner_text()
