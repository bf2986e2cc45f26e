"""The board snapshot built once and served as ready bytes (snapshots.py): one build for a crowd,
one entry per role class, gzip, 304s, and what outdates an entry. The real app on SQLite and
PostgreSQL; builds are counted by wrapping the real build function, time is moved by a clock
the cache is given (no test waits for it)."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import time
import uuid
from typing import Any

import httpx2
import pytest
from conftest import ADMIN_TOKEN, Api, auth
from sqlmodel import col, select
from starlette.testclient import TestClient

from board.app import create_app
from board.domain import boards, notes
from board.domain.access import Credentials, load_board
from board.domain.boards import SnapshotRows
from board.domain.schemas import NoteCreate
from board.domain.views import note_view, note_with_comments
from board.live.hub import Hub
from board.settings import Settings
from board.store.db import Store
from board.store.events import committed_after
from board.store.models import Note
from board.web import snapshots
from board.web.snapshots import GAP_FACTOR, INTERVAL, MAX_AGE, Build, Snapshots, matches

HERD = 100
VARY = "Accept-Encoding, Authorization"


class Counted:
    """The cache's real build function, counting its calls; with a gate, each call waits for it."""

    def __init__(self, build: Build, gate: threading.Event | None = None) -> None:
        self.build = build
        self.gate = gate
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, store: Store, slug: str, moderator: bool) -> SnapshotRows:
        with self.lock:
            self.calls += 1
        if self.gate is not None:
            assert self.gate.wait(30), "the test never opened the gate"
        return self.build(store, slug, moderator)


class Clock:
    """A monotonic clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def cache_of(client: TestClient) -> Snapshots:
    cache: Snapshots = client.app.state.snapshots  # type: ignore[attr-defined]
    return cache


def counted(client: TestClient) -> tuple[Counted, Clock]:
    """Count the builds of the client's app from now on, and give it a clock the test moves."""
    cache = cache_of(client)
    counter, clock = Counted(cache.build), Clock()
    cache.build, cache.clock = counter, clock
    return counter, clock


def get(api: Api, slug: str, token: str | None = None, **headers: str) -> Any:
    return api.client.get(f"/api/boards/{slug}", headers={**auth(token), **headers})


def post_unseen(store: Store, slug: str, token: str, body: str) -> None:
    """Post a note as another process would: through a Store the app is not told about."""
    other = Store(store.engine)
    spec = NoteCreate(client_id=uuid.uuid4().hex, body=body)
    notes.post_note(other, slug, spec, Credentials(token, None))


def bodies(snapshot: dict[str, Any]) -> list[str]:
    return [note["body"] for note in snapshot["notes"]]


# --- a crowd ------------------------------------------------------------------------------------


def test_a_herd_of_100_simultaneous_requests_builds_the_snapshot_once(
    api: Api, store: Store, settings: Settings
) -> None:
    """100 requests in flight at once for one board: one build, 100 identical 200 answers."""
    slug, key = api.create_board()
    for number in range(5):
        api.note(slug, key, f"Idé {number}")
    app = create_app(settings, store)
    cache: Snapshots = app.state.snapshots
    gate = threading.Event()
    counter = Counted(cache.build, gate)
    cache.build = counter
    arrived = 0

    async def counting(scope: Any, receive: Any, send: Any) -> None:
        nonlocal arrived
        arrived += 1
        await app(scope, receive, send)

    async def herd() -> list[httpx2.Response]:
        transport = httpx2.ASGITransport(app=counting)
        async with httpx2.AsyncClient(transport=transport, base_url="http://board") as http:
            requests = [asyncio.create_task(http.get(f"/api/boards/{slug}")) for _ in range(HERD)]
            # Nothing in the app suspends a request before it waits for the build: once all
            # have arrived, all wait for the one build the gate holds.
            for _ in range(10_000):
                if arrived == HERD:
                    break
                await asyncio.sleep(0)
            assert arrived == HERD
            gate.set()
            return await asyncio.wait_for(asyncio.gather(*requests), 60)

    answers = asyncio.run(herd())
    assert counter.calls == 1
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert len({a.headers["etag"] for a in answers}) == 1
    assert bodies(answers[0].json()) == [f"Idé {n}" for n in reversed(range(5))]


