"""SDG suggestions in real Chromium against a real `board serve` (#18): the browser's matcher
(static/js/suggest.js) answers exactly what `POST /api/sdgs/suggest` does, and the wall offers
its suggestions as chips that pick a goal or target only when tapped."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx2
import pytest
from chromium import OpenPage, join, make_board, screenshot
from playwright.sync_api import Locator, Page, expect
from servers import Server

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)

TUNE = Path(__file__).resolve().parent / "data" / "suggest" / "tune.jsonl"
PROCUREMENT = "Vi må stille miljøkrav og bruke livssykluskostnader i offentlige anskaffelser"
# Texts the tune set has none of: empty, punctuation, mixed languages, æøå and decomposed
# letters, upper case, digits and symbols, words too long to match, and the longest a note may be.
EDGE_TEXTS = [
    "",
    " ",
    "!!! ... ??? — «» ✓",
    "12.7 13.2 2030 CO2",
    "We need bærekraftige anskaffelser and a circular economy in every kommune",
    "Klimagassutslipp from transport, og ombruk av møbler, also fewer flights",
    "ÆØÅ ÆRLIG ØKOLOGISK ÅPENHET: INNKJØPSSTRATEGIEN OG KLIMAKRAVENE",
    "ga\u030ardsbruk og sma\u030abrukere, cafe\u0301 med kortreist mat",
    "Straße, İstanbul, ǅemal: ﬁsk og ﬂom",
    "co2-utslipp, e-sigaretter, t-bane og lønns- og arbeidsvilkår",
    "women's rights, workers' rights and the rule of law",
    "♻️ gjenbruk 🌍🔥 klima\u200bendringer \u00a0 vann\tog\navløp",
    "innkjøp" * 10 + " avfall",
    "a" * 2000,
    ("Ombruk av byggematerialer og sosiale krav i kontraktene. " * 40)[:2000],
    ("Solar panels, heat pumps and fewer cars in the city. " * 40)[:2000],
]

BROWSER_SUGGESTS = """async (cases) => {
  // The module as the wall loads it: under the versioned prefix of its own modules.
  const link = document.querySelector('link[rel="modulepreload"][href*="/js/suggestions.js"]');
  const matcher = await import(new URL("suggest.js", link.href));
  const compiled = await matcher.loadKeywords();
  return cases.map(([text, lang]) => matcher.suggest(text, lang, compiled));
}"""


def cases() -> list[tuple[str, str | None]]:
    """Every tune note detected and with its language given, and each edge text three ways."""
    notes = [json.loads(line) for line in TUNE.read_text("utf-8").splitlines() if line.strip()]
    found: list[tuple[str, str | None]] = []
    for note in notes:
        found += [(note["text"], None), (note["text"], note["lang"])]
    for text in EDGE_TEXTS:
        found += [(text, None), (text, "nb"), (text, "en")]
    return found


def test_the_browser_suggests_exactly_what_the_endpoint_answers(
    server: Server, open_page: OpenPage
) -> None:
    """For every tune note and every edge text, in each language setting, the wall's matcher in
    Chromium gives the same goals, scores, targets and words, in the same order, as the server."""
    page = open_page(make_board(server).url)
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    asked = cases()
    in_browser: list[Any] = page.evaluate(BROWSER_SUGGESTS, asked)
    with httpx2.Client(base_url=server.url, timeout=10) as http:
        from_server = []
        for text, lang in asked:
            response = http.post("/api/sdgs/suggest", json={"text": text, "lang": lang})
            assert response.status_code == 200, response.text
            from_server.append(response.json()["goals"])
    differ = [
        f"{case!r}:\n  browser {ours}\n  server  {theirs}"
        for case, ours, theirs in zip(asked, in_browser, from_server, strict=True)
        if ours != theirs
    ]
    assert differ == [], "\n".join(differ[:5])
    assert sum(1 for goals in from_server if goals) > len(asked) // 2  # most cases suggest


def tile(page: Page, goal: int) -> Locator:
    return page.locator(f'#sdg-tiles input[value="{goal}"]')


def chip(page: Page, name: str) -> Locator:
    return page.locator("#sdg-suggestions").get_by_role("button", name=re.compile(f"^{name}"))


def test_typing_a_procurement_note_offers_goal_12_and_only_a_tap_picks_it(
    server: Server, open_page: OpenPage
) -> None:
    """A Norwegian procurement sentence, typed, brings a chip for goal 12 in its colour with the
    words it matched; nothing is picked until the chip is tapped, then goal 12's tile is."""
    page = open_page(make_board(server).url, width=360)
    join(page)
    expect(page.locator("#sdg-suggestions")).to_be_hidden()
    page.get_by_label("Ideen din").press_sequentially(PROCUREMENT)
    twelve = chip(page, "12 Ansvarlig forbruk og produksjon")
    expect(twelve).to_be_visible()
    expect(page.locator("#sdg-suggestions")).to_contain_text("Forslag ut fra teksten")
    expect(twelve).to_have_attribute("aria-pressed", "false")
    expect(twelve).to_have_attribute("title", re.compile(r"^Fordi du skrev: .*miljøkrav"))
    expect(twelve).to_have_accessible_description(re.compile("offentlige anskaffelser"))
    assert twelve.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(191, 139, 46)"
    expect(page.locator("#sdg-tiles input:checked")).to_have_count(0)
    page.wait_for_timeout(600)  # well past the debounce: still nothing picked by itself
    expect(page.locator("#sdg-tiles input:checked")).to_have_count(0)
    screenshot(page, "wall-suggestions")
    twelve.click()
    expect(tile(page, 12)).to_be_checked()
    expect(page.locator("#sdg-tiles input:checked")).to_have_count(1)
    expect(twelve).to_have_attribute("aria-pressed", "true")


