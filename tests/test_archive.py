"""The archive end to end: the HTTP route, `board export`, the JSON backup and `board import`.

Boards are filled through the real API; the CLI runs as real subprocesses against the same
SQLite file or PostgreSQL database.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import ADMIN_TOKEN, Api, auth
from servers import BOARD, board_env, run_board
from starlette.testclient import TestClient
from test_cli import assert_one_line_error, moderator_key

from board.app import create_app
from board.archive import backup
from board.archive import contents as archive
from board.archive.export import Options, render
from board.domain import joincode
from board.settings import Settings
from board.store import db

PUBLIC_URL = "https://pinboard.example.no"
ROUND_TRIPS = [("sqlite", "postgresql"), ("postgresql", "sqlite")]


@pytest.fixture
def settings() -> Settings:
    """The app's settings here: links in archives start with PUBLIC_URL, as the CLI's do."""
    return Settings(admin_token=ADMIN_TOKEN, public_url=PUBLIC_URL)


def url_of(store: db.Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return board_env(tmp_path / "data", database_url, public_url=PUBLIC_URL)


def fill(api: Api) -> tuple[str, str]:
    """A board with one of everything an archive holds; returns (slug, moderator key)."""
    slug, key = api.create_board(
        title="Innovative anskaffelser # 2026",
        description="Webinar om bærekraftsmålene.\nSpørsmål? Skriv dem her.",
        sections=["Strategi", "Eksempler"],
        slug=f"arkiv-{uuid.uuid4().hex[:8]}",
    )
    board = api.snapshot(slug)["board"]
    strategy, examples = (s["id"] for s in board["sections"])
    assert api.client.patch(
        f"/api/boards/{slug}", json={"timezone": "Europe/Oslo"}, headers=auth(key)
    ).is_success
    kari, ola, anon, gone = (api.join(slug, n) for n in ("Kari", "Ola <b>", "", "Per"))

    def note(token: str, body: str, **fields: Any) -> int:
        return int(api.note(slug, token, body, **fields)["id"])

    first = note(
        kari["token"],
        "Utslippsfrie byggeplasser – krav i alle byggekontrakter fra 2025.\n# ikke en overskrift",
        sdgs=[12, 13],
        targets=["12.7", "13.2"],
        section_id=strategy,
        link="https://www.anskaffelser.no/",
    )
    second = note(ola["token"], "[lenke](javascript:alert(1)) og <script>", targets=["12.7"])
    third = note(anon["token"], "Anonymt innspill  ", section_id=examples, color="green")
    hidden = note(kari["token"], "Skjult innspill", sdgs=[5])
    pending = note(ola["token"], "Venter på godkjenning", sdgs=[5])
    deleted = note(kari["token"], "Angret innspill")
    note(gone["token"], "Innspill fra en som slettes", sdgs=[17])
    note(key, "Fra moderator", sdgs=[17], section_id=examples)

    def patch(note_id: int, **change: Any) -> None:
        response = api.client.patch(
            f"/api/boards/{slug}/notes/{note_id}", json=change, headers=auth(key)
        )
        assert response.status_code == 200, response.text

    patch(third, pinned=True, position=1.5)
    patch(hidden, status="hidden")
    patch(pending, status="pending")
    assert api.client.delete(
        f"/api/boards/{slug}/notes/{deleted}", headers=auth(kari["token"])
    ).is_success
    for who, target in ((ola, first), (anon, first), (kari, second)):
        assert api.client.put(
            f"/api/boards/{slug}/notes/{target}/like", headers=auth(who["token"])
        ).is_success
    for who, target, body in (
        (ola, first, "Enig!"),
        (gone, first, "Kommentar som slettes"),
        (key, second, "Takk for innspillet"),
    ):
        token = who if isinstance(who, str) else who["token"]
        assert api.client.post(
            f"/api/boards/{slug}/notes/{target}/comments", json={"body": body}, headers=auth(token)
        ).is_success
    assert api.client.delete(
        f"/api/boards/{slug}/participants/{gone['id']}", headers=auth(key)
    ).is_success
    return slug, key


def markdown(client: TestClient, slug: str, key: str | None, query: str = "") -> Any:
    return client.get(f"/api/boards/{slug}/export.md{query}", headers=auth(key))


# HTTP ----------------------------------------------------------------------------------------


def test_moderator_gets_the_markdown_archive(api: Api, store: db.Store) -> None:
    """GET export.md with the moderator key: 200, text/markdown UTF-8, the rendered archive."""
    slug, key = fill(api)
    response = markdown(api.client, slug, key)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    expected = render(archive.read(store, slug), Options(board_url=f"{PUBLIC_URL}/b/{slug}"))
    assert response.content == expected.encode("utf-8")
    assert "Skjult innspill" not in response.text and "Anonymt innspill" in response.text


def test_export_options_work_over_http(api: Api) -> None:
    """?include_hidden=true adds the hidden notes, marked; ?lang and ?group_by apply."""
    slug, key = fill(api)
    text = markdown(api.client, slug, key, "?include_hidden=true&lang=en&group_by=section").text
    assert "- Skjult innspill\n\n  **Hidden** · Kari ·" in text
    assert "## Strategi\n" in text and "## No section\n" in text


@pytest.mark.parametrize(
    ("who", "status"), [("participant", 403), (None, 401), ("bad", 401)], ids=str
)
def test_only_moderators_may_export(api: Api, who: str | None, status: int) -> None:
    """A participant gets 403, no token or a wrong one 401, each with the error envelope."""
    slug, _ = fill(api)
    token = {"participant": api.join(slug)["token"], None: None, "bad": "not-a-token"}[who]
    response = markdown(api.client, slug, token)
    assert response.status_code == status, response.text
    assert set(response.json()["error"]) == {"code", "message"}


@pytest.mark.parametrize(
    "query", ["?group_by=author", "?include_hidden=yes", "?lang=sv", "?lang=EN", "?anonymous=1"]
)
def test_bad_export_options_are_400(api: Api, query: str) -> None:
    """An unknown value of group_by, include_hidden, lang or anonymous is 400 bad_query, not a
    5xx."""
    slug, key = fill(api)
    response = markdown(api.client, slug, key, query)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "bad_query"


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [[], ["--include-hidden", "--lang", "en", "--group-by", "time"]],
    ids=["default", "options"],
)
def test_cli_and_http_give_the_same_bytes(
    api: Api, store: db.Store, tmp_path: Path, args: list[str]
) -> None:
    """`board export SLUG` writes exactly what GET export.md returns with the same options."""
    slug, key = fill(api)
    query = "?include_hidden=true&lang=en&group_by=time" if args else ""
    over_http = markdown(api.client, slug, key, query).content
    result = subprocess.run(
        [str(BOARD), "export", slug, *args],
        env=env(url_of(store), tmp_path),
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == over_http


def test_anonymous_export_over_http_and_cli_names_nobody(
    api: Api, store: db.Store, tmp_path: Path
) -> None:
    """?anonymous=true and --anonymous give the same archive, with Deltaker 1, 2, … for every
    author and commenter (the moderator included) and no participant's name left in it."""
    slug, key = fill(api)
    over_http = markdown(api.client, slug, key, "?anonymous=true")
    assert over_http.status_code == 200, over_http.text
    text = over_http.text
    for name in ("Kari", "Ola", "Per"):
        assert name not in text
    assert "Deltaker 1 ·" in text and "Deltaker 3 ·" in text and "*anonym*" not in text
    result = subprocess.run(
        [str(BOARD), "export", slug, "--anonymous"],
        env=env(url_of(store), tmp_path),
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == over_http.content


def test_the_archive_counts_the_notes_it_leaves_out(api: Api) -> None:
    """The exported board's pending and hidden notes are counted in one line (deleted ones not)."""
    slug, key = fill(api)
    text = markdown(api.client, slug, key).text
    assert (
        "\n1 innspill som venter på godkjenning og 1 skjult innspill er ikke med i dette arkivet.\n"
    ) in text
    hidden = markdown(api.client, slug, key, "?include_hidden=true&lang=en").text
    assert "This archive also holds 1 note waiting for approval, 1 hidden note and 2 deleted" in (
        hidden
    )


def test_without_a_public_url_neither_export_has_a_board_link(
    store: db.Store, tmp_path: Path
) -> None:
    """With BOARD_PUBLIC_URL unset, the HTTP export (whatever address it was asked on) and
    `board export` both leave the board link out, and give the same bytes."""
    with TestClient(create_app(Settings(admin_token=ADMIN_TOKEN), store)) as client:
        slug, key = fill(Api(client))
        over_http = markdown(client, slug, key)
    assert over_http.status_code == 200, over_http.text
    assert "- Tavle:" not in over_http.text and "/b/" not in over_http.text
    environment = board_env(tmp_path / "data", url_of(store))
    result = subprocess.run(
        [str(BOARD), "export", slug],
        env=environment,
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == over_http.content


def test_with_a_public_url_both_exports_link_the_board(api: Api) -> None:
    """With BOARD_PUBLIC_URL set the link is {BOARD_PUBLIC_URL}/b/{slug}, not the request's host
    (the CLI's bytes are compared in test_cli_and_http_give_the_same_bytes)."""
    slug, key = fill(api)
    assert f"- Tavle: <{PUBLIC_URL}/b/{slug}>\n" in markdown(api.client, slug, key).text


# CLI ------------------------------------------------------------------------------------------


def boards_in(database_url: str, count: int) -> tuple[db.Store, list[str]]:
    store = db.Store(db.create_engine(database_url))
    db.upgrade(store.engine)
    settings = Settings(database_url=database_url, admin_token=ADMIN_TOKEN)
    with TestClient(create_app(settings, store)) as client:
        api = Api(client)
        slugs = [api.create_board(title=f"Tavle {i}", slug=f"tavle-{i}")[0] for i in range(count)]
        for slug in slugs:
            api.note(slug, api.join(slug)["token"], f"Innspill på {slug}")
    return store, slugs


@pytest.mark.slow
def test_export_all_writes_one_file_per_board_and_a_line_each(tmp_path: Path) -> None:
    """--all --dir writes {slug}.md per board, equal to `board export SLUG`; a line per board."""
    database_url = f"sqlite:///{tmp_path / 'board.db'}"
    _, slugs = boards_in(database_url, 3)
    environment = env(database_url, tmp_path)
    result = run_board("export", "--all", "--dir", str(tmp_path / "out"), env=environment)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"Wrote {tmp_path / 'out' / s}.md" for s in slugs]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"{s}.md" for s in slugs]
    single = run_board("export", slugs[1], "-o", str(tmp_path / "one.md"), env=environment)
    assert single.returncode == 0, single.stderr
    assert (tmp_path / "out" / f"{slugs[1]}.md").read_bytes() == (tmp_path / "one.md").read_bytes()
    assert "Innspill på tavle-1" in (tmp_path / "one.md").read_text("utf-8")


