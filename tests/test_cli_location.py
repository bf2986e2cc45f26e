"""Where the `board` command keeps its database, and how it says which one it uses: real `board`
processes run from different folders, with HOME and XDG_DATA_HOME in tmp (never the real home)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from servers import BOARD

from board.cli.common import unreachable_host

NEW = " (new and empty: there was no board database here)"


def located_env(home: Path, **extra: str) -> dict[str, str]:
    """The test's environment without BOARD_* or XDG_DATA_HOME, HOME at `home`, plus `extra`
    (full variable names)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOARD_")}
    env.pop("XDG_DATA_HOME", None)
    env["HOME"] = str(home)
    env.update(extra)
    return env


def run_in(folder: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`board ARGS…` run from `folder` (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [str(BOARD), *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def created_slug(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout.split("(", 1)[1].split(")", 1)[0]


def test_unset_data_dir_is_the_users_data_folder_from_any_folder(tmp_path: Path) -> None:
    """Without BOARD_DATA_DIR the database is ~/.local/share/sdg-pinboard/board.db whatever
    the current folder: a board made in one folder is listed from another, and no ./data is
    made in either."""
    home = tmp_path / "home"
    env = located_env(home)
    database = home / ".local" / "share" / "sdg-pinboard" / "board.db"

    made = run_in(tmp_path / "one", env, "create", "Webinar")
    slug = created_slug(made)
    assert made.stderr.splitlines()[0] == f"Database: {database}{NEW}", made.stderr
    assert database.is_file()

    listed = run_in(tmp_path / "two", env, "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split()[0] == slug
    assert listed.stderr == ""  # a reader of an existing database says nothing on stderr
    assert not (tmp_path / "one" / "data").exists() and not (tmp_path / "two" / "data").exists()


@pytest.mark.parametrize(
    ("xdg", "expected"),
    [("{tmp}/xdg", "{tmp}/xdg/sdg-pinboard/board.db"), ("relative", None)],
    ids=["absolute XDG_DATA_HOME", "relative XDG_DATA_HOME is ignored"],
)
def test_xdg_data_home_is_followed_when_absolute(
    tmp_path: Path, xdg: str, expected: str | None
) -> None:
    """An absolute XDG_DATA_HOME holds the sdg-pinboard folder; a relative one is ignored, as
    the XDG specification says, for ~/.local/share."""
    home = tmp_path / "home"
    env = located_env(home, XDG_DATA_HOME=xdg.format(tmp=tmp_path))
    database = (
        Path(expected.format(tmp=tmp_path))
        if expected
        else home / ".local" / "share" / "sdg-pinboard" / "board.db"
    )
    made = run_in(tmp_path / "work", env, "db", "upgrade")
    assert made.returncode == 0, made.stderr
    assert made.stderr == f"Database: {database}{NEW}\n"
    assert database.is_file()


def test_an_existing_data_folder_in_the_current_folder_keeps_working(tmp_path: Path) -> None:
    """A ./data/board.db made under the old default is still used while BOARD_DATA_DIR is unset,
    by readers and writers alike, and each says so in one line naming BOARD_DATA_DIR; the user's
    data folder is not made."""
    home, work = tmp_path / "home", tmp_path / "work"
    legacy = work / "data"
    old = run_in(work, located_env(home, BOARD_DATA_DIR=str(legacy)), "create", "Gammel")
    slug = created_slug(old)

    env = located_env(home)
    notice = (
        f"Database: {legacy / 'board.db'}, found in ./data of the current folder (the earlier "
        f"default); set BOARD_DATA_DIR={legacy} to use it from any folder"
    )
    listed = run_in(work, env, "list")
    assert listed.returncode == 0 and listed.stdout.split()[0] == slug, listed
    assert listed.stderr == notice + "\n"
    current = run_in(work, env, "db", "current")
    assert current.returncode == 0 and current.stdout.endswith("(latest)\n"), current
    assert current.stderr == notice + "\n"
    made = run_in(work, env, "create", "Ny")
    assert made.returncode == 0, made.stderr
    assert made.stderr.splitlines()[0] == notice
    assert len(run_in(work, env, "list").stdout.splitlines()) == 2
    assert not (home / ".local").exists()


def test_a_data_folder_without_a_database_is_not_the_old_default(tmp_path: Path) -> None:
    """An empty ./data (or one without board.db) does not count as the old database: the
    default folder is used, and it says it is new."""
    home, work = tmp_path / "home", tmp_path / "work"
    (work / "data").mkdir(parents=True)
    made = run_in(work, located_env(home), "create", "Webinar")
    assert made.returncode == 0, made.stderr
    database = home / ".local" / "share" / "sdg-pinboard" / "board.db"
    assert made.stderr.splitlines()[0] == f"Database: {database}{NEW}"
    assert list((work / "data").iterdir()) == []


def test_relative_data_dir_is_relative_to_the_current_folder(tmp_path: Path) -> None:
    """BOARD_DATA_DIR=here is asked for: it is the current folder's `here`, named in full."""
    env = located_env(tmp_path / "home", BOARD_DATA_DIR="here")
    made = run_in(tmp_path / "work", env, "db", "upgrade")
    assert made.returncode == 0, made.stderr
    assert made.stderr == f"Database: {tmp_path / 'work' / 'here' / 'board.db'}{NEW}\n"


def test_every_command_that_writes_names_the_database_once(tmp_path: Path) -> None:
    """create, import, purge, db upgrade each print one `Database:` line on stderr, `(new …)`
    only the first time; list and export of an existing database print none."""
    folder = tmp_path / "db"
    env = located_env(tmp_path / "home", BOARD_DATA_DIR=str(folder))
    line = f"Database: {folder / 'board.db'}"
    work = tmp_path / "work"

    def database_lines(*args: str) -> list[str]:
        result = run_in(work, env, *args)
        assert result.returncode == 0, result.stderr
        return [x for x in result.stderr.splitlines() if x.startswith("Database:")]

    assert database_lines("db", "upgrade") == [line + NEW]
    slug = created_slug(run_in(work, env, "create", "Webinar"))
    assert database_lines("create", "Andre") == [line]
    assert database_lines("export", slug, "--format", "json", "-o", str(work / "b.json")) == []
    assert database_lines("import", str(work / "b.json"), "--slug", "kopi") == [line]
    assert database_lines("purge") == [line]
    assert database_lines("db", "upgrade") == [line]
    assert database_lines("list") == []


def test_postgresql_is_named_without_its_password(
    tmp_path: Path, new_database: Callable[[], str]
) -> None:
    """A PostgreSQL URL with a password is printed with the password masked, never in clear
    (the test server trusts local connections, so any password gets in)."""
    url = sa.make_url(new_database()).set(password="s3cret-pw")
    env = located_env(
        tmp_path / "home", BOARD_DATABASE_URL=url.render_as_string(hide_password=False)
    )
    made = run_in(tmp_path, env, "create", "Webinar")
    assert made.returncode == 0, made.stderr
    assert "s3cret-pw" not in made.stderr + made.stdout
    masked = url.render_as_string(hide_password=True)
    assert made.stderr.splitlines()[0] == f"Database: {masked}{NEW}"


def test_a_new_database_from_a_reader_says_it_is_new(tmp_path: Path) -> None:
    """`board list` where there is no database says on stderr that this one is new and empty,
    and on stdout which database has no boards."""
    folder = tmp_path / "elsewhere"
    env = located_env(tmp_path / "home", BOARD_DATA_DIR=str(folder))
    listed = run_in(tmp_path, env, "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stderr == f"Database: {folder / 'board.db'}{NEW}\n"
    assert listed.stdout.splitlines()[0] == f"No boards yet in {folder / 'board.db'}."


@pytest.mark.parametrize(
    ("public_url", "warned"),
    [
        (None, "BOARD_PUBLIC_URL is unset, so links point at 127.0.0.1"),
        ("http://localhost:8000", "BOARD_PUBLIC_URL points at localhost"),
        ("https://pinboard.example.no", None),
    ],
    ids=["unset", "localhost", "public"],
)
def test_create_warns_when_its_links_are_loopback(
    tmp_path: Path, public_url: str | None, warned: str | None
) -> None:
    """`board create` warns in one stderr line when its links point at a loopback address,
    saying to set BOARD_PUBLIC_URL; with a public address it does not warn."""
    extra = {"BOARD_PUBLIC_URL": public_url} if public_url else {}
    env = located_env(tmp_path / "home", BOARD_DATA_DIR=str(tmp_path / "db"), **extra)
    made = run_in(tmp_path, env, "create", "Webinar")
    assert made.returncode == 0, made.stderr
    warnings = [line for line in made.stderr.splitlines() if line.startswith("Warning:")]
    if warned is None:
        assert warnings == [], made.stderr
    else:
        assert len(warnings) == 1 and warnings[0].startswith(f"Warning: {warned},"), made.stderr
        assert "set BOARD_PUBLIC_URL to the address they use" in warnings[0]


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1"),
        ("http://127.1.2.3", "127.1.2.3"),
        ("http://[::1]:8000", "::1"),
        ("http://LOCALHOST:8000", "localhost"),
        ("http://board.localhost", "board.localhost"),
        ("http://0.0.0.0:8000", "0.0.0.0"),  # noqa: S104 (an address in a link, not a bind)
        ("http://[::]:8000", "::"),
        ("https://pinboard.example.no", None),
        ("http://192.168.1.20:8000", None),
        ("http://localhost.example.no", None),
    ],
)
def test_unreachable_hosts_are_loopback_and_unspecified_addresses(
    url: str, host: str | None
) -> None:
    """The links no participant on another machine can open: loopback addresses, localhost
    names and the unspecified address; a LAN address or a real name is fine."""
    assert unreachable_host(url) == host


def test_import_names_the_database_and_warns_about_loopback_links(tmp_path: Path) -> None:
    """`board import` prints its links like `board create`: the database line, then the
    loopback warning, on stderr."""
    env = located_env(tmp_path / "home", BOARD_DATA_DIR=str(tmp_path / "db"))
    backup = tmp_path / "b.json"
    slug = created_slug(run_in(tmp_path, env, "create", "Webinar"))
    exported = run_in(tmp_path, env, "export", slug, "--format", "json", "-o", str(backup))
    assert exported.returncode == 0, exported.stderr
    assert json.loads(backup.read_text())["board"]["slug"] == slug
    imported = run_in(tmp_path, env, "import", str(backup), "--slug", "kopi")
    assert imported.returncode == 0, imported.stderr
    database, warning = imported.stderr.splitlines()
    assert database == f"Database: {tmp_path / 'db' / 'board.db'}"
    assert warning.startswith("Warning: BOARD_PUBLIC_URL is unset")
