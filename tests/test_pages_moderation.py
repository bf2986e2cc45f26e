"""The moderator console's safety tools (#7) in real headless Chromium against a real `board
serve`: the audit trail, bans, named moderator keys, the word filter and the 'edited' flag."""

from __future__ import annotations

import re

import pytest
from chromium import Board, OpenPage, make_board, screenshot
from playwright.sync_api import Page, expect
from servers import Server

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)


def named_key(board: Board, name: str) -> str:
    """A named moderator key made with the owner key over the API."""
    return str(board.api("POST", "/moderators", board.key, json={"name": name})["key"])


def console(board: Board, open_page: OpenPage, key: str | None = None, width: int = 1280) -> Page:
    page = open_page(f"{board.url}/moderate#key={key or board.key}", width=width)
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    return page


def test_the_audit_trail_lists_an_approve_and_an_edit_with_the_keys_name(
    server: Server, open_page: OpenPage
) -> None:
    """Approving and editing a note in the console show up in its audit panel, newest first,
    named after the key that did them, with the text before and after the edit."""
    board = make_board(server, moderation="pre")
    kari = board.join("Kari")
    board.post(kari["token"], "Krav om gjenbruk i alle anbud")
    page = console(board, open_page, named_key(board, "Hilde"))
    page.locator("#queue .note").get_by_role("button", name="Godkjenn").click()
    card = page.locator("#all-notes .note", has_text="Krav om gjenbruk")
    card.get_by_role("button", name="Rediger").click()
    card.locator("textarea").fill("Krav om gjenbruk og ombruk i alle anbud")
    card.get_by_role("button", name="Lagre").click()

    entries = page.locator("#audit-list .audit-entry")
    expect(entries).to_have_count(3)  # the owner key made Hilde's key first
    expect(entries.nth(0)).to_have_attribute("data-action", "edit")
    expect(entries.nth(0).locator(".audit-who")).to_have_text("Hilde")
    expect(entries.nth(0).locator("del")).to_have_text("Krav om gjenbruk i alle anbud")
    expect(entries.nth(0).locator("ins")).to_have_text("Krav om gjenbruk og ombruk i alle anbud")
    expect(entries.nth(1)).to_have_attribute("data-action", "approve")
    expect(entries.nth(1)).to_contain_text("Hilde godkjente «Krav om gjenbruk og ombruk")
    expect(entries.nth(2)).to_have_attribute("data-action", "key.create")


def test_a_moderators_edit_is_marked_on_the_participants_wall(
    server: Server, open_page: OpenPage
) -> None:
    """A note a moderator edited carries 'edited by a moderator' on everyone's card."""
    board = make_board(server)
    note = board.post(board.join("Kari")["token"], "Sirkulære møbler")
    wall = open_page(board.url)
    card = wall.locator(f"#notes .note[data-id='{note['id']}']")
    expect(card).to_be_visible()
    expect(card.locator(".flag-edited")).to_have_count(0)
    board.api("PATCH", f"/notes/{note['id']}", board.key, json={"body": "Sirkulære kontormøbler"})
    expect(card.locator(".flag-edited")).to_have_text("Redigert av moderator")
    wall.locator("#language").click()
    expect(card.locator(".flag-edited")).to_have_text("Edited by a moderator")


def test_a_ban_hides_the_authors_notes_and_the_banned_page_says_so(
    server: Server, open_page: OpenPage
) -> None:
    """Banning from a note's 'More' menu (with a confirm step) takes the author's notes off
    another participant's wall, and the banned participant's next post reports the ban."""
    board = make_board(server)
    board.post(board.join("Kari")["token"], "En ordentlig idé")
    spammer = open_page(board.url)
    spammer.fill("#join-name", "Spam")
    spammer.locator("#join-form button[type=submit]").click()
    expect(spammer.locator("#note-form")).to_be_visible()
    spammer.fill("#note-body", "Kjøp billige klokker her")
    spammer.locator("#sdg-tiles label.sdg-tile").first.click()
    spammer.locator("#note-form button[type=submit]").click()
    reader = open_page(board.url)
    expect(reader.locator("#notes .note")).to_have_count(2)

    moderator = console(board, open_page)
    card = moderator.locator("#all-notes .note", has_text="Kjøp billige klokker")
    card.locator("summary").click()
    card.get_by_role("button", name="Utesteng deltakeren").click()
    expect(reader.locator("#notes .note")).to_have_count(2)  # nothing before "yes"
    card.get_by_role("button", name="Ja, utesteng").click()
    expect(reader.locator("#notes .note-body")).to_have_text(["En ordentlig idé"])
    expect(card.locator(".flag-hidden")).to_be_visible()
    expect(card.get_by_role("button", name="Opphev utestengingen")).to_be_attached()

    spammer.fill("#note-body", "Enda flere klokker")
    spammer.locator("#sdg-tiles label.sdg-tile").first.click()
    spammer.locator("#note-form button[type=submit]").click()
    expect(spammer.locator("#message")).to_contain_text("Moderatorene har utestengt deg")
    expect(spammer.locator("#outbox .note.state-failed")).to_contain_text("utestengt")


