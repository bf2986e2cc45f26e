"""The `board` command as a user runs it: real subprocesses against databases in tmp."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import get_args

import httpx2
import pytest
from conftest import ADMIN_TOKEN, auth
from servers import board_env, run_board, serve
from starlette.testclient import TestClient

from board.app import create_app
from board.archive import export
from board.cli import export_import
from board.cli import main as cli_main
from board.domain.schemas import Locale, Moderation
from board.settings import Settings
from board.store import db

UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/x"
KEY_LINE = re.compile(r"Moderator key \(shown once, keep it safe\): (\S+)$", re.MULTILINE)
NO_DATABASE = "there was no board database here"
BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def env_for(tmp_path: Path, database_url: str | None, **extra: str) -> dict[str, str]:
    return board_env(tmp_path / "data", database_url, **extra)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit code 1, nothing on stdout, a single `Error: …` line on stderr, no traceback; before
    it at most the line that names the database, which a command that writes prints once the
    database answers."""
    last = (result.stderr.strip().splitlines() or [""])[-1]
    output = f"exit {result.returncode}, last line {last!r}; "
    output += f"stdout={result.stdout!r} stderr={result.stderr!r}"
    assert result.returncode == 1, output
    assert result.stdout == "", output
    assert "Traceback" not in result.stdout + result.stderr, output
    lines = result.stderr.strip().splitlines()
    if len(lines) == 2 and lines[0].startswith("Database: "):
        lines = lines[1:]
    assert len(lines) == 1 and lines[0].startswith("Error: "), output
    for fragment in fragments:
        assert fragment in lines[0], output


def moderator_key(stdout: str) -> str:
    match = KEY_LINE.search(stdout)
    assert match, stdout
    return match.group(1)


def test_create_prints_links_and_key_and_list_shows_the_board(
    tmp_path: Path, database_url: str
) -> None:
    """`board create` prints both links (key in the #fragment), the key and the join code;
    `list` shows the board with its code."""
    env = env_for(tmp_path, database_url)
    result = run_board(
        "create",
        "Bærekraft på Ås",
        "--section",
        "A",
        "--section",
        "B",
        "--moderation",
        "pre",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    slug = re.search(r"\((baerekraft-pa-as-[a-z0-9]+)\)", result.stdout)
    assert slug, result.stdout
    slug_text = slug.group(1)
    key = moderator_key(result.stdout)
    assert len(key) >= 43
    assert f"Participants: http://127.0.0.1:8000/b/{slug_text}\n" in result.stdout
    code = re.search(r"Join code:    ([A-Z0-9]{6}) \(http://127.0.0.1:8000/j/\1\)\n", result.stdout)
    assert code, result.stdout
    assert (
        f"Moderators:   http://127.0.0.1:8000/b/{slug_text}/moderate#key={key}\n" in result.stdout
    )
    assert "?key=" not in result.stdout  # the key travels in the fragment only
    # On stderr: the database it wrote to, new until now, and that these links are loopback.
    database, warning = result.stderr.splitlines()
    assert database == f"Database: {tmp_path / 'board.db'} (new and empty: {NO_DATABASE})"
    assert warning.startswith("Warning: BOARD_PUBLIC_URL is unset, so links point at 127.0.0.1")

    code = re.search(r"\), join code ([A-Z0-9]{6})\n", result.stdout)
    assert code, result.stdout

    listed = run_board("list", env=env)
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if line.startswith(slug_text))
    assert row.endswith("Bærekraft på Ås") and " 0 notes " in row
    assert f" {code.group(1)} " in row

    # The board as the app serves it from the same database: its sections, pre-moderation, key.
    settings = Settings(database_url=database_url, admin_token=ADMIN_TOKEN)
    with TestClient(create_app(settings)) as client:
        board = client.get(f"/api/boards/{slug_text}").json()["board"]
        assert board["code"] == code.group(1)
        assert [s["title"] for s in board["sections"]] == ["A", "B"]
        assert board["moderation"] == "pre" and board["title"] == "Bærekraft på Ås"
        patched = client.patch(f"/api/boards/{slug_text}", json={"locked": True}, headers=auth(key))
        assert patched.status_code == 200, patched.text