def test_viewers_and_participants_share_one_entry_and_its_bytes(api: Api) -> None:
    """No token and a participant's token get the same bytes and ETag from one build."""
    slug, key = api.create_board()
    api.note(slug, key, "Felles")
    token = api.join(slug)["token"]
    counter, _ = counted(api.client)
    viewer, participant = get(api, slug), get(api, slug, token)
    assert viewer.content == participant.content
    assert viewer.headers["etag"] == participant.headers["etag"]
    assert counter.calls == 1


# --- role classes ---------------------------------------------------------------------------------


def test_moderators_get_their_own_entry_and_nothing_leaks_to_everyone_else(api: Api) -> None:
    """Pending and hidden notes, flag reasons and the word filter reach the moderator class only,
    whichever class was built first."""
    slug, key = api.create_board(moderation="pre")
    patch = api.client.patch(
        f"/api/boards/{slug}", json={"word_filter": ["svindel"]}, headers=auth(key)
    )
    assert patch.status_code == 200
    token = api.join(slug)["token"]
    shown, hidden, pending = (api.note(slug, token, b)["id"] for b in ("Vist", "Skjult", "Venter"))
    api.note(slug, token, "Dette er svindel")  # held by the word filter, with a reason
    for note_id, status in ((shown, "visible"), (hidden, "visible"), (hidden, "hidden")):
        response = api.client.patch(
            f"/api/boards/{slug}/notes/{note_id}", json={"status": status}, headers=auth(key)
        )
        assert response.status_code == 200, response.text

    moderator = get(api, slug, key)
    viewer = get(api, slug)
    admin = get(api, slug, ADMIN_TOKEN)
    participant = get(api, slug, token)
    assert sorted(bodies(moderator.json())) == sorted(
        ["Vist", "Skjult", "Venter", "Dette er svindel"]
    )
    assert pending in [n["id"] for n in moderator.json()["notes"]]
    assert admin.content == moderator.content
    assert bodies(viewer.json()) == bodies(participant.json()) == ["Vist"]
    assert "word_filter" in moderator.json()["board"]
    assert b"word_filter" not in viewer.content and b"flag_reason" not in viewer.content
    assert moderator.headers["etag"] != viewer.headers["etag"]
    assert moderator.headers["cache-control"] == "private, no-cache"
    assert viewer.headers["cache-control"] == "no-cache"
    # A 304 only for the copy of one's own class.
    assert get(api, slug, **{"If-None-Match": moderator.headers["etag"]}).status_code == 200
    assert get(api, slug, key, **{"If-None-Match": viewer.headers["etag"]}).status_code == 200


def test_a_token_is_checked_on_every_request_as_before(api: Api) -> None:
    """With the entry current: an unknown token is 401, a malformed header 401, a banned
    participant 403, a revoked moderator key 401; each time the same envelope as other routes."""
    slug, key = api.create_board()
    kari = api.join(slug)
    assert get(api, slug).status_code == 200  # the everyone entry is built and current
    assert get(api, slug, key).status_code == 200

    unknown = get(api, slug, "x" * 43)
    assert unknown.status_code == 401
    assert (
        unknown.json()
        == api.client.get(f"/api/boards/{slug}/events", headers=auth("x" * 43)).json()
    )
    assert unknown.json()["error"]["code"] == "invalid_token"
    malformed = api.client.get(f"/api/boards/{slug}", headers={"Authorization": "Basic abc"})
    assert (malformed.status_code, malformed.json()["error"]["code"]) == (401, "invalid_token")

    banned = api.client.post(f"/api/boards/{slug}/participants/{kari['id']}/ban", headers=auth(key))
    assert banned.status_code == 200, banned.text
    refused = get(api, slug, kari["token"])
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "banned")

    made = api.client.post(
        f"/api/boards/{slug}/moderators", json={"name": "Hilde"}, headers=auth(key)
    ).json()
    assert get(api, slug, made["key"]).status_code == 200
    revoked = api.client.delete(f"/api/boards/{slug}/moderators/{made['id']}", headers=auth(key))
    assert revoked.status_code == 204
    assert get(api, slug, made["key"]).status_code == 401