def test_the_owner_creates_a_named_key_whose_link_opens_a_working_console(
    server: Server, open_page: OpenPage
) -> None:
    """The owner's console makes a named key and shows its link once; that link opens a
    console which moderates under the new name and may not manage keys."""
    board = make_board(server)
    note = board.post(board.join("Kari")["token"], "Felles innkjøp av elbiler")
    owner = console(board, open_page)
    expect(owner.locator("#key-list .key-entry")).to_have_count(1)
    owner.get_by_label("Navn på den nye nøkkelen").fill("Medvert")
    owner.get_by_role("button", name="Lag nøkkel").click()
    link = owner.locator("#key-created-link")
    expect(link).to_have_value(re.compile(rf"^{re.escape(board.url)}/moderate#key=[\w-]{{30,}}$"))
    expect(owner.locator("#key-list .key-entry")).to_have_count(2)
    expect(owner.locator("#key-list .key-entry").nth(1)).to_contain_text("Medvert")
    expect(owner.locator("#key-list").get_by_role("button", name="Trekk tilbake")).to_have_count(1)

    cohost = console(board, open_page, link.input_value().rsplit("#key=", 1)[1])
    expect(cohost.locator("#keys-owner-only")).to_be_visible()
    expect(cohost.locator("#key-create-form")).to_be_hidden()
    card = cohost.locator(f"#all-notes .note[data-id='{note['id']}']")
    card.get_by_role("button", name="Skjul").click()
    expect(card.locator(".flag-hidden")).to_be_visible()
    expect(owner.locator("#audit-list .audit-entry").first).to_contain_text("Medvert skjulte")


def test_a_word_filtered_note_waits_in_the_queue_with_its_reason(
    server: Server, open_page: OpenPage
) -> None:
    """A word set in the console's filter holds a matching note in the pending queue of a
    post-moderated board, and the card tells the moderator which word did it."""
    board = make_board(server)
    page = console(board, open_page)
    page.get_by_label("Ordfilter (ett ord eller uttrykk per linje)").fill("svindel\nkjøp billig")
    page.get_by_label("Lagringstid (dager; tomt beholder tavla som den er)").fill("30")
    page.get_by_role("button", name="Lagre filter og lagringstid").click()
    expect(page.locator("#safety-message")).to_have_text("Lagret.")
    assert board.snapshot()["board"]["word_filter"] == ["svindel", "kjøp billig"]
    assert board.snapshot()["board"]["retention_days"] == 30

    board.post(board.join("Ola")["token"], "Dette er rein Svíndel!")
    queued = page.locator("#queue .note:not([hidden])")
    expect(queued).to_have_count(1)
    expect(queued.locator(".flag-reason")).to_have_text("Ordfilter: «svindel»")


def test_the_console_fits_360_px_and_is_saved_as_screenshots(
    server: Server, open_page: OpenPage
) -> None:
    """The console with a flagged note, a ban, keys and audit entries has no sideways scrolling
    at 360 px; screenshots at 360 and 1280 px go to build/screenshots/moderate-safety-*.png."""
    board = make_board(server, sections=["Strategi", "Eksempler"])
    board.api("PATCH", "", board.key, json={"word_filter": ["svindel"], "retention_days": 90})
    named_key(board, "Hilde")
    kari = board.join("Kari")
    note = board.post(kari["token"], "Utslippsfrie byggeplasser i alle kontrakter", sdgs=[13])
    board.api("PATCH", f"/notes/{note['id']}", board.key, json={"body": note["body"] + " fra 2026"})
    board.post(board.join("Ola")["token"], "Dette er svindel", sdgs=[12])
    spam = board.join("Spam")
    board.post(spam["token"], "Kjøp klokker", sdgs=[8])
    board.api("POST", f"/participants/{spam['id']}/ban", board.key)
    for width in (360, 1280):
        page = console(board, open_page, width=width)
        expect(page.locator("#audit-list .audit-entry")).to_have_count(4)
        expect(page.locator("#queue .flag-reason")).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, f"the console scrolls sideways at {width} px"
        screenshot(page, "moderate-safety")