@pytest.mark.slow
def test_export_all_on_a_terminal_shows_a_progress_bar(tmp_path: Path) -> None:
    """On a terminal --all shows a progress bar and a summary instead of a line per board."""
    database_url = f"sqlite:///{tmp_path / 'board.db'}"
    boards_in(database_url, 2)
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [str(BOARD), "export", "--all", "--dir", str(tmp_path / "out")],
        env=env(database_url, tmp_path),
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process has exited
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert process.wait(timeout=60) == 0, output
    text = output.decode("utf-8", errors="replace")
    assert "Exporting 2 boards" in text and "100%" in text, text
    assert f"Wrote 2 files to {tmp_path / 'out'}" in text
    assert "Wrote " + str(tmp_path / "out" / "tavle-0.md") not in text


@pytest.mark.parametrize(
    "args",
    [
        ["export"],
        ["export", "x", "--all", "--dir", "d"],
        ["export", "--all"],
        ["export", "x", "--dir", "d"],
        ["export", "--all", "--dir", "d", "-o", "f.md"],
        ["export", "x", "--format", "json", "--include-hidden"],
        ["export", "x", "--format", "json", "--anonymous"],
        ["export", "x", "--group-by", "author"],
        ["import", "missing.json"],
        ["import", "{file}", "--slug", "Not A Slug"],
    ],
    ids=" ".join,
)
def test_export_and_import_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    """Contradictory or missing arguments are usage errors: exit 2, nothing written."""
    (tmp_path / "backup.json").write_text("{}")
    args = [a.replace("{file}", str(tmp_path / "backup.json")) for a in args]
    result = run_board(*args, env=env(f"sqlite:///{tmp_path / 'board.db'}", tmp_path))
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not (tmp_path / "board.db").exists()


