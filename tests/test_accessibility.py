"""Every page checked by a real accessibility engine (#17): axe-core in real headless Chromium
against a real `board serve`, on a board with sections, notes, goals, targets, likes, comments,
a pinned and a pending note, at 360 and 1280 px.

axe-core is vendored in tests/vendor/axe-core/ (see its README.md): the suite needs no network
and no Node. The pages' Content-Security-Policy (`script-src 'self'`) blocks an injected
`<script>` tag, so the engine goes in through `page.evaluate` with the file's text (DevTools
evaluation, which the policy does not govern); the pages keep their real policy, and the harness
still fails a test on any CSP violation.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from chromium import Board, OpenPage, join, make_board
from playwright.sync_api import Page, expect
from servers import Server

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
WIDTHS = (360, 1280)
FAILING = {"serious", "critical"}
# One browser, every page and state in a loop: the whole check must stay this quick.
BUDGET_SECONDS = 240


def full_board(server: Server) -> Board:
    """Two sections and a note without one; goals, targets, likes, comments; one pinned note,
    one hidden and one pending, and a blind round holding the moderator's note (#18), so every
    kind of card, chip and notice is on the pages."""
    board = make_board(
        server,
        description="Del ett grep din virksomhet kan ta for å nå bærekraftsmålene.",
        sections=["Strategi og forankring", "Eksempler fra kommunene"],
    )
    first, second = (s["id"] for s in board.sections)
    kari = board.join("Kari")["token"]
    ola = board.join("Ola")["token"]
    notes = [
        board.post(
            kari,
            "Utslippsfrie byggeplasser – krav i alle byggekontrakter fra 2025.",
            sdgs=[12, 13],
            targets=["12.7", "13.2"],
            section_id=first,
        ),
        board.post(
            ola,
            "Leverandørdialog før konkurransen – inviter også små og nye leverandører.",
            sdgs=[9, 17],
            targets=["17.17"],
            section_id=second,
        ),
        board.post(kari, "Sirkulære møbler i alle rammeavtaler.", sdgs=[11, 12]),
        board.post(ola, "Et notat som moderatoren skjuler.", sdgs=[3]),
    ]
    for token in (kari, ola):
        board.api("PUT", f"/notes/{notes[0]['id']}/like", token)
    board.api("PUT", f"/notes/{notes[1]['id']}/like", kari)
    board.api("POST", f"/notes/{notes[0]['id']}/comments", ola, json={"body": "Enig, og tidlig!"})
    board.api(
        "POST", f"/notes/{notes[1]['id']}/comments", board.key, json={"body": "Takk for innspillet"}
    )
    board.api("PATCH", f"/notes/{notes[1]['id']}", board.key, json={"pinned": True})
    board.api("PATCH", f"/notes/{notes[3]['id']}", board.key, json={"status": "hidden"})
    board.api("PATCH", "", board.key, json={"moderation": "pre"})
    board.post(board.join("Jonny")["token"], "Mobilitet og møbler i Ålesund.", sdgs=[11])
    board.api("PATCH", "", board.key, json={"reveal": "blind"})
    board.post(board.key, "Vertens idé, holdt til runden vises.", sdgs=[4])
    return board


def audit(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now: rule id, impact and the first targets."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text("utf-8"))
    return list(
        page.evaluate(
            """async () => {
              const results = await axe.run(document, { resultTypes: ["violations"] });
              return results.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                count: v.nodes.length,
                targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
                help: v.help,
              }));
            }"""
        )
    )


def live(page: Page) -> None:
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(page.locator(".note:not([hidden]) .note-body").first).to_be_visible()


def test_no_page_has_a_serious_or_critical_axe_violation(
    server: Server, open_page: OpenPage
) -> None:
    """axe-core finds no serious or critical violation on the start page, the wall (before and
    after joining, with suggestions offered and a goal picked, comments open and a goal filter
    on), the moderator console (with an edit form open and the chart drilled into a goal), the
    presenter (board, key terms of the board and of one goal, and slideshow) and the 404 page, at
    360 and 1280 px."""
    started = time.monotonic()
    board = full_board(server)
    assert axe_version() == "4.14.1"
    found: dict[str, list[dict[str, Any]]] = {}

    def check(name: str, page: Page) -> None:
        found[name] = audit(page)

    index = open_page(f"{server.url}/")
    # The engine is live: a button showing "12" but named otherwise is what it must catch.
    index.evaluate(
        """document.body.append(Object.assign(document.createElement("button"),
             { id: "decoy", textContent: "12", ariaLabel: "Mål tolv" }))"""
    )
    assert "label-content-name-mismatch" in {v["id"] for v in audit(index)}
    index.evaluate("document.getElementById('decoy').remove()")

    for width in WIDTHS:
        check(f"index@{width}", open_page(f"{server.url}/", width=width))
        check(f"404@{width}", open_page(f"{server.url}/b/finnes-ikke-her", width=width))

        wall = open_page(board.url, width=width)
        live(wall)
        check(f"wall@{width}", wall)
        join(wall, "Hilde")
        wall.fill("#note-body", "Kommunene bør dele kravspesifikasjoner")
        expect(wall.locator("#sdg-suggestions .suggest-chip").first).to_be_visible()  # #18
        wall.locator("#sdg-tiles label.sdg-tile").nth(11).click()
        wall.locator("#notes .note").first.locator("summary").click()
        check(f"wall-joined@{width}", wall)
        wall.locator("#filters .chip").nth(12).click()  # goal 12: its target chips appear
        expect(wall.locator("#target-filters .chip-target:not([hidden])")).to_have_count(1)
        check(f"wall-filtered@{width}", wall)

        console = open_page(board.moderate_url, width=width)
        live(console)
        expect(console.locator(".queue .note")).to_have_count(1)
        check(f"moderate@{width}", console)
        console.locator("#all-notes .note").first.get_by_role("button", name="Rediger").click()
        console.locator("#chart .chart-row").nth(11).click()  # drill into goal 12's targets
        expect(console.locator("#chart .chart-back")).to_be_visible()
        check(f"moderate-editing@{width}", console)

        present = open_page(f"{board.url}/present", width=width)
        live(present)
        check(f"present@{width}", present)
        present.locator("#key-terms").click()
        expect(present.locator("#terms-cloud .term").first).to_be_visible()
        check(f"present-terms@{width}", present)
        present.locator("#chart .chart-row").nth(11).click()  # goal 12's key terms
        expect(present.locator("#terms-back")).to_be_visible()
        expect(present.locator("#terms-cloud .term").first).to_be_visible()
        check(f"present-terms-goal@{width}", present)
        present.locator("#slideshow").click()
        expect(present.locator("#slide .note")).to_have_count(1)
        check(f"present-slideshow@{width}", present)

    failing = {
        name: [v for v in violations if v["impact"] in FAILING]
        for name, violations in found.items()
    }
    report = [
        f"{name}: {v['id']} ({v['impact']}, {v['count']}×) {v['help']}: {v['targets']}"
        for name, violations in failing.items()
        for v in violations
    ]
    assert report == [], "\n".join(report)
    assert len(found) == 11 * len(WIDTHS)
    assert time.monotonic() - started < BUDGET_SECONDS


def axe_version() -> str:
    head = AXE.read_text("utf-8")[:40]
    return head.split("axe v", 1)[1].split()[0]


def test_goal_chips_show_the_name_and_every_name_starts_with_what_is_shown(
    server: Server, open_page: OpenPage
) -> None:
    """A card's goal chip shows number and name, and is read the same; a filter chip, a target
    filter chip, a compose tile, a console edit tile and a chart bar are named starting with
    the number or code they show, and hold the count they show."""
    board = full_board(server)
    wall = open_page(board.url, width=360)
    live(wall)
    card = wall.locator("#notes .note", has_text="Utslippsfrie")
    expect(card.locator(".sdg-badge")).to_have_text(
        ["12 Ansvarlig forbruk og produksjon", "13 Stoppe klimaendringene"]
    )
    expect(card.locator(".sdg-badge").first).to_be_visible()
    chip = wall.locator("#filters .chip").nth(12)
    expect(chip).to_have_accessible_name("12 Ansvarlig forbruk og produksjon, 2 lapper")
    expect(wall.locator("#filters .chip").nth(9)).to_have_accessible_name(
        "9 Industri, innovasjon og infrastruktur, 1 lapp"
    )
    chip.click()
    target = wall.locator("#target-filters .chip-target:not([hidden])")
    expect(target).to_have_accessible_name(
        re.compile(r"^12\.7 Promote public procurement practices .*priorities, 1 lapp$")
    )
    join(wall)
    expect(wall.get_by_role("checkbox", name="12 Ansvarlig forbruk og produksjon")).to_have_count(1)

    console = open_page(board.moderate_url)
    live(console)
    bar = console.locator("#chart .chart-row").nth(11)
    expect(bar).to_have_accessible_name("12 Ansvarlig forbruk og produksjon: 2. Vis delmålene")
    console.locator("#all-notes .note").first.get_by_role("button", name="Rediger").click()
    tile = console.get_by_role("checkbox", name="12 Ansvarlig forbruk og produksjon")
    expect(tile).to_have_count(1)
