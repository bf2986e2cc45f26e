"""The browser pages in real headless Chromium against a real `board serve` (issue #6): the wall,
the moderator console and the presenter view, as participants and moderators use them."""

from __future__ import annotations

from pathlib import Path

import httpx2
import openpyxl
import pytest
from chromium import OpenPage, join, make_board, screenshot
from playwright.sync_api import Page, Route, expect
from servers import Server

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)

SEED = [
    ("Kari", [12, 13], "Utslippsfrie byggeplasser – krav i alle byggekontrakter fra 2025."),
    ("Ola", [11, 12], "Forankre den grønne innkjøpsstrategien politisk, så den overlever."),
    ("", [9, 17], "Leverandørdialog før konkurransen – inviter også små og nye leverandører."),
]
XSS = "<img src=x onerror=alert(1)>"


def post(page: Page, text: str, goals: tuple[int, ...] = (12,)) -> None:
    page.fill("#note-body", text)
    for goal in goals:
        page.locator("#sdg-tiles label.sdg-tile").nth(goal - 1).click()
    page.locator("#note-form button[type=submit]").click()


def wall_note(page: Page, text: str) -> object:
    return page.locator("#notes .note", has=page.locator(".note-body", has_text=text))


def test_a_note_posted_in_one_browser_appears_in_the_other(
    server: Server, open_page: OpenPage
) -> None:
    """A note posted on one participant's wall shows up live on another's, once on each."""
    board = make_board(server)
    kari = open_page(board.url)
    ola = open_page(board.url)
    join(kari, "Kari")
    expect(ola.locator("#connection")).to_have_attribute("data-state", "live")
    post(kari, "Krav om utslippsfrie byggeplasser i alle kontrakter", goals=(12, 13))
    for page in (kari, ola):
        note = wall_note(page, "Krav om utslippsfrie byggeplasser")
        expect(note).to_have_count(1)
        expect(note.locator(".note-author")).to_have_text("Kari")
        expect(note.locator(".sdg-badge")).to_have_count(2)
    expect(kari.locator("#outbox .note")).to_have_count(0)


def test_a_pending_note_appears_only_after_the_moderator_approves_it(
    server: Server, open_page: OpenPage
) -> None:
    """On a pre-moderated board the author sees 'awaiting approval', others nothing until the
    moderator approves it in the console's queue; then it is on every wall exactly once."""
    board = make_board(server, moderation="pre")
    author = open_page(board.url)
    reader = open_page(board.url)
    moderator = open_page(board.moderate_url)
    expect(author.locator("#notice")).to_contain_text("godkjenner")
    join(author, "Ingrid")
    post(author, "Vekt livsløpskostnader høyere enn laveste pris")
    waiting = author.locator("#outbox .note.state-awaiting")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("Venter på godkjenning")
    queued = moderator.locator("#queue .note:not([hidden])")
    expect(queued).to_have_count(1)
    expect(wall_note(reader, "Vekt livsløpskostnader")).to_have_count(0)

    queued.get_by_role("button", name="Godkjenn").click()
    for page in (reader, author):
        expect(wall_note(page, "Vekt livsløpskostnader")).to_have_count(1)
    expect(author.locator("#outbox .note")).to_have_count(0)
    expect(moderator.locator("#queue .note:not([hidden])")).to_have_count(0)
    expect(moderator.locator("#queue-empty")).to_be_visible()


def test_markup_in_a_note_is_shown_as_text_and_runs_nothing(
    server: Server, open_page: OpenPage
) -> None:
    """A note whose text is an <img onerror> tag renders literally on the wall, the console and
    the presenter view: no img element, no dialog, no error (open_page checks those)."""
    board = make_board(server)
    author = open_page(board.url)
    join(author, XSS)
    post(author, XSS)
    pages = [author, open_page(board.url), open_page(board.moderate_url)]
    pages.append(open_page(f"{board.url}/present"))
    for page in pages:
        body = page.locator(".note-body", has_text=XSS).first
        expect(body).to_have_text(XSS)
        assert page.locator("main img").count() == 0
    expect(wall_note(author, XSS).locator(".note-author")).to_have_text(XSS)