# --- the host's day (#17) ------------------------------------------------------------------------


def watch_requests(page: Page) -> list[str]:
    """Every request the page makes from now on, as "METHOD path"."""
    seen: list[str] = []
    page.on(
        "request", lambda r: seen.append(f"{r.method} {r.url.split('://', 1)[1].split('/', 1)[1]}")
    )
    return seen


def test_the_console_learns_the_keys_role_from_moderators_me_without_probing(
    server: Server, open_page: OpenPage
) -> None:
    """The owner's console and a named key's console each ask GET moderators/me once, name the
    key in the top bar, and offer key management to the owner only; neither sends a DELETE,
    and the server's log has no revoke attempt."""
    board = make_board(server)
    hilde = named_key(board, "Hilde")
    owner = open_page("about:blank")
    owner_requests = watch_requests(owner)
    owner.goto(board.moderate_url)
    expect(owner.locator("#connection")).to_have_attribute("data-state", "live")
    expect(owner.locator("#key-who")).to_have_text("Nøkkel: Moderator (eier)")
    expect(owner.locator("#key-create-form")).to_be_visible()
    expect(owner.locator("#key-list .key-entry").first.locator(".flag-you")).to_have_text(
        "Denne fanen"
    )

    cohost = open_page("about:blank")
    cohost_requests = watch_requests(cohost)
    cohost.goto(f"{board.url}/moderate#key={hilde}")
    expect(cohost.locator("#key-who")).to_have_text("Nøkkel: Hilde")
    expect(cohost.locator("#keys-owner-only")).to_be_visible()
    expect(cohost.locator("#key-create-form")).to_be_hidden()
    expect(cohost.locator("#key-list .key-entry").nth(1).locator(".flag-you")).to_be_visible()
    cohost.locator("#language").click()
    expect(cohost.locator("#key-who")).to_have_text("Key: Hilde")
    for seen in (owner_requests, cohost_requests):
        me = f"GET api/boards/{board.slug}/moderators/me"
        assert seen.count(me) == 1, seen
        assert not [r for r in seen if r.startswith("DELETE")], seen
    assert f"DELETE /api/boards/{board.slug}/moderators" not in server.stdout()


def test_a_wrong_or_missing_key_is_said_at_once_and_the_key_card_fits_360_px(
    server: Server, open_page: OpenPage
) -> None:
    """With a wrong key the top bar says "Feil nøkkel" and the form says why, with no key
    "Trenger moderatornøkkel", neither ever "Kobler til"; at 360 px the key card keeps a margin
    from both screen edges; the right key then opens the console. Screenshots of both states at
    360, 1280 and 1920 px go to build/screenshots/moderate-key-*.png."""
    board = make_board(server)
    for width in (360, 1280, 1920):
        page = open_page(f"{board.url}/moderate#key=not-the-key", width=width)
        expect(page.locator("#connection")).to_have_attribute("data-state", "badkey")
        expect(page.locator("#connection")).to_have_text("Feil nøkkel")
        expect(page.locator("#key-error")).to_have_text("Nøkkelen passer ikke til denne tavla.")
        expect(page.locator("#key-input")).to_be_focused()
        card = page.locator("#key-form").bounding_box()
        assert card is not None and card["x"] >= 12 and card["x"] + card["width"] <= width - 12
        assert page.evaluate("document.documentElement.scrollWidth - innerWidth") <= 0
        screenshot(page, "moderate-key-wrong")

        empty = open_page(f"{board.url}/moderate", width=width)
        expect(empty.locator("#connection")).to_have_attribute("data-state", "nokey")
        expect(empty.locator("#connection")).to_have_text("Trenger moderatornøkkel")
        expect(empty.locator("#key-error")).to_be_hidden()
        screenshot(empty, "moderate-key-missing")

    participant = open_page(f"{board.url}/moderate#key={board.join('Kari')['token']}")
    expect(participant.locator("#key-error")).to_contain_text("ikke en moderatornøkkel")
    participant.fill("#key-input", board.key)
    participant.locator("#key-form button[type=submit]").click()
    expect(participant.locator("#connection")).to_have_attribute("data-state", "live")
    expect(participant.locator("#key-who")).to_have_text("Nøkkel: Moderator (eier)")