def test_an_unknown_board_is_404_and_is_found_once_it_exists(api: Api) -> None:
    """404 with the usual envelope, nothing kept: a board made a moment later is served."""
    slug = f"kommer-{uuid.uuid4().hex[:8]}"
    cache = cache_of(api.client)
    missing = get(api, slug)
    assert (missing.status_code, missing.json()) == (
        404,
        {"error": {"code": "not_found", "message": "board not found"}},
    )
    assert get(api, slug, "x" * 43).status_code == 404  # as before: the board is looked up first
    assert len(cache) == 0
    api.create_board(slug=slug)
    assert get(api, slug).json()["board"]["slug"] == slug


# --- conditional requests and encodings ---------------------------------------------------------


def test_a_current_copy_gets_a_304_without_a_build(api: Api) -> None:
    """If-None-Match with the ETag: 304 with the same ETag, Vary and no body, and no build;
    a list naming it or `*` too; another tag gets the whole snapshot."""
    slug, key = api.create_board()
    api.note(slug, key, "Første")
    counter, _ = counted(api.client)
    first = get(api, slug)
    etag = first.headers["etag"]
    assert etag.startswith('W/"') and first.headers["vary"] == VARY
    for header in (etag, etag.removeprefix("W/"), f'"other", {etag}', "*"):
        again = get(api, slug, **{"If-None-Match": header})
        assert again.status_code == 304, header
        assert again.content == b""
        assert (again.headers["etag"], again.headers["vary"]) == (etag, VARY)
    assert get(api, slug, **{"If-None-Match": 'W/"1-1-everyone-0"'}).status_code == 200
    assert counter.calls == 1