def test_the_language_switch_changes_the_texts_and_is_remembered(
    server: Server, open_page: OpenPage
) -> None:
    """A bokmål board opens in bokmål; the switch turns every text English, also after reload."""
    board = make_board(server, locale="nb")
    page = open_page(board.url)
    expect(page.locator("#notes-heading")).to_contain_text("Lapper")
    expect(page.locator("#join-form button[type=submit]")).to_have_text("Bli med")
    assert page.evaluate("document.documentElement.lang") == "nb"
    page.locator("#language").click()
    expect(page.locator("#notes-heading")).to_contain_text("Notes")
    expect(page.locator("#join-form button[type=submit]")).to_have_text("Join")
    expect(page.locator("#language")).to_have_text("Norsk")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.reload()
    expect(page.locator("#compose-heading")).to_have_text("New note")


def test_an_english_board_opens_in_english(server: Server, open_page: OpenPage) -> None:
    """The board's locale is the default language of its pages."""
    board = make_board(server, locale="en")
    page = open_page(board.url)
    expect(page.locator("#compose-heading")).to_have_text("New note")
    expect(page.locator("#sdg-tiles .sdg-name").nth(12)).to_have_text("Climate action")


def test_every_page_sends_the_security_headers(server: Server) -> None:
    """Every page and the 404 page carry a CSP without 'unsafe-inline' that forbids framing,
    plus nosniff and a Referrer-Policy."""
    board = make_board(server)
    paths = ["/", f"/b/{board.slug}", f"/b/{board.slug}/moderate", f"/b/{board.slug}/present"]
    for path in [*paths, "/b/no-such-board"]:
        response = httpx2.get(server.url + path, headers={"Accept": "text/html"})
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp, path
        assert "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp, path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "same-origin", path


def test_no_page_reports_a_csp_violation(server: Server, open_page: OpenPage) -> None:
    """Loading each page live (WebSocket included) triggers no CSP violation or script error."""
    board = make_board(server)
    for url in [f"{server.url}/", board.url, board.moderate_url, f"{board.url}/present"]:
        page = open_page(url)
        if "/b/" in url:
            expect(page.locator("#connection")).to_have_attribute("data-state", "live")
        else:
            expect(page.locator("#goal-strip span")).to_have_count(17)