@BOTH
def test_db_upgrade_then_current_says_latest(tmp_path: Path, database_url: str) -> None:
    """`db current` on an empty database says to run upgrade; after `db upgrade` it is latest."""
    env = env_for(tmp_path, database_url)
    head = db.head_revision(db.create_engine(f"sqlite:///{tmp_path / 'scratch.db'}"))
    assert head

    before = run_board("db", "current", env=env)
    assert before.returncode == 0, before.stderr
    assert before.stdout.strip() == f"empty (latest is {head}: run `board db upgrade`)"

    upgraded = run_board("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.strip() == f"Database is at revision {head} (latest)"

    after = run_board("db", "current", env=env)
    assert after.returncode == 0, after.stderr
    assert after.stdout.strip() == f"{head} (latest)"

    again = run_board("db", "upgrade", env=env)  # upgrading a current database changes nothing
    assert again.returncode == 0 and again.stdout == upgraded.stdout, again.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["create", "Webinar"],
        ["db", "upgrade"],
        ["db", "current"],
        ["serve", "--port", "0"],
    ],
    ids=lambda args: " ".join(args),
)
def test_unreachable_database_is_one_line_and_exit_1(tmp_path: Path, args: list[str]) -> None:
    """Every command against a database that does not answer prints one line and exits 1."""
    result = run_board(*args, env=env_for(tmp_path, UNREACHABLE))
    assert_one_line_error(result, "cannot use the database", "BOARD_DATABASE_URL")


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("database_url", "not-a-url"),
        ("database_url", "sqlite://"),
        ("database_url", "mysql://nobody@127.0.0.1/x"),
        ("data_dir", "{tmp}/a-file/data"),
    ],
    ids=["unparsable URL", "in-memory SQLite", "driver not installed", "data dir under a file"],
)
def test_bad_database_setting_is_one_line_and_exit_1(
    tmp_path: Path, setting: str, value: str
) -> None:
    """A wrong database setting makes `board list` print one line and exit 1, no traceback."""
    (tmp_path / "a-file").write_text("not a folder")
    env = env_for(tmp_path, None)
    env[f"BOARD_{setting.upper()}"] = value.format(tmp=tmp_path)
    assert_one_line_error(run_board("list", env=env))


def test_taken_slug_is_one_line_and_exit_1(tmp_path: Path, database_url: str) -> None:
    """`board create --slug` with a taken slug prints one line, exits 1, keeps the first board."""
    env = env_for(tmp_path, database_url)
    first = run_board("create", "Først", "--slug", "webinar", env=env)
    assert first.returncode == 0, first.stderr
    second = run_board("create", "Andre", "--slug", "webinar", env=env)
    assert_one_line_error(second, "webinar")
    listed = run_board("list", env=env)
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["webinar"]
    assert listed.stdout.rstrip().endswith("Først")