def test_export_of_an_unknown_board_is_one_line(tmp_path: Path) -> None:
    """`board export nope` says there is no such board and how to list them; exit 1."""
    result = run_board("export", "nope", env=env(f"sqlite:///{tmp_path / 'b.db'}", tmp_path))
    assert_one_line_error(result, "nope", "board list")


def test_export_into_a_missing_folder_names_it_in_one_line(tmp_path: Path) -> None:
    """-o into a folder that does not exist (or is a file): exit 1, one line naming it."""
    database_url = f"sqlite:///{tmp_path / 'board.db'}"
    _, slugs = boards_in(database_url, 1)
    missing = tmp_path / "missing" / "dir"
    result = run_board(
        "export", slugs[0], "-o", str(missing / "x.md"), env=env(database_url, tmp_path)
    )
    assert_one_line_error(result, f"the folder {missing} does not exist")
    assert "BOARD_DATA_DIR" not in result.stderr and ".x.md." not in result.stderr
    (tmp_path / "a-file").write_text("x")
    result = run_board(
        "export", slugs[0], "-o", str(tmp_path / "a-file" / "x.md"), env=env(database_url, tmp_path)
    )
    assert_one_line_error(result, f"{tmp_path / 'a-file'} is a file, not a folder")


def test_export_into_a_read_only_folder_says_it_is_not_writable(tmp_path: Path) -> None:
    """-o into a folder the user cannot write: exit 1, one line naming it as not writable. (Root
    writes through permissions, so as root the folder is a read-only tmpfs instead.)"""
    database_url = f"sqlite:///{tmp_path / 'board.db'}"
    _, slugs = boards_in(database_url, 1)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    as_root = os.geteuid() == 0
    if as_root:
        mount = ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(locked)]
        subprocess.run(mount, check=True)
    try:
        result = run_board(
            "export", slugs[0], "-o", str(locked / "x.md"), env=env(database_url, tmp_path)
        )
    finally:
        if as_root:
            subprocess.run(["umount", str(locked)], check=True)
    assert_one_line_error(result, f"the folder {locked} is not writable")


