"""The demo board that `board serve --demo` shows a newcomer, drawn from the webinar that started
this project (LUP's webinar on innovative procurement and the SDGs, December 2020): sections,
notes from a few participants (first names only, one anonymous) with goals, targets and colours,
likes, comments, and the moderator's pinned question."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from board.domain import boards, notes, participants
from board.domain.access import Credentials
from board.domain.schemas import (
    BoardCreate,
    Color,
    CommentCreate,
    NoteCreate,
    NoteUpdate,
    ParticipantCreate,
)
from board.errors import ApiError
from board.store.db import Store

SLUG = "demo"
TITLE = "Innovative anskaffelser og bærekraftsmålene"
DESCRIPTION = (
    "Del ett grep din virksomhet kan ta for å nå bærekraftsmålene gjennom anskaffelser. "
    "Merk lappen med målene og delmålene den handler om, og lik det du vil høre mer om."
)
SECTIONS = ["Strategi og forankring", "Eksempler fra kommunene", "Innovasjon i praksis"]
MODERATOR = "moderator"  # the owner key's notes
ANONYMOUS = ""


@dataclass(frozen=True)
class DemoNote:
    author: str  # a first name, ANONYMOUS, or MODERATOR
    section: int  # index in SECTIONS
    text: str
    color: Color = "yellow"
    sdgs: list[int] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)  # each adds its goal
    liked_by: list[str] = field(default_factory=list)
    comments: list[tuple[str, str]] = field(default_factory=list)  # (author, text)
    pinned: bool = False


NOTES = [
    DemoNote(
        MODERATOR,
        0,
        "Hvilket grep kan din virksomhet ta i år for at anskaffelsene bidrar til "
        "bærekraftsmålene? Én idé per lapp – merk den med mål eller delmål.",
        color="white",
        targets=["12.7"],
        pinned=True,
    ),
    DemoNote(
        "Kari",
        0,
        "Bruk bærekraftsmålene som strategiske retningslinjer for anskaffelsene, "
        "ikke bare som pynt i strategidokumentet.",
        targets=["12.7", "17.14"],
        liked_by=["Ola", "Ingrid", "Sigrid"],
    ),
    DemoNote(
        ANONYMOUS,
        0,
        "Mål og rapporter på indikatoren for bærekraftige anskaffelser (12.7.1), slik DFØ har "
        "vært med på å pilotere.",
        color="blue",
        targets=["12.7"],
        liked_by=["Per"],
        comments=[
            ("Ola", "Finnes det en veileder for hvordan en kommune rapporterer på den?"),
            ("Sigrid", "DFØ har en side om metoden. Vi startet med de ti største avtalene."),
        ],
    ),
    DemoNote(
        "Ola",
        0,
        "Forankre den grønne innkjøpsstrategien politisk, så målene overlever budsjettrundene.",
        color="green",
        sdgs=[11],
        targets=["13.2"],
        liked_by=["Kari", "Jonas"],
    ),
    DemoNote(
        "Sigrid",
        0,
        "Knytt anskaffelsesstrategien til en handlingsplan med konkrete mål for hvert år.",
        color="orange",
        targets=["12.7", "16.6"],
    ),
    DemoNote(
        "Ingrid",
        1,
        "Utslippsfrie byggeplasser: krav i alle kommunens byggekontrakter fra 2025.",
        color="green",
        targets=["11.6", "13.2"],
        liked_by=["Kari", "Ola", "Per", "Jonas"],
        comments=[
            ("Per", "Hvordan gjør dere det når få leverandører har elektriske maskiner ennå?"),
            ("Ingrid", "Vi varslet markedet to år før kravet gjaldt. Det hjalp mye."),
        ],
    ),
    DemoNote(
        ANONYMOUS,
        1,
        "Et verktøy som kobler hver anskaffelse til målene og delmålene kommunen har valgt.",
        color="pink",
        sdgs=[11],
        targets=["12.7"],
        liked_by=["Sigrid", "Ingrid"],
    ),
    DemoNote(
        "Per",
        1,
        "Felles innkjøp av elektriske anleggsmaskiner på tvers av kommunene i regionen.",
        targets=["7.2", "13.2"],
        liked_by=["Ingrid"],
    ),
    DemoNote(
        "Jonas",
        1,
        "Møbler og mobilitet: still krav om ombruk og reparasjon, og kjøp brukt der det går.",
        color="purple",
        targets=["12.5"],
        liked_by=["Kari", "Sigrid"],
        comments=[("Kari", "Vi fikk gode tilbud på brukte kontormøbler. Prøv det!")],
    ),
    DemoNote(
        "Kari",
        2,
        "Spør etter behovet, ikke løsningen: la leverandørene foreslå det vi ikke visste fantes.",
        targets=["9.5"],
        liked_by=["Ola", "Ingrid", "Per", "Sigrid", "Jonas"],
        comments=[
            ("Jonas", "Enig! Funksjonskrav ga oss langt bedre tilbud enn en lang kravliste."),
        ],
    ),
    DemoNote(
        ANONYMOUS,
        2,
        "Leverandørdialog før konkurransen – inviter også små og nye leverandører.",
        color="orange",
        targets=["8.3", "17.17"],
        liked_by=["Kari", "Per"],
        comments=[("Sigrid", "Gjerne et åpent dialogmøte, så alle får den samme informasjonen.")],
    ),
    DemoNote(
        "Ola",
        2,
        "Vekt livsløpskostnader og sirkulære løsninger høyere enn laveste pris ved tildeling.",
        color="blue",
        sdgs=[8],
        targets=["12.2", "12.5"],
        liked_by=["Jonas", "Ingrid"],
    ),
    DemoNote(
        "Sigrid",
        2,
        "Offentlige innkjøpere er samfunnsutviklere: det vi etterspør, former markedet.",
        color="pink",
        sdgs=[9, 12],
        liked_by=["Ola"],
    ),
]


def create_demo(store: Store) -> tuple[dict[str, Any], str]:
    """Create the demo board, or give the existing one a fresh key; returns (board, key)."""
    try:
        board, key = boards.create_board(
            store,
            BoardCreate(title=TITLE, slug=SLUG, description=DESCRIPTION, sections=SECTIONS),
        )
    except ApiError:  # the demo exists; its old key was shown once and may be lost
        existing = boards.snapshot(store, SLUG, Credentials(None, None))["board"]
        return existing, boards.new_owner_key(store, SLUG)
    fill(store, board, key)
    return board, key


def fill(store: Store, board: dict[str, Any], key: str) -> None:
    """Post NOTES on the new demo board as their authors, then their likes and comments."""
    section_ids = [section["id"] for section in board["sections"]]
    moderator = Credentials(key, None)
    tokens: dict[str, str] = {}

    def as_author(name: str) -> Credentials:
        if name == MODERATOR:
            return moderator
        if name not in tokens:
            joined = participants.join(store, SLUG, ParticipantCreate(name=name))
            tokens[name] = joined["token"]
        return Credentials(tokens[name], None)

    # New notes go on top: posting the last first shows them in the order written here.
    for number, demo in reversed(list(enumerate(NOTES))):
        spec = NoteCreate(
            client_id=f"demo-{number}",
            body=demo.text,
            sdgs=demo.sdgs,
            targets=demo.targets,
            section_id=section_ids[demo.section],
            color=demo.color,
        )
        note, _ = notes.post_note(store, SLUG, spec, as_author(demo.author))
        if demo.pinned:
            notes.update_note(store, SLUG, note["id"], NoteUpdate(pinned=True), None, moderator)
        for name in demo.liked_by:
            notes.set_like(store, SLUG, note["id"], True, as_author(name))
        for name, text in demo.comments:
            notes.add_comment(store, SLUG, note["id"], CommentCreate(body=text), as_author(name))
