"""The demo board that `board serve --demo` shows a newcomer, drawn from the webinar that started
this project (LUP's webinar on innovative procurement and the SDGs, December 2020)."""

from __future__ import annotations

from typing import Any

from board.domain import boards, notes, participants
from board.domain.access import Credentials
from board.domain.schemas import BoardCreate, NoteCreate, ParticipantCreate
from board.errors import ApiError
from board.store.db import Store

SLUG = "demo"
SECTIONS = ["Strategi og forankring", "Eksempler fra kommunene", "Innovative anskaffelser"]
# (author, section index, SDGs, text)
NOTES: list[tuple[str, int, list[int], str]] = [
    (
        "Kari",
        0,
        [12, 17],
        "Bruk bærekraftsmålene som strategiske retningslinjer for "
        "offentlige anskaffelser – ikke bare som pynt i strategien.",
    ),
    (
        "",
        0,
        [12],
        "Mål og rapporter på indikatoren for bærekraftige anskaffelser (12.7.1), "
        "slik DFØ har pilotert.",
    ),
    (
        "Ola",
        0,
        [11, 12, 13],
        "Forankre den grønne innkjøpsstrategien politisk, så den overlever budsjettrundene.",
    ),
    ("Ingrid", 1, [12, 13], "Utslippsfrie byggeplasser – krav i alle byggekontrakter fra 2025."),
    (
        "",
        1,
        [11, 12],
        "Lag et verktøy som kobler hver anskaffelse til målene og delmålene kommunen har valgt.",
    ),
    (
        "Per",
        1,
        [7, 13],
        "Felles innkjøp av elektriske anleggsmaskiner på tvers av kommunene i regionen.",
    ),
    (
        "Kari",
        2,
        [9, 12],
        "Spør etter behovet, ikke løsningen: la leverandørene foreslå det vi ikke visste fantes.",
    ),
    ("", 2, [9, 17], "Leverandørdialog før konkurransen – inviter også små og nye leverandører."),
    ("Ola", 2, [8, 12], "Vekt livsløpskostnader og sirkulære løsninger høyere enn laveste pris."),
]


def create_demo(store: Store) -> tuple[dict[str, Any], str]:
    """Create the demo board, or give the existing one a fresh key; returns (board, key)."""
    try:
        board, key = boards.create_board(
            store,
            BoardCreate(
                title="Innovative anskaffelser og bærekraftsmålene",
                slug=SLUG,
                description="Del ett grep din virksomhet kan ta for å nå bærekraftsmålene "
                "gjennom anskaffelser.",
                sections=SECTIONS,
            ),
        )
    except ApiError:  # the demo exists; its old key was shown once and may be lost
        return boards.snapshot(store, SLUG, Credentials(None, None))["board"], boards.new_owner_key(
            store, SLUG
        )
    section_ids = [section["id"] for section in board["sections"]]
    tokens: dict[str, str] = {}
    for number, (name, section, sdgs, text) in enumerate(NOTES):
        if name not in tokens:
            tokens[name] = participants.join(store, SLUG, ParticipantCreate(name=name))["token"]
        spec = NoteCreate(
            client_id=f"demo-{number}", body=text, sdgs=sdgs, section_id=section_ids[section]
        )
        notes.post_note(store, SLUG, spec, Credentials(tokens[name], None))
    return board, key