@pytest.mark.parametrize(("umask", "mode"), [("022", 0o644), ("027", 0o640), ("077", 0o600)])
def test_exported_files_get_the_usual_permissions(tmp_path: Path, umask: str, mode: int) -> None:
    """An exported file (single or --all, Markdown or JSON) is 0666 minus the umask, as a file
    made by any other program would be, and no temporary file is left beside it."""
    database_url = f"sqlite:///{tmp_path / 'board.db'}"
    _, slugs = boards_in(database_url, 1)
    environment = env(database_url, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    for args in (
        [slugs[0], "-o", str(out / "one.md")],
        [slugs[0], "--format", "json", "-o", str(out / "one.json")],
        ["--all", "--dir", str(out / "all")],
    ):
        result = subprocess.run(
            ["sh", "-c", f'umask {umask} && exec "$0" "$@"', str(BOARD), "export", *args],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
    files = [out / "one.md", out / "one.json", out / "all" / f"{slugs[0]}.md"]
    assert [f.stat().st_mode & 0o777 for f in files] == [mode] * 3
    assert sorted(p.name for p in out.iterdir()) == ["all", "one.json", "one.md"]


# Backup and import ---------------------------------------------------------------------------


def without_ids(document: dict[str, Any]) -> dict[str, Any]:
    """The backup with every id replaced by its place in the file (references follow)."""
    doc = json.loads(json.dumps(document))
    sections = {s["id"]: i for i, s in enumerate(doc["sections"])}
    people = {p["id"]: i for i, p in enumerate(doc["participants"])}
    notes = {n["id"]: i for i, n in enumerate(doc["notes"])}
    for number, entry in enumerate(doc.get("audit", [])):
        entry["id"] = number
        entry["note_id"] = None if entry["note_id"] is None else notes[entry["note_id"]]
        for data in (entry["before"], entry["after"]):
            if data is None:
                continue
            if "participant_id" in data:
                data["participant_id"] = people.get(data["participant_id"])
            if data.get("section_id") is not None:
                data["section_id"] = sections.get(data["section_id"])
            if "hidden" in data:
                data["hidden"] = [notes[i] for i in data["hidden"]]
            if "id" in data:  # a section's (renumbered) or a key's (not in a backup)
                kind = entry["action"].split(".")[0]
                data["id"] = sections.get(data["id"]) if kind == "section" else None
    for record in doc["sections"]:
        record["id"] = sections[record["id"]]
    for record in doc["participants"]:
        record["id"] = people[record["id"]]
    comment_number = 0
    for number, note in enumerate(doc["notes"]):
        note["id"] = number
        note["section_id"] = sections[note["section_id"]] if note["section_id"] else None
        for item in [note, *note["comments"]]:
            author = item["author"]["id"]
            item["author"]["id"] = None if author is None else people[author]
        for comment in note["comments"]:
            comment["id"], comment_number = comment_number, comment_number + 1
    return doc


def database(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    if backend == "postgresql":
        return str(request.getfixturevalue("new_database")())
    return f"sqlite:///{tmp_path / 'board.db'}"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("source", "target"), ROUND_TRIPS, ids=[f"{a}-to-{b}" for a, b in ROUND_TRIPS]
)
def test_backup_moves_a_board_to_the_other_database_unchanged(
    request: pytest.FixtureRequest, tmp_path: Path, source: str, target: str
) -> None:
    """export --format json → import elsewhere → export: same Markdown, same JSON but for ids."""
    there, here = database(request, source, tmp_path), database(request, target, tmp_path)
    store = db.Store(db.create_engine(there))
    db.upgrade(store.engine)
    settings = Settings(database_url=there, admin_token=ADMIN_TOKEN, public_url=PUBLIC_URL)
    with TestClient(create_app(settings, store)) as client:
        slug, _ = fill(Api(client))

    def export(database_url: str, name: str, *args: str) -> bytes:
        out = tmp_path / name
        result = run_board("export", slug, "-o", str(out), *args, env=env(database_url, tmp_path))
        assert result.returncode == 0, result.stderr
        return out.read_bytes()

    before = {
        "json": export(there, "a.json", "--format", "json"),
        "md": export(there, "a.md"),
        "hidden": export(there, "a-hidden.md", "--include-hidden", "--group-by", "section"),
    }
    # A board already there, so the imported sections get ids other than the ones in the file.
    made = run_board("create", "Finnes fra før", "--section", "Én", env=env(here, tmp_path))
    assert made.returncode == 0, made.stderr
    imported = run_board("import", str(tmp_path / "a.json"), env=env(here, tmp_path))
    assert imported.returncode == 0, imported.stderr
    assert f'Imported board "Innovative anskaffelser # 2026" ({slug}): 8 notes' in imported.stdout
    after = {
        "json": export(here, "b.json", "--format", "json"),
        "md": export(here, "b.md"),
        "hidden": export(here, "b-hidden.md", "--include-hidden", "--group-by", "section"),
    }
    assert after["md"] == before["md"]
    assert after["hidden"] == before["hidden"]
    old, new = json.loads(before["json"]), json.loads(after["json"])
    assert [n["targets"] for n in old["notes"]][:2] == [["12.7", "13.2"], ["12.7"]]
    assert new["sections"][0]["id"] != old["sections"][0]["id"]
    assert without_ids(new) == without_ids(old)

    # The printed key is the new board's moderator key.
    key = moderator_key(imported.stdout)
    settings = Settings(database_url=here, admin_token=ADMIN_TOKEN, public_url=PUBLIC_URL)
    with TestClient(create_app(settings)) as client:
        response = markdown(client, slug, key, "?include_hidden=true&group_by=section")
        assert response.content == after["hidden"]
    store.dispose()


@pytest.mark.slow
def test_import_under_another_slug_beside_the_original(tmp_path: Path) -> None:
    """A slug in use is refused with a hint; --slug NEW imports a copy that differs in slug only."""
    database_url = f"sqlite:///{tmp_path / 'board.db'}"
    _, (slug,) = boards_in(database_url, 1)
    environment = env(database_url, tmp_path)
    run_board("export", slug, "--format", "json", "-o", str(tmp_path / "a.json"), env=environment)
    clash = run_board("import", str(tmp_path / "a.json"), env=environment)
    assert_one_line_error(clash, slug, "--slug")
    copy = run_board("import", str(tmp_path / "a.json"), "--slug", "kopi", env=environment)
    assert copy.returncode == 0, copy.stderr
    assert f"{PUBLIC_URL}/b/kopi/moderate#key=" in copy.stdout
    exported = run_board("export", "kopi", "--format", "json", env=environment)
    original = json.loads((tmp_path / "a.json").read_text("utf-8"))
    again = without_ids(json.loads(exported.stdout))
    assert again["board"].pop("slug") == "kopi"
    # The original keeps its join code, so the copy gets a new one, and the output says so.
    new, old = again["board"].pop("code"), original["board"]["code"]
    assert new != old
    assert f"Join code: {new} (new: {old} belongs to another board here)" in copy.stdout
    del original["board"]["slug"], original["board"]["code"]
    assert again == without_ids(original)


def test_import_keeps_the_join_code_and_an_old_backup_gets_a_new_one(tmp_path: Path) -> None:
    """A version 4 backup keeps its code in a database where it is free, and says so; a version
    3 file (before join codes) imports with a new valid code, and the output says why."""
    here, there = (f"sqlite:///{tmp_path / name}" for name in ("here.db", "there.db"))
    _, (slug,) = boards_in(here, 1)
    saved = tmp_path / "a.json"
    exported = run_board(
        "export", slug, "--format", "json", "-o", str(saved), env=env(here, tmp_path)
    )
    assert exported.returncode == 0, exported.stderr
    code = json.loads(saved.read_text("utf-8"))["board"]["code"]
    moved = run_board("import", str(saved), env=env(there, tmp_path))
    assert moved.returncode == 0, moved.stderr
    assert f"Join code: {code}\n" in moved.stdout
    old = tmp_path / "old.json"
    version_3 = valid_backup() | {"version": 3}
    del version_3["board"]["code"], version_3["board"]["reveal"], version_3["notes"][0]["held"]
    old.write_text(json.dumps(version_3), "utf-8")
    imported = run_board("import", str(old), env=env(there, tmp_path))
    assert imported.returncode == 0, imported.stderr
    found = re.search(
        r"Join code: (\w+) \(new: the backup is from before join codes\)", imported.stdout
    )
    assert found is not None, imported.stdout
    assert joincode.normalise(found.group(1)) == found.group(1) != code


def test_backup_holds_no_secrets_and_is_versioned(api: Api, store: db.Store) -> None:
    """The JSON names its format and version and holds no token, key or hash."""
    slug, key = fill(api)
    participant = api.join(slug, "Siri")
    raw = backup.dump(archive.read(store, slug))
    document = json.loads(raw)
    assert (document["format"], document["version"]) == ("sdg-pinboard-backup", 5)
    assert key.encode() not in raw and participant["token"].encode() not in raw
    assert b"hash" not in raw and b"token" not in raw
    assert [p["name"] for p in document["participants"]] == ["Kari", "Ola <b>", "", "", "Siri"]
    assert raw.endswith(b"}\n") and raw == backup.dump(archive.read(store, slug))


def valid_backup() -> dict[str, Any]:
    t = "2026-11-26T09:15:00Z"
    return {
        "format": "sdg-pinboard-backup",
        "version": 5,
        "board": {
            "slug": "importert",
            "code": "K7MR4X",
            "title": "Importert",
            "description": "",
            "locale": "nb",
            "moderation": "post",
            "locked": False,
            "require_sdg": False,
            "timezone": "Europe/Oslo",
            "word_filter": ["svindel", "kjøp billig"],
            "retention_days": 90,
            "reveal": "blind",
            "created_at": t,
            "updated_at": t,
            "seq": 3,
        },
        "sections": [{"id": 4, "title": "A", "position": 0}],
        "participants": [
            {"id": 9, "name": "Kari", "created_at": t, "erased_at": None, "banned_at": t}
        ],
        "notes": [
            {
                "id": 12,
                "client_id": "abc",
                "section_id": 4,
                "author": {"id": 9, "name": "Kari"},
                "body": "Innspill",
                "link": None,
                "sdgs": [12],
                "targets": ["12.7"],
                "color": "yellow",
                "status": "visible",
                "pinned": False,
                "position": 0.0,
                "likes": 0,
                "version": 1,
                "created_at": t,
                "updated_at": t,
                "deleted_at": None,
                "flag_reason": None,
                "edited_by_moderator": True,
                "held": True,
                "comments": [
                    {
                        "id": 2,
                        "author": {"id": None, "name": "Moderator"},
                        "body": "Takk",
                        "created_at": t,
                        "deleted_at": None,
                    }
                ],
            }
        ],
        "audit": [
            {
                "id": 30,
                "at": t,
                "moderator": "Hilde",
                "action": "edit",
                "note_id": 12,
                "before": {"body": "Innspil"},
                "after": {"body": "Innspill"},
            },
            {
                "id": 31,
                "at": t,
                "moderator": "Moderator",
                "action": "ban",
                "note_id": None,
                "before": None,
                "after": {"participant_id": 9, "hidden": [12]},
            },
            {
                "id": 32,
                "at": t,
                "moderator": "Moderator",
                "action": "section.edit",
                "note_id": None,
                "before": {"id": 4, "title": "B"},
                "after": {"id": 4, "title": "A"},
            },
        ],
    }


def changed(path: str, value: Any) -> bytes:
    """A valid backup with the value at `path` (dot-separated, list indexes as numbers) replaced."""
    document = valid_backup()
    *parents, last = path.split(".")
    node: Any = document
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return json.dumps(document).encode()


BAD_FILES = {
    "not JSON": (b"{not json", "not JSON"),
    "empty": (b"", "not JSON"),
    "not UTF-8": (b'{"format": "\xff"}', "UTF-8"),
    "a list": (b"[]", "not an SDG Pinboard backup"),
    "another format": (changed("format", "trello"), "not an SDG Pinboard backup"),
    "no version": (changed("version", KeyError), "version"),
    "version as text": (changed("version", "1"), "version"),
    "newer version": (changed("version", 6), "version 6 backup, newer"),
    "held on an instant board": (changed("board.reveal", "instant"), 'reveal is not "blind"'),
    "unknown reveal": (changed("board.reveal", "later"), "board.reveal"),
    "bad join code": (changed("board.code", "K0MR4X"), "board.code"),
    "dangling audit note": (changed("audit.0.note_id", 13), "audit.0.note_id 13"),
    "repeated audit id": (changed("audit.1.id", 30), "same id"),
    "unknown action": (changed("audit.0.action", "Slett alt"), "audit.0.action"),
    "retention of 0 days": (changed("board.retention_days", 0), "board.retention_days"),
    "NaN": (changed("notes.0.position", float("nan")), "NaN"),
    "goal 18": (changed("notes.0.sdgs", [18]), "notes.0.sdgs.0"),
    "unknown target": (changed("notes.0.targets", ["12.99"]), "notes.0.targets"),
    "target without its goal": (changed("notes.0.targets", ["13.2"]), "goal 13 of a target"),
    "body too long": (changed("notes.0.body", "x" * 2001), "notes.0.body"),
    "empty body": (changed("notes.0.body", ""), "body is empty"),
    "unknown status": (changed("notes.0.status", "deleted"), "notes.0.status"),
    "javascript link": (changed("notes.0.link", "javascript:alert(1)"), "notes.0.link"),
    "NUL in a name": (changed("participants.0.name", "a\x00"), "participants.0.name"),
    "time without zone": (changed("notes.0.created_at", "2026-11-26T09:15:00"), "created_at"),
    "unknown time zone": (changed("board.timezone", "Mars/Olympus"), "board.timezone"),
    "bad slug": (changed("board.slug", "Stor Bokstav"), "board.slug"),
    "huge count": (changed("notes.0.likes", 2**31), "notes.0.likes"),
    "a token field": (changed("participants.0.token", "x"), "participants.0.token"),
    "no notes": (changed("notes", KeyError), "notes"),
    "dangling section": (changed("notes.0.section_id", 5), "section_id 5"),
    "dangling author": (changed("notes.0.comments.0.author.id", 8), "author 8"),
    "repeated id": (changed("sections", [{"id": 4, "title": "A", "position": 0}] * 2), "same id"),
}


def test_the_valid_backup_of_the_refusal_table_imports(tmp_path: Path) -> None:
    """The file the refusal cases start from is itself valid (so each case tests one fault)."""
    store = db.Store(db.create_engine(f"sqlite:///{tmp_path / 'b.db'}"))
    db.upgrade(store.engine)
    board, _ = backup.restore(store, backup.parse(json.dumps(valid_backup()).encode()))
    assert without_ids(json.loads(backup.dump(archive.read(store, board.slug)))) == without_ids(
        valid_backup()
    )
    store.dispose()


def test_a_version_1_backup_without_targets_imports_with_none(tmp_path: Path) -> None:
    """A file from before targets (version 1, no `targets`) imports; its notes have no targets."""
    old = valid_backup() | {"version": 1}
    del old["board"]["code"], old["board"]["reveal"], old["notes"][0]["held"]
    del old["notes"][0]["targets"]
    store = db.Store(db.create_engine(f"sqlite:///{tmp_path / 'b.db'}"))
    db.upgrade(store.engine)
    board, _ = backup.restore(store, backup.parse(json.dumps(old).encode()))
    again = json.loads(backup.dump(archive.read(store, board.slug)))
    assert (again["version"], again["notes"][0]["targets"]) == (5, [])
    assert again["notes"][0]["sdgs"] == [12]
    store.dispose()


def test_a_version_4_backup_from_before_blind_rounds_imports_with_every_note_revealed(
    tmp_path: Path,
) -> None:
    """A file from before #18 (version 4: no `reveal`, no `held`) imports as an instant board
    whose notes everyone sees; the new file says version 5 and names both."""
    old = valid_backup() | {"version": 4}
    del old["board"]["reveal"], old["notes"][0]["held"]
    store = db.Store(db.create_engine(f"sqlite:///{tmp_path / 'b.db'}"))
    db.upgrade(store.engine)
    board, _ = backup.restore(store, backup.parse(json.dumps(old).encode()))
    again = json.loads(backup.dump(archive.read(store, board.slug)))
    assert (again["version"], again["board"]["reveal"], again["notes"][0]["held"]) == (
        5,
        "instant",
        False,
    )
    store.dispose()


def test_a_version_2_backup_without_an_audit_trail_imports(tmp_path: Path) -> None:
    """A file from before #7 (version 2: no audit, bans, flags, filter or retention) imports
    with none of them, and the new board's key is its owner key."""
    old = valid_backup() | {"version": 2}
    del old["board"]["code"], old["board"]["reveal"], old["notes"][0]["held"]
    del old["audit"], old["board"]["word_filter"], old["board"]["retention_days"]
    del old["participants"][0]["banned_at"]
    del old["notes"][0]["flag_reason"], old["notes"][0]["edited_by_moderator"]
    store = db.Store(db.create_engine(f"sqlite:///{tmp_path / 'b.db'}"))
    db.upgrade(store.engine)
    board, key = backup.restore(store, backup.parse(json.dumps(old).encode()))
    again = json.loads(backup.dump(archive.read(store, board.slug)))
    assert (again["version"], again["audit"]) == (5, [])
    assert (again["board"]["word_filter"], again["board"]["retention_days"]) == ([], None)
    assert again["participants"][0]["banned_at"] is None
    assert (again["notes"][0]["flag_reason"], again["notes"][0]["edited_by_moderator"]) == (
        None,
        False,
    )
    with TestClient(create_app(Settings(), store)) as client:
        created = client.post(
            f"/api/boards/{board.slug}/moderators", json={"name": "Hilde"}, headers=auth(key)
        )
        assert created.status_code == 201, created.text


@pytest.mark.parametrize(("raw", "fragment"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_backup_is_refused_with_one_line(raw: bytes, fragment: str) -> None:
    """Each malformed, foreign, newer or invalid file is refused with one line that says why."""
    with pytest.raises(backup.BadBackup) as refused:
        backup.parse(raw)
    message = str(refused.value)
    assert fragment in message and "\n" not in message, message


@pytest.mark.slow
@pytest.mark.parametrize(
    ("database_url", "case"),
    [
        ("sqlite", "not JSON"),
        ("sqlite", "another format"),
        ("sqlite", "newer version"),
        ("postgresql", "goal 18"),
    ],
    indirect=["database_url"],
)
def test_import_of_a_bad_file_prints_one_line_and_writes_nothing(
    tmp_path: Path, database_url: str, case: str
) -> None:
    """`board import BAD` prints one line, exits 1 and leaves the database as it was."""
    environment = env(database_url, tmp_path)
    assert (
        run_board("create", "Finnes fra før", "--slug", "finnes", env=environment).returncode == 0
    )
    before = run_board("list", env=environment).stdout
    (tmp_path / "bad.json").write_bytes(BAD_FILES[case][0])
    result = run_board("import", str(tmp_path / "bad.json"), env=environment)
    assert_one_line_error(result, "bad.json", BAD_FILES[case][1])
    assert run_board("list", env=environment).stdout == before