def test_selected_and_all_pending_notes_are_approved_in_bulk(
    server: Server, open_page: OpenPage
) -> None:
    """Ticking two pending notes and "approve 2 selected" puts both on a participant's wall;
    "approve all" asks first (nothing happens before yes), then publishes the rest; the audit
    trail has one approve per note."""
    board = make_board(server, moderation="pre")
    kari = board.join("Kari")
    texts = ["Gjenbruk av kontormøbler", "Krav til utslippsfrie maskiner", "Felles rammeavtale"]
    notes = [board.post(kari["token"], text) for text in texts]
    wall = open_page(board.url)
    page = console(board, open_page)
    queue = page.locator("#queue")  # cards that leave the queue are hidden, not removed
    expect(queue.locator(".note:not([hidden])")).to_have_count(3)
    approve_selected = page.locator("#approve-selected")
    expect(approve_selected).to_be_disabled()
    for note in notes[:2]:
        queue.locator(f".note[data-id='{note['id']}']").get_by_role("checkbox").check()
    expect(approve_selected).to_have_text("Godkjenn 2 valgte")
    approve_selected.click()
    expect(wall.locator("#notes .note-body")).to_have_count(2)
    expect(queue.locator(".note:not([hidden])")).to_have_count(1)
    expect(page.locator("#message")).to_have_text("2 lapper godkjent.")
    expect(approve_selected).to_be_disabled()

    page.get_by_role("button", name="Godkjenn den som venter").click()
    expect(page.locator("#approve-all-text")).to_have_text("Publisere lappen som venter?")
    page.wait_for_timeout(300)
    expect(wall.locator("#notes .note-body")).to_have_count(2)  # nothing before "yes"
    page.get_by_role("button", name="Ja, godkjenn alle").click()
    expect(wall.locator("#notes .note-body")).to_have_count(3)
    expect(page.locator("#queue-empty")).to_be_visible()
    expect(page.locator("#queue-tools")).to_be_hidden()
    approves = page.locator("#audit-list .audit-entry[data-action='approve']")
    expect(approves).to_have_count(3)


def test_the_pending_count_is_shown_before_lock_and_export(
    server: Server, open_page: OpenPage
) -> None:
    """With notes waiting, the settings panel says how many and that the archive leaves them
    out, in bokmål and English; locking asks first with the count (cancel keeps the board
    open); with none waiting the warning goes and the lock is at once. Screenshots at 360,
    1280 and 1920 px: build/screenshots/moderate-pending-*.png."""
    board = make_board(server, moderation="pre")
    kari = board.join("Kari")
    notes = [board.post(kari["token"], f"Forslag om ombruk nummer {n}") for n in (1, 2)]
    for width in (360, 1920):
        screenshot(console(board, open_page, width=width), "moderate-pending")
    page = console(board, open_page)
    warning = page.locator("#pending-warning")
    expect(warning).to_have_text("2 lapper venter på godkjenning: de kommer ikke med i arkivet.")
    page.locator("#lock").click()
    expect(page.locator("#lock-confirm-text")).to_contain_text("2 lapper venter på godkjenning")
    expect(page.locator("#lock-yes")).to_be_focused()
    expect(warning).to_be_hidden()  # the question carries the count now
    screenshot(page, "moderate-pending")
    page.get_by_role("button", name="Avbryt").click()
    expect(page.locator("#lock")).to_be_focused()
    expect(warning).to_be_visible()
    assert board.snapshot()["board"]["locked"] is False
    page.locator("#lock").click()
    page.locator("#lock-yes").click()
    expect(page.locator("#lock")).to_have_text("Lås opp tavla")
    assert board.snapshot()["board"]["locked"] is True

    page.locator("#language").click()
    expect(warning).to_have_text(
        "2 notes are waiting for approval: they will not be in the archive."
    )
    board.api("POST", "/notes/approve", board.key, json={"ids": [notes[0]["id"]]})
    expect(warning).to_have_text("1 note is waiting for approval: it will not be in the archive.")
    board.api("POST", "/notes/approve", board.key, json={"ids": [notes[1]["id"]]})
    expect(warning).to_be_hidden()
    page.locator("#lock").click()  # unlock
    page.locator("#lock").click()  # and lock again: nothing waits, no question
    expect(page.locator("#lock-confirm")).to_be_hidden()
    expect(page.locator("#lock")).to_have_text("Unlock the board")