def test_port_in_use_is_one_line_and_exit_1(tmp_path: Path, database_url: str) -> None:
    """`board serve --port P` while another socket listens on P prints one line and exits 1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_board("serve", "--port", str(port), env=env_for(tmp_path, database_url))
    assert_one_line_error(result, f"port {port}", "in use")


@pytest.mark.parametrize(
    "args",
    [["list"], ["create", "Webinar"], ["serve", "--port", "0"]],
    ids=lambda args: " ".join(args),
)
def test_short_admin_token_is_one_line_and_exit_1(
    tmp_path: Path, database_url: str, args: list[str]
) -> None:
    """A BOARD_ADMIN_TOKEN under 16 characters is refused with one line and exit 1."""
    result = run_board(*args, env=env_for(tmp_path, database_url, admin_token="short-token"))
    assert_one_line_error(result, "BOARD_ADMIN_TOKEN", "16")


@pytest.mark.parametrize(
    "args",
    [
        ["create", "Webinar", "--bogus"],
        ["create", "Webinar", "--moderation", "maybe"],
        ["create", "Webinar", "--locale", "sv"],
        ["serve", "--port", "70000"],
        ["create"],
        ["no-such-command"],
    ],
    ids=lambda args: " ".join(args),
)
def test_usage_errors_exit_2_without_traceback(
    tmp_path: Path, database_url: str, args: list[str]
) -> None:
    """Unknown options, bad choices and missing arguments are usage errors: exit 2, no traceback."""
    result = run_board(*args, env=env_for(tmp_path, database_url))
    assert result.returncode == 2, result
    assert "Traceback" not in result.stdout + result.stderr
    assert "Usage: board" in result.stderr and "Error:" in result.stderr, result.stderr
    assert result.stdout == ""


@pytest.mark.slow
def test_serve_on_empty_database_says_where_it_listens_and_how_to_make_a_board(
    tmp_path: Path, database_url: str
) -> None:
    """`board serve` on an empty database first prints its address and the index page's, then
    how to make a board, and warns that 127.0.0.1 links reach no other machine."""
    env = env_for(tmp_path, database_url)
    with serve(env) as server:
        lines = server.stdout().splitlines()
        assert lines[0].endswith(f"listening on {server.url}"), server.output()
        assert lines[0].startswith("SDG Pinboard ")
        assert lines[1].endswith(f": {server.url}/") and lines[1].startswith("Index page")
        how = next((line for line in lines[:4] if "No boards yet" in line), None)
        assert how is not None, server.output()
        assert 'board create "' in how and "--demo" in how
        warnings = [line for line in lines if line.startswith("Warning:")]
        assert len(warnings) == 1 and "BOARD_PUBLIC_URL is unset" in warnings[0], server.output()
        assert "127.0.0.1" in warnings[0] and "--host 0.0.0.0" in warnings[0]
        with httpx2.Client(base_url=server.url, timeout=10) as client:
            assert client.get("/readyz").json() == {"status": "ready"}
            assert client.get("/api/sdgs").status_code == 200
    assert "Traceback" not in server.output()


@pytest.mark.slow
def test_serve_prints_every_boards_participant_link_under_the_public_url(
    tmp_path: Path, database_url: str
) -> None:
    """With boards and BOARD_PUBLIC_URL, `board serve` prints the index page and each board's
    participant link under that address, no moderator key, and no loopback warning."""
    public = "https://pinboard.example.no"
    env = env_for(tmp_path, database_url, public_url=public)
    for title in ("Første webinar", "Andre webinar"):
        assert run_board("create", title, env=env).returncode == 0
    slugs = [line.split()[0] for line in run_board("list", env=env).stdout.splitlines()]
    assert len(slugs) == 2, slugs
    with serve(env) as server:
        out = server.stdout()
    assert f"Index page (participants enter a board's code or link): {public}/\n" in out, out
    for slug in slugs:
        assert re.search(rf"^  {slug} +{public}/b/{slug}  \w+ webinar$", out, re.MULTILINE), out
    assert "Warning" not in out and "Moderator" not in out and "No boards yet" not in out


@pytest.mark.slow
def test_serve_demo_prints_links_and_a_fresh_key_each_time(
    tmp_path: Path, database_url: str
) -> None:
    """`serve --demo` prints demo links with a working key; rerun: new key works, old one is 401."""
    env = env_for(tmp_path, database_url)
    with serve(env, "--demo") as server:
        out = server.stdout()
        assert f"Participants: {server.url}/b/demo\n" in out, server.output()
        first_key = moderator_key(out)
        assert f"Moderators:   {server.url}/b/demo/moderate#key={first_key}\n" in out
        with httpx2.Client(base_url=server.url, timeout=10) as client:
            snapshot = client.get("/api/boards/demo").json()
    board, notes = snapshot["board"], snapshot["notes"]
    assert f"Join code:    {board['code']} ({server.url}/j/{board['code']})\n" in out
    assert len(board["sections"]) >= 2
    assert len(notes) >= 5
    assert len({goal for note in notes for goal in note["sdgs"]}) >= 3
    assert len({note["section_id"] for note in notes}) >= 2
    # What the product does, on show: targets, likes, comments, colours, a pinned note.
    assert sum(bool(note["targets"]) for note in notes) >= 5
    assert sum(note["likes"] > 0 for note in notes) >= 5
    assert sum(len(note["comments"]) for note in notes) >= 3
    assert len({note["color"] for note in notes}) >= 4
    assert [note["pinned"] for note in notes].count(True) == 1

    with serve(env, "--demo") as server:
        second_key = moderator_key(server.stdout())
        assert second_key != first_key
        with httpx2.Client(base_url=server.url, timeout=10) as client:
            fresh = client.patch(
                "/api/boards/demo", json={"description": "Oppdatert"}, headers=auth(second_key)
            )
            assert fresh.status_code == 200, fresh.text
            stale = client.patch(
                "/api/boards/demo", json={"description": "Gammel"}, headers=auth(first_key)
            )
            assert stale.status_code == 401, stale.text
            again = client.get("/api/boards/demo").json()
    # The rerun refreshed the key only: the same notes, no copies.
    assert sorted(n["id"] for n in again["notes"]) == sorted(n["id"] for n in notes)
    assert again["board"]["description"] == "Oppdatert"
    assert "Traceback" not in server.output()


# What `board ARGS…` has imported when it is done, on stderr (its own output is on stdout).
LOADED = """\
import sys
from board.cli.main import main
main(sys.argv[1:], prog_name="board", standalone_mode=False)
print(*sys.modules, file=sys.stderr)
"""


def modules_after(env: dict[str, str], *args: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", LOADED, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return set(result.stderr.split())


def among(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    """The packages of `packages` that `modules` holds, or a submodule of."""
    return [p for p in packages if any(m == p or m.startswith(f"{p}.") for m in modules)]


def test_help_imports_click_and_the_command_modules_only(tmp_path: Path) -> None:
    """`board --help` lists the commands without loading a database layer, the schemas, the
    server or the bench (what made it take most of a second)."""
    modules = modules_after(env_for(tmp_path, None), "--help")
    assert "click" in modules and "board.cli.main" in modules
    heavy = ("sqlalchemy", "sqlmodel", "alembic", "pydantic", "starlette", "uvicorn")
    heavy += ("websockets", "board.domain", "board.store", "board.archive", "board.app")
    heavy += ("board.web", "board.live", "board.bench", "board.cli.server", "openpyxl")
    assert among(modules, heavy) == []


def test_list_imports_no_server(tmp_path: Path) -> None:
    """`board list` loads the store and the board rules it reads with, and no web framework,
    HTTP server, WebSocket library, app, live delivery, archive or bench."""
    modules = modules_after(env_for(tmp_path, None), "list")
    assert "board.domain.boards" in modules and "sqlalchemy" in modules
    heavy = ("starlette", "uvicorn", "websockets", "board.app", "board.web", "board.live")
    heavy += ("board.archive", "board.bench", "board.cli.server", "openpyxl")
    assert among(modules, heavy) == []


def test_option_choices_are_the_ones_the_code_takes() -> None:
    """The choices written out in the command modules (so that `--help` imports nothing) are
    the exporter's groupings and languages and the schema's moderation modes and locales."""
    assert (export_import.GROUPINGS, export_import.LANGS) == (export.GROUPINGS, export.LANGS)
    assert (get_args(Moderation), get_args(Locale)) == (cli_main.MODERATIONS, cli_main.LOCALES)