def test_a_target_chip_picks_the_target_with_its_goal_and_the_note_posts_with_them(
    server: Server, open_page: OpenPage
) -> None:
    """Tapping the 12.7 chip ticks 12.7 in the target picker and goal 12's tile; a second tap on
    the goal's chip takes both back; picked again, the note is posted with goal 12 and 12.7,
    and the chips go with the text."""
    board = make_board(server)
    page = open_page(board.url, width=1280)
    join(page)
    page.get_by_label("Ideen din").fill(PROCUREMENT)
    target = chip(page, "12.7")
    expect(target).to_be_visible()
    expect(target).to_have_attribute("title", re.compile(r"^12\.7: Promote public procurement"))
    target.click()
    expect(tile(page, 12)).to_be_checked()
    ticked = page.locator('#target-picker input[value="12.7"]')
    expect(ticked).to_be_checked()
    expect(page.locator("#target-picker .targets-picked button")).to_have_count(1)
    expect(target).to_have_attribute("aria-pressed", "true")
    goal = chip(page, "12 Ansvarlig forbruk og produksjon")
    goal.click()
    expect(tile(page, 12)).not_to_be_checked()
    expect(ticked).to_have_count(0)
    expect(target).to_have_attribute("aria-pressed", "false")
    target.click()
    page.get_by_role("button", name="Publiser lappen").click()
    expect(page.locator("#notes .note .target-chip")).to_have_count(1)
    expect(page.locator("#sdg-suggestions")).to_be_hidden()
    note = board.snapshot()["notes"][0]
    assert (note["sdgs"], note["targets"]) == ([12], ["12.7"])


def test_english_text_on_an_english_page_gets_english_chips(
    server: Server, open_page: OpenPage
) -> None:
    """On the English page an English note's chips carry the English goal names and say why in
    English; switching to bokmål renames them in place."""
    page = open_page(make_board(server).url, width=1280)
    page.locator("#language").click()
    join(page, "Kim")
    page.get_by_label("Your idea").fill("We should buy refurbished laptops and cut emissions")
    twelve = chip(page, "12 Responsible consumption and production")
    expect(twelve).to_have_attribute("title", re.compile(r"^Because you wrote: .*refurbished"))
    expect(chip(page, "13 Climate action")).to_be_visible()
    expect(page.locator("#sdg-suggestions")).to_contain_text("Suggested from your text")
    screenshot(page, "wall-suggestions-en")
    page.locator("#language").click()
    expect(chip(page, "12 Ansvarlig forbruk og produksjon")).to_be_visible()