def test_gzip_when_accepted_identity_otherwise_the_same_json(api: Api) -> None:
    """Accept-Encoding gzip gets the entry's gzip; identity or gzip;q=0 the JSON as it is; both
    decode to the same snapshot, with the same ETag and Vary, from one build."""
    slug, key = api.create_board()
    for number in range(4):  # the burst a token may post
        api.note(slug, key, f"Idé {number}: sirkulære anskaffelser og gjenbruk i kontraktene " * 8)
    counter, _ = counted(api.client)
    url = f"/api/boards/{slug}"
    with api.client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as zipped:
        raw = b"".join(zipped.iter_raw())
    plain = api.client.get(url, headers={"Accept-Encoding": "identity"})
    refused = api.client.get(url, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers and "content-encoding" not in refused.headers
    assert len(raw) < len(plain.content)
    assert gzip.decompress(raw) == plain.content == refused.content
    assert json.loads(plain.content) == api.snapshot(slug)
    assert zipped.headers["etag"] == plain.headers["etag"] == refused.headers["etag"]
    assert zipped.headers["vary"] == plain.headers["vary"] == VARY
    assert plain.headers["content-type"] == "application/json"
    assert counter.calls == 1


# --- what outdates an entry ---------------------------------------------------------------------


def test_a_write_in_this_process_is_in_the_next_snapshot(api: Api) -> None:
    """A new note changes the snapshot and its ETag at once (the clock stands still); an erased
    participant's text is gone from the very next one."""
    slug, key = api.create_board()
    kari = api.join(slug)
    api.note(slug, kari["token"], "Kari sin idé")
    counter, _ = counted(api.client)
    before = get(api, slug)
    assert get(api, slug).headers["etag"] == before.headers["etag"]
    api.note(slug, key, "Ny fra moderator")
    after = get(api, slug)
    assert after.headers["etag"] != before.headers["etag"]
    assert after.json()["seq"] > before.json()["seq"]
    assert bodies(after.json()) == ["Ny fra moderator", "Kari sin idé"]

    erased = api.client.delete(
        f"/api/boards/{slug}/participants/{kari['id']}", headers=auth(kari["token"])
    )
    assert erased.status_code == 204
    gone = get(api, slug)
    assert bodies(gone.json()) == ["Ny fra moderator"]
    assert b"Kari" not in gone.content
    assert counter.calls == 3


def test_a_write_this_process_did_not_see_shows_once_the_interval_passes(
    api: Api, store: Store
) -> None:
    """A note posted elsewhere: the entry is served until INTERVAL has passed, then rebuilt
    with the note and a new ETag."""
    slug, _key = api.create_board()
    token = api.join(slug)["token"]
    counter, clock = counted(api.client)
    first = get(api, slug)
    post_unseen(store, slug, token, "Fra en annen prosess")
    clock.now += INTERVAL / 2
    assert get(api, slug).headers["etag"] == first.headers["etag"]
    assert counter.calls == 1
    clock.now += INTERVAL / 2
    later = get(api, slug)
    assert later.headers["etag"] != first.headers["etag"]
    assert bodies(later.json()) == ["Fra en annen prosess"]
    assert counter.calls == 2


def test_a_live_board_is_current_while_the_hub_shows_no_newer_seq(
    client: TestClient, api: Api, store: Store
) -> None:
    """With the board followed live here, a quiet entry outlives INTERVAL (no build); an event
    the hub delivers (as from another process over Redis) outdates it; after MAX_AGE it is
    rebuilt anyway, and unchanged content keeps its ETag, so the client still gets a 304."""
    slug, key = api.create_board()
    token = api.join(slug)["token"]
    api.note(slug, key, "Første")
    counter, clock = counted(client)
    hub: Hub = client.app.state.hub  # type: ignore[attr-defined]
    with client.websocket_connect(f"/ws/boards/{slug}") as socket:
        socket.send_text(json.dumps({"type": "hello", "since": None, "token": None}))
        seq = socket.receive_json()["seq"]
        first = get(api, slug)
        assert first.json()["seq"] == seq
        clock.now += (INTERVAL + MAX_AGE) / 2
        assert get(api, slug).headers["etag"] == first.headers["etag"]
        assert counter.calls == 1

        post_unseen(store, slug, token, "Via Redis")
        with store.read() as session:
            board = load_board(session, slug)
            assert board.id is not None
            relayed = committed_after(session, board.id, seq)
        assert client.portal is not None
        client.portal.call(hub.publish, relayed)  # what the relay does with the others' events
        second = get(api, slug)
        assert bodies(second.json()) == ["Via Redis", "Første"]
        assert counter.calls == 2

        clock.now += MAX_AGE
        etag = second.headers["etag"]
        assert get(api, slug, **{"If-None-Match": etag}).status_code == 304
        assert counter.calls == 3


def test_while_a_refresh_is_under_way_the_crowd_gets_the_outdated_copy(
    api: Api, store: Store
) -> None:
    """Outdated by a write: the first request waits for the rebuild and gets the write; one that
    comes meanwhile gets the copy it had (under INTERVAL old) at once, without a second build."""
    slug, _key = api.create_board()
    token = api.join(slug)["token"]
    gate = threading.Event()
    gate.set()
    counter = Counted(boards.snapshot_rows, gate)

    async def unused(_board: int, _after: int) -> list[Any]:
        return []

    cache = Snapshots(store, Hub(unused), build=counter, clock=Clock())

    async def scene() -> None:
        old = await cache.get(slug, False)
        post_unseen(store, slug, token, "Ny")
        with store.read() as session:
            cache.committed(committed_after(session, old.board_id, old.seq))
        gate.clear()
        first = asyncio.create_task(cache.get(slug, False))
        for _ in range(10_000):  # until the rebuild is under way, held by the gate
            if counter.calls == 2:
                break
            await asyncio.sleep(0.001)
        assert counter.calls == 2
        assert await cache.get(slug, False) is old
        gate.set()
        fresh = await asyncio.wait_for(first, 30)
        assert fresh.seq > old.seq and b'"Ny"' in fresh.plain
        assert await cache.get(slug, False) is fresh

    asyncio.run(scene())
    assert counter.calls == 2


def test_after_a_reveal_a_request_waits_for_the_rebuild_instead_of_the_copy_from_before(
    api: Api, store: Store
) -> None:
    """A reveal outdates the entry like any write, but a request that comes while its refresh is
    under way waits for it: `board.reveal` sends every client to the snapshot for the notes the
    round held, and a copy from before the reveal would not have them."""
    slug, key = api.create_board()
    token = api.join(slug)["token"]
    path = f"/api/boards/{slug}"
    assert api.client.patch(path, json={"reveal": "blind"}, headers=auth(key)).status_code == 200
    api.note(slug, token, "Holdt tilbake")
    gate = threading.Event()
    gate.set()
    counter = Counted(boards.snapshot_rows, gate)

    async def unused(_board: int, _after: int) -> list[Any]:
        return []

    cache = Snapshots(store, Hub(unused), build=counter, clock=Clock())

    async def scene() -> None:
        old = await cache.get(slug, False)
        assert b'"Holdt tilbake"' not in old.plain
        revealed = api.client.patch(path, json={"reveal": "instant"}, headers=auth(key))
        assert revealed.status_code == 200
        with store.read() as session:
            cache.committed(committed_after(session, old.board_id, old.seq))
        gate.clear()
        first = asyncio.create_task(cache.get(slug, False))
        for _ in range(10_000):  # until the rebuild is under way, held by the gate
            if counter.calls == 2:
                break
            await asyncio.sleep(0.001)
        crowd = [asyncio.create_task(cache.get(slug, False)) for _ in range(10)]
        await asyncio.sleep(0.05)
        assert not any(task.done() for task in crowd)
        gate.set()
        fresh = await asyncio.wait_for(first, 30)
        assert b'"Holdt tilbake"' in fresh.plain
        assert [await task for task in crowd] == [fresh] * len(crowd)

    asyncio.run(scene())
    assert counter.calls == 2


def test_only_an_outdated_entry_waits_out_the_spacing_between_builds(
    api: Api, store: Store
) -> None:
    """Builds slow enough that the spacing is MAX_AGE: an entry that merely aged (no newer seq
    known, nobody asked for a while) is rebuilt for its request at once; one outdated by a
    newer seq is rebuilt only once the spacing has passed, and its request waits for that."""
    slug, _key = api.create_board()
    token = api.join(slug)["token"]

    def slow(store: Store, slug: str, moderator: bool) -> SnapshotRows:
        time.sleep(MAX_AGE / GAP_FACTOR)
        return boards.snapshot_rows(store, slug, moderator)

    counter = Counted(slow)

    async def unused(_board: int, _after: int) -> list[Any]:
        return []

    clock = Clock()
    cache = Snapshots(store, Hub(unused), build=counter, clock=clock)

    async def scene() -> None:
        old = await cache.get(slug, False)
        clock.now += INTERVAL
        aged = await asyncio.wait_for(cache.get(slug, False), MAX_AGE / 2)
        assert aged is not old and counter.calls == 2
        post_unseen(store, slug, token, "Ny")
        with store.read() as session:
            cache.committed(committed_after(session, old.board_id, old.seq))
        waiting = asyncio.create_task(cache.get(slug, False))
        await asyncio.sleep(MAX_AGE / 5)
        assert not waiting.done() and counter.calls == 2
        waiting.cancel()

    asyncio.run(scene())


# --- the cache itself ---------------------------------------------------------------------------


def test_the_cache_keeps_a_bounded_number_of_entries(api: Api, store: Store) -> None:
    """Over max_entries, the least recently used key goes and is built again when asked."""
    slugs = [api.create_board(title=f"Tavle {n}")[0] for n in range(3)]
    counter = Counted(boards.snapshot_rows)

    async def unused(_board: int, _after: int) -> list[Any]:
        return []

    cache = Snapshots(store, Hub(unused), build=counter, clock=Clock(), max_entries=2)

    async def ask(*which: str) -> None:
        for slug in which:
            await cache.get(slug, False)

    asyncio.run(ask(slugs[0], slugs[1], slugs[0], slugs[2]))
    assert (len(cache), counter.calls) == (2, 3)
    asyncio.run(ask(slugs[0], slugs[2]))  # both kept: slugs[1] went
    assert counter.calls == 3
    asyncio.run(ask(slugs[1]))
    assert counter.calls == 4
    assert cache.size < 2 * 10_000


def test_a_rebuild_encodes_only_changed_notes_and_gives_the_same_bytes_as_from_scratch(
    api: Api, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After each kind of change (like, comment, edit, pin, hide, delete, a new note), a rebuild
    encodes only the notes whose rows changed, and its bytes are those of the whole snapshot
    encoded afresh, for both role classes."""
    slug, key = api.create_board(sections=["Strategi"])
    token = api.join(slug)["token"]
    ids = [api.note(slug, token, f"Idé {n}", targets=["12.7"])["id"] for n in range(5)]
    encoded = []
    monkeypatch.setattr(snapshots, "note_view", lambda *a: encoded.append(a) or note_view(*a))

    async def unused(_board: int, _after: int) -> list[Any]:
        return []

    cache = Snapshots(store, Hub(unused), clock=Clock())

    def rebuilt(moderator: bool) -> bytes:
        cache.clock.now += 60  # type: ignore[attr-defined]
        entry = asyncio.run(cache.get(slug, moderator))
        view = boards.snapshot_rows(store, slug, moderator).view()
        assert entry.plain == snapshots.dumps(view)
        return entry.plain

    for moderator in (False, True):
        rebuilt(moderator)
    assert len(encoded) == 10
    note = f"/api/boards/{slug}/notes"
    changes = [
        ("put", f"{note}/{ids[0]}/like", None, 1),
        ("post", f"{note}/{ids[1]}/comments", {"body": "Enig"}, 1),
        ("patch", f"{note}/{ids[2]}", {"body": "Endret"}, 1),
        ("patch", f"{note}/{ids[3]}", {"pinned": True}, 1),
        ("patch", f"{note}/{ids[4]}", {"status": "hidden"}, 0),  # gone for everyone
        ("delete", f"{note}/{ids[0]}", None, 0),
        ("post", note, {"body": "Ny idé", "client_id": str(uuid.uuid4())}, 1),
    ]
    for method, url, body, changed in changes:
        kwargs = {} if body is None else {"json": body}
        who = {"like": token, "notes": api.join(slug)["token"]}.get(url.rsplit("/", 1)[1], key)
        answer = api.client.request(method, url, headers=auth(who), **kwargs)
        assert answer.status_code < 300, answer.text
        encoded.clear()
        rebuilt(False)
        assert len(encoded) == changed, url
        encoded.clear()
        rebuilt(True)
        assert len(encoded) == (1 if url.endswith(str(ids[4])) else changed), url


def test_snapshot_notes_are_what_views_make_of_the_orm_rows(api: Api, store: Store) -> None:
    """The snapshot reads notes and comments as plain rows: each note, comments included, is
    exactly what views.py makes of the ORM objects, for both role classes, in board order."""
    slug, key = api.create_board(moderation="pre", sections=["Strategi"])
    token = api.join(slug)["token"]
    made = [
        api.note(slug, token, f"Idé {n}", targets=["12.7"], link="https://www.dfo.no/")["id"]
        for n in range(3)
    ]
    for note_id in made[:2]:
        approve = api.client.patch(
            f"/api/boards/{slug}/notes/{note_id}",
            json={"status": "visible", "pinned": note_id == made[1]},
            headers=auth(key),
        )
        assert approve.status_code == 200
    for body in ("Enig", "Uenig"):
        comment = api.client.post(
            f"/api/boards/{slug}/notes/{made[0]}/comments", json={"body": body}, headers=auth(key)
        )
        assert comment.status_code == 201, comment.text
    for moderator in (False, True):
        rows = boards.snapshot_rows(store, slug, moderator)
        board_id, view = rows.board_id, rows.view()
        with store.read() as session:
            rows = session.exec(
                select(Note).where(Note.board_id == board_id, col(Note.deleted_at).is_(None))
            ).all()
            expected = {
                n.id: note_with_comments(session, n, moderator)
                for n in rows
                if moderator or n.status == "visible"
            }
        board_order = sorted(
            expected.values(), key=lambda n: (not n["pinned"], n["position"], -n["id"])
        )
        assert view["notes"] == board_order
        assert view["notes"][0]["id"] == made[1]  # pinned
        assert [c["body"] for c in expected[made[0]]["comments"]] == ["Enig", "Uenig"]


def test_if_none_match_is_compared_weakly() -> None:
    """A tag matches with or without W/, in a list, or as `*`; anything else does not."""
    etag = 'W/"3-17-everyone-0123456789abcdef"'
    assert matches(etag, etag)
    assert matches('"3-17-everyone-0123456789abcdef"', etag)
    assert matches('"a", W/"3-17-everyone-0123456789abcdef"', etag)
    assert matches("*", etag)
    assert not matches(None, etag)
    assert not matches('W/"3-17-moderator-0123456789abcdef"', etag)
    assert not matches("", etag)