def test_an_unknown_board_is_a_404_page(server: Server, open_page: OpenPage) -> None:
    """/b/{unknown} and its console answer 404 with a page that says so, in both languages."""
    for path in ["/b/finnes-ikke", "/b/finnes-ikke/moderate", "/b/finnes-ikke/present"]:
        response = httpx2.get(server.url + path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
    page = open_page(f"{server.url}/b/finnes-ikke")
    expect(page.locator("h1").first).to_have_text("Fant ikke siden")
    expect(page.locator("h1[lang=en]")).to_have_text("Page not found")


def test_joining_by_code_on_the_start_page_opens_the_board(
    server: Server, open_page: OpenPage
) -> None:
    """The start page takes a board code (or link) and opens that board's wall."""
    board = make_board(server, title="Webinar om innovative anskaffelser")
    page = open_page(f"{server.url}/")
    page.fill("#code", board.slug.upper())
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(board.url)
    expect(page.locator("#board-title")).to_have_text("Webinar om innovative anskaffelser")


def test_the_moderator_key_leaves_the_address_bar(server: Server, open_page: OpenPage) -> None:
    """The console takes the key from #key=, keeps it in sessionStorage and removes the fragment."""
    board = make_board(server)
    page = open_page(board.moderate_url)
    expect(page.locator("#console")).to_be_visible()
    assert page.url == f"{board.url}/moderate"
    stored = page.evaluate(f"sessionStorage.getItem('pinboard:moderator:{board.slug}')")
    assert stored == f'"{board.key}"'
    page.reload()
    expect(page.locator("#console")).to_be_visible()


def test_a_wrong_moderator_key_asks_for_the_key(server: Server, open_page: OpenPage) -> None:
    """A bad key shows the key form with an error instead of the console."""
    board = make_board(server)
    page = open_page(f"{board.url}/moderate#key=not-the-key")
    expect(page.locator("#key-form")).to_be_visible()
    expect(page.locator("#key-error")).to_have_text("Nøkkelen passer ikke til denne tavla.")
    page.fill("#key-input", board.moderate_url)
    page.locator("#key-form button[type=submit]").click()
    expect(page.locator("#console")).to_be_visible()


def test_moderator_hides_restores_and_pins_live(server: Server, open_page: OpenPage) -> None:
    """Hide takes a note off participants' walls and restore brings it back; pin puts it first
    with a 'pinned' flag, all without reloading."""
    board = make_board(server)
    kari = board.join("Kari")
    first = board.post(kari["token"], "Første lapp om sirkulære løsninger")
    board.post(kari["token"], "Andre lapp om leverandørdialog")
    reader = open_page(board.url)
    moderator = open_page(board.moderate_url)
    expect(reader.locator("#notes .note")).to_have_count(2)
    card = moderator.locator(f"#all-notes .note[data-id='{first['id']}']")

    card.get_by_role("button", name="Skjul").click()
    expect(wall_note(reader, "Første lapp")).to_have_count(0)
    expect(card.locator(".flag-hidden")).to_be_visible()
    card.get_by_role("button", name="Vis igjen").click()
    expect(wall_note(reader, "Første lapp")).to_have_count(1)

    expect(reader.locator("#notes .note").first).to_contain_text("Andre lapp")
    card.get_by_role("button", name="Fest").click()
    expect(reader.locator("#notes .note").first).to_contain_text("Første lapp")
    expect(reader.locator("#notes .note").first.locator(".flag-pinned")).to_be_visible()


def test_moderator_locks_and_unlocks_the_board(server: Server, open_page: OpenPage) -> None:
    """Locking hides the participant's form and says the board is locked; unlocking brings it
    back, live."""
    board = make_board(server)
    participant = open_page(board.url)
    join(participant)
    moderator = open_page(board.moderate_url)
    moderator.locator("#lock").click()
    expect(participant.locator("#note-form")).to_be_hidden()
    expect(participant.locator("#notice")).to_have_text(
        "Tavla er låst: du kan lese, men ikke skrive."
    )
    expect(moderator.locator("#lock")).to_have_text("Lås opp tavla")
    moderator.locator("#lock").click()
    expect(participant.locator("#note-form")).to_be_visible()


def test_moderator_switches_moderation_and_edits_and_moves_notes(
    server: Server, open_page: OpenPage
) -> None:
    """Switching to pre-moderation reaches participants live; an edit and a move to another
    section show on the wall."""
    board = make_board(server, sections=["Strategi", "Eksempler"])
    kari = board.join("Kari")
    note = board.post(kari["token"], "Bruk bærekraftsmålene som retningslinjer")
    participant = open_page(board.url)
    moderator = open_page(board.moderate_url)
    moderator.locator("#mode-pre").check()
    expect(participant.locator("#notice")).to_contain_text("godkjenner")

    card = moderator.locator(f"#all-notes .note[data-id='{note['id']}']")
    card.get_by_role("button", name="Rediger").click()
    card.locator("textarea").fill("Bruk bærekraftsmålene som strategiske retningslinjer")
    card.get_by_role("button", name="Lagre").click()
    expect(wall_note(participant, "strategiske retningslinjer")).to_have_count(1)
    # The live push can reach the wall before the PATCH answer closes the moderator's form.
    expect(card.get_by_role("button", name="Lagre")).to_have_count(0)

    card.locator("summary").click()
    card.get_by_label("Flytt til seksjon").select_option(label="Eksempler")
    column = participant.locator("section.column", has_text="Eksempler")
    expect(column.locator(".note-body")).to_have_text(
        ["Bruk bærekraftsmålene som strategiske retningslinjer"]
    )


def test_moderator_removes_a_participant_and_their_notes(
    server: Server, open_page: OpenPage
) -> None:
    """'Remove participant' erases the author and every note of theirs from all walls."""
    board = make_board(server)
    spam = board.join("Spam")
    for text in ("Kjøp billig nå", "Klikk her"):
        board.post(spam["token"], text)
    board.post(board.join("Kari")["token"], "En ordentlig idé")
    participant = open_page(board.url)
    moderator = open_page(board.moderate_url)
    expect(participant.locator("#notes .note")).to_have_count(3)
    card = moderator.locator("#all-notes .note", has_text="Klikk her")
    card.locator("summary").click()
    card.get_by_role("button", name="Fjern deltakeren og lappene deres").click()
    card.get_by_role("button", name="Ja, fjern").click()
    expect(participant.locator("#notes .note")).to_have_count(1)
    expect(participant.locator("#notes .note-body")).to_have_text(["En ordentlig idé"])


def test_markdown_export_downloads_or_says_it_is_missing(
    server: Server, open_page: OpenPage
) -> None:
    """The console fetches export.md with the key as bearer token and saves it as a file; when
    the server has no export route (404) it says so instead."""
    board = make_board(server)
    board.post(board.join()["token"], "Utslippsfrie byggeplasser", sdgs=[12, 13])
    page = open_page(board.moderate_url)
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    route = httpx2.get(
        f"{server.url}/api/boards/{board.slug}/export.md",
        headers={"Authorization": f"Bearer {board.key}"},
    )
    if route.status_code == 404:
        page.locator("#export").click()
        expect(page.locator("#export-message")).to_contain_text("404")
    else:
        assert route.status_code == 200, route.text
        with page.expect_download() as real:
            page.locator("#export").click()
        assert "Utslippsfrie byggeplasser" in Path(real.value.path()).read_text("utf-8")

    # The download itself, whatever this server has: an answer stands in for the route.
    seen: list[str | None] = []

    def answer(route: Route) -> None:
        seen.append(route.request.headers.get("authorization"))
        route.fulfill(
            status=200,
            body="# Innovative anskaffelser\n",
            headers={
                "Content-Type": "text/markdown; charset=utf-8",
                "Content-Disposition": 'attachment; filename="innovative.md"',
            },
        )

    page.route("**/export.md", answer)
    with page.expect_download() as download_info:
        page.locator("#export").click()
    download = download_info.value
    assert download.suggested_filename == "innovative.md"
    assert Path(download.path()).read_text("utf-8") == "# Innovative anskaffelser\n"
    assert seen == [f"Bearer {board.key}"]
    expect(page.locator("#export-message")).to_have_text("Lagret innovative.md.")


def test_spreadsheet_export_downloads_the_board_as_xlsx(
    server: Server, open_page: OpenPage
) -> None:
    """The console's "Last ned regneark" fetches export.xlsx with the key and saves
    `<slug>.xlsx`, a workbook whose notes sheet holds the board's note."""
    board = make_board(server)
    board.post(board.join()["token"], "Gjenbruk av kontormøbler i hele regionen", sdgs=[12])
    page = open_page(board.moderate_url)
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Last ned regneark").click()
    download = download_info.value
    assert download.suggested_filename == f"{board.slug}.xlsx"
    expect(page.locator("#export-message")).to_have_text(f"Lagret {board.slug}.xlsx.")
    with Path(download.path()).open("rb") as saved:  # no extension: openpyxl takes a file object
        notes = openpyxl.load_workbook(saved).worksheets[0]
    texts = [cell.value for row in notes.iter_rows() for cell in row]
    assert "Gjenbruk av kontormøbler i hele regionen" in texts


def test_presenter_shows_live_chart_qr_and_slideshow(server: Server, open_page: OpenPage) -> None:
    """The presenter view draws a bar per goal in its colour that grows live, a QR code and the
    short link, pinned notes first, and a slideshow that steps through the notes."""
    board = make_board(server)
    kari = board.join("Kari")
    for _name, goals, text in SEED:
        board.post(kari["token"], text, sdgs=goals)
    page = open_page(f"{board.url}/present")
    expect(page.locator("#present-notes .note")).to_have_count(3)
    rows = page.locator("#chart .chart-row")
    expect(rows).to_have_count(17)
    expect(rows.nth(11).locator(".chart-count")).to_have_text("2")
    expect(rows.nth(11).locator(".chart-name")).to_have_text("Ansvarlig forbruk og produksjon")
    board.post(kari["token"], "Sirkulære møbler i nye Ålesund kommune", sdgs=[12])
    expect(rows.nth(11).locator(".chart-count")).to_have_text("3")
    bar = rows.nth(11).locator(".chart-bar")
    assert bar.evaluate("e => getComputedStyle(e).backgroundColor") == (
        "rgb(191, 139, 46)"  # SDG 12's official #BF8B2E
    )
    qr = page.locator("#qr svg.qr")
    expect(qr).to_be_visible()
    assert len(qr.locator("path").get_attribute("d") or "") > 500
    expect(page.locator("#join-url")).to_have_text(f"{board.url.split('://')[1]}")

    first = board.snapshot()["notes"][-1]
    board.api("PATCH", f"/notes/{first['id']}", board.key, json={"pinned": True})
    expect(page.locator("#present-notes .note").first).to_contain_text(first["body"])

    page.locator("#slideshow").click()
    expect(page.locator("#slide .note")).to_have_count(1)
    expect(page.locator("#slide-position")).to_have_text("Lapp 1 av 4")
    page.locator("#slide-next").click()
    expect(page.locator("#slide-position")).to_have_text("Lapp 2 av 4")
    page.keyboard.press("Escape")
    expect(page.locator("#present-notes")).to_be_visible()


def test_sdg_tiles_meet_wcag_aa_contrast(server: Server, open_page: OpenPage) -> None:
    """Every goal tile's text colour has at least 4.5:1 contrast with the goal's colour."""
    board = make_board(server)
    page = open_page(board.url)
    expect(page.locator("#sdg-tiles .sdg-tile")).to_have_count(17)
    ratios = page.evaluate(
        """async () => {
          const { contrast } = await import("/static/js/sdg.js");
          const hex = (rgb) => "#" + rgb.match(/\\d+/g).slice(0, 3)
            .map((n) => Number(n).toString(16).padStart(2, "0")).join("");
          return [...document.querySelectorAll("#sdg-tiles .sdg-tile")].map((tile) => {
            const style = getComputedStyle(tile);
            return contrast(hex(style.backgroundColor), hex(style.color));
          });
        }"""
    )
    assert len(ratios) == 17
    assert min(ratios) >= 4.5, ratios


def test_new_notes_are_announced_without_flooding(server: Server, open_page: OpenPage) -> None:
    """The aria-live region reads one new note in full and a burst as one count."""
    board = make_board(server)
    page = open_page(board.url)
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    token = board.join("Ola")["token"]
    board.post(token, "Felles innkjøp av elektriske anleggsmaskiner")
    region = page.locator("#announcer")
    expect(region).to_have_text("Ny lapp: Felles innkjøp av elektriske anleggsmaskiner")
    for n in range(6):
        board.post(token, f"Idé nummer {n}")
    expect(region).to_have_text("6 nye lapper", timeout=15_000)
    assert region.get_attribute("aria-live") == "polite"


def test_a_participant_edits_deletes_likes_and_comments(
    server: Server, open_page: OpenPage
) -> None:
    """Own notes can be edited and deleted; likes and comments reach the other wall live."""
    board = make_board(server)
    author = open_page(board.url)
    reader = open_page(board.url)
    join(author, "Kari")
    join(reader, "Per")
    post(author, "Leverandørdialog før konkurransen")
    mine = wall_note(author, "Leverandørdialog")
    expect(mine).to_have_count(1)
    theirs = wall_note(reader, "Leverandørdialog")
    expect(theirs.get_by_role("button", name="Rediger")).to_be_hidden()

    theirs.locator(".like").click()
    expect(mine.locator(".like-count")).to_have_text("1")
    expect(theirs.locator(".like")).to_have_attribute("aria-pressed", "true")
    theirs.locator("summary").click()
    theirs.get_by_label("Skriv en kommentar").fill("Gjerne med små leverandører")
    theirs.get_by_role("button", name="Send").click()
    expect(mine.locator(".comment-body")).to_have_text(["Gjerne med små leverandører"])

    mine.get_by_role("button", name="Rediger").click()
    mine.locator("textarea").fill("Leverandørdialog før konkurransen – alltid")
    mine.get_by_role("button", name="Lagre").click()
    expect(theirs.locator(".note-body")).to_have_text("Leverandørdialog før konkurransen – alltid")
    mine.get_by_role("button", name="Slett").click()
    mine.get_by_role("button", name="Ja, slett").click()
    expect(reader.locator("#notes .note")).to_have_count(0)


def test_keyboard_alone_joins_and_posts(server: Server, open_page: OpenPage) -> None:
    """Tab, Space and Enter are enough to join, pick a goal and post, with labelled fields."""
    board = make_board(server)
    page = open_page(board.url)
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    page.get_by_label("Navnet ditt (valgfritt)").focus()
    page.keyboard.type("Tastatur")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Ideen din")).to_be_focused()
    page.keyboard.type("Krav om fossilfrie anleggsplasser")
    page.keyboard.press("Tab")  # the goal tiles come next: first goal
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(page.locator("#sdg-tiles input").nth(1)).to_be_checked()
    page.get_by_role("button", name="Publiser lappen").focus()
    page.keyboard.press("Enter")
    expect(wall_note(page, "fossilfrie")).to_have_count(1)
    expect(wall_note(page, "fossilfrie").locator(".sdg-badge")).to_have_text(["2 Utrydde sult"])


def test_every_page_fits_360_px_and_is_saved_as_screenshots(
    server: Server, open_page: OpenPage
) -> None:
    """The start page, wall, console and presenter view have no sideways scrolling at 360 px;
    screenshots at 360 and 1280 px go to build/screenshots/ for a person to look at."""
    board = make_board(
        server,
        title="Innovative anskaffelser og bærekraftsmålene",
        description="Del ett grep din virksomhet kan ta for å nå bærekraftsmålene.",
        sections=["Strategi og forankring", "Eksempler fra kommunene"],
    )
    sections = [s["id"] for s in board.sections]
    for index, (name, goals, text) in enumerate(SEED):
        token = board.join(name)["token"]
        board.post(token, text, sdgs=goals, section_id=sections[index % 2])
    pending = board.join("Jonny")["token"]
    board.api("PATCH", "", board.key, json={"moderation": "pre"})
    board.post(pending, "Mobilitet og møbler: bærekraftsmålene operasjonalisert i Ålesund")
    pages = {
        "index": f"{server.url}/",
        "wall": board.url,
        "moderate": board.moderate_url,
        "present": f"{board.url}/present",
    }
    for width in (360, 1280):
        for name, url in pages.items():
            page = open_page(url, width=width)
            if name != "index":
                expect(page.locator("#connection")).to_have_attribute("data-state", "live")
                expect(page.locator(".note:not([hidden]) .note-body").first).to_be_visible()
            if name == "wall":
                join(page, "Hilde")
                page.fill("#note-body", "Kommunene bør dele kravspesifikasjoner")
            overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 0, f"{name} scrolls sideways at {width} px"
            screenshot(page, name)
            if name == "present":
                page.locator("#slideshow").click()
                expect(page.locator("#slide .note")).to_have_count(1)
                screenshot(page, "present-slideshow")


def test_moderator_manages_sections_and_reorders_notes(server: Server, open_page: OpenPage) -> None:
    """Adding, renaming and deleting a section changes the participants' columns live, and
    'move down' changes the board order they see."""
    board = make_board(server)
    token = board.join("Kari")["token"]
    board.post(token, "Eldste lapp")
    board.post(token, "Nyeste lapp")
    participant = open_page(board.url)
    moderator = open_page(board.moderate_url)
    bodies = participant.locator("#notes .note-body")
    expect(bodies).to_have_text(["Nyeste lapp", "Eldste lapp"])

    newest = moderator.locator("#all-notes .note", has_text="Nyeste lapp")
    newest.locator("summary").click()
    newest.get_by_role("button", name="Flytt ned").click()
    expect(bodies).to_have_text(["Eldste lapp", "Nyeste lapp"])

    moderator.get_by_placeholder("Ny seksjon").fill("Eksempler fra kommunene")
    moderator.locator("#section-form button").click()
    heading = participant.locator(".column-title", has_text="Eksempler")
    expect(heading).to_have_text("Eksempler fra kommunene")
    moderator.get_by_label("Navn på seksjon 1").fill("Eksempler fra fylkene")
    moderator.get_by_role("button", name="Gi nytt navn").click()
    expect(heading).to_have_text("Eksempler fra fylkene")
    moderator.get_by_role("button", name="Slett seksjonen").click()
    expect(heading).to_have_count(0)
    expect(bodies).to_have_count(2)


def test_goal_filter_chips_count_live_and_filter(server: Server, open_page: OpenPage) -> None:
    """Each goal in use gets a chip with its live count; pressing it shows only its notes."""
    board = make_board(server)
    token = board.join("Kari")["token"]
    for _name, goals, text in SEED:
        board.post(token, text, sdgs=goals)
    page = open_page(board.url)
    chip = page.locator("#filters .chip").nth(12)  # 0 is "all goals"
    expect(chip).to_have_accessible_name("12 Ansvarlig forbruk og produksjon, 2 lapper")
    expect(page.locator("#filters .chip:not(.chip-all):not([hidden])")).to_have_count(5)
    chip.click()
    expect(chip).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#notes .note:not([hidden])")).to_have_count(2)
    board.post(token, "Sirkulære møbler", sdgs=[12])
    expect(page.locator("#notes .note:not([hidden])")).to_have_count(3)
    expect(chip.locator(".chip-count")).to_have_text("3")
    board.post(token, "Noe helt annet", sdgs=[3])
    expect(page.locator("#notes .note")).to_have_count(5)
    expect(page.locator("#notes .note:not([hidden])")).to_have_count(3)
    page.get_by_role("button", name="Alle mål").click()
    expect(page.locator("#notes .note:not([hidden])")).to_have_count(5)
