"""The `board` command: a thin click layer over the same functions the API uses."""

from __future__ import annotations

import errno
import functools
import os
import re
import socket
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import click
import sqlalchemy as sa
from pydantic import ValidationError

from board import __version__
from board.archive import backup, export
from board.archive import contents as archive
from board.domain import boards, retention
from board.domain.schemas import describe
from board.domain.slug import SLUG_PATTERN
from board.errors import ApiError
from board.settings import Settings
from board.store import db

F = TypeVar("F", bound=Callable[..., Any])


def expected_problems(func: F) -> F:
    """Turn the failures a user can fix into one line and exit code 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            raise click.ClickException(describe(exc)) from None
        except ApiError as exc:
            raise click.ClickException(exc.message) from None
        except sa.exc.OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise click.ClickException(
                f"cannot use the database ({reason}); check BOARD_DATABASE_URL and that the "
                "database server is running"
            ) from None
        except OSError as exc:  # e.g. BOARD_DATA_DIR under a file, or not writable
            raise click.ClickException(
                f"{exc.strerror}: {exc.filename}; check BOARD_DATA_DIR"
            ) from None

    return wrapper  # type: ignore[return-value]


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise click.ClickException(f"bad setting: {describe(exc)}") from None


def open_store(settings: Settings) -> db.Store:
    """The store for the configured database, upgraded to the latest schema."""
    store = db.Store(db.create_engine(settings.resolved_database_url))
    db.upgrade(store.engine)
    return store


def links(
    settings: Settings, slug: str, key: str, served_at: str = "http://127.0.0.1:8000"
) -> list[str]:
    base = f"{settings.public_url or served_at}/b/{slug}"
    return [
        f"  Participants: {base}",
        f"  Moderators:   {base}/moderate#key={key}",
        f"  Moderator key (shown once, keep it safe): {key}",
    ]


@click.group()
@click.version_option(__version__, prog_name="board")
def main() -> None:
    """SDG Pinboard: a real-time pinboard for webinars, notes tagged with the UN SDGs."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--demo", is_flag=True, help="Create (or refresh) a sample Norwegian board.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes; more than one needs BOARD_REDIS_URL.",
)
@expected_problems
def serve(host: str, port: int, demo: bool, workers: int) -> None:
    """Apply migrations and serve the API, pages and live updates."""
    from board.app import create_app
    from board.cli.demo import create_demo
    from board.cli.server import BoardServer, raise_fd_limit, run_workers, uvicorn_config

    settings = load_settings()
    if workers > 1 and not settings.redis_url:
        raise click.ClickException(
            f"--workers {workers} needs BOARD_REDIS_URL: without Redis, live updates would "
            "only reach clients of the process that took the write"
        )
    sock = bind(host, port)
    store = open_store(settings)
    # Each viewer is an open socket: use all the file descriptors the system allows.
    if (files := raise_fd_limit()) < 5000:
        click.echo(
            f"Warning: at most {files} open files (ulimit -n): about {files - 100} viewers "
            "can connect. Raise the hard limit for large audiences."
        )
    url = f"http://{host}:{sock.getsockname()[1]}"
    click.echo(f"SDG Pinboard {__version__} listening on {url}")
    click.echo(f"Database: {safe_url(settings.resolved_database_url)}")
    if demo:
        board, key = create_demo(store)
        click.echo(f'Demo board "{board["title"]}":')
        click.echo("\n".join(links(settings, board["slug"], key, url)))
    elif not boards.list_boards(store):
        click.echo(
            'No boards yet. Make one with: board create "My webinar"   '
            "(or restart with --demo for a sample board)"
        )
    # The app opens its own connections, with the request-path timeout (settings.db_timeout);
    # the store above was for the upgrade and the demo, which may take longer.
    store.dispose()
    if workers == 1:
        BoardServer(uvicorn_config(create_app(settings))).run(sockets=[sock])
        return
    run_workers(uvicorn_config("board.app:create_app", workers=workers), sock)


def bind(host: str, port: int) -> socket.socket:
    """Bind before anything else starts, so "port in use" is one clear line, not a traceback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise click.ClickException(
                f"port {port} on {host} is already in use: stop the other server or pass --port"
            ) from None
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


def safe_url(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True)


@main.command()
@click.argument("title")
@click.option("--slug", help="URL name; generated from the title when left out.")
@click.option(
    "--moderation",
    type=click.Choice(["pre", "post"]),
    default="post",
    show_default=True,
    help="pre: notes wait for approval; post: visible at once.",
)
@click.option("--locale", type=click.Choice(["nb", "en"]), default="nb", show_default=True)
@click.option("--section", "sections", multiple=True, help="A column; repeat for several.")
@click.option("--description", default="")
@expected_problems
def create(
    title: str,
    slug: str | None,
    moderation: str,
    locale: str,
    sections: tuple[str, ...],
    description: str,
) -> None:
    """Create a board and print its participant and moderator links."""
    from board.domain.schemas import BoardCreate

    spec = BoardCreate.model_validate(
        {
            "title": title,
            "slug": slug,
            "moderation": moderation,
            "locale": locale,
            "sections": list(sections),
            "description": description,
        }
    )
    settings = load_settings()
    board, key = boards.create_board(open_store(settings), spec)
    click.echo(f'Created board "{board["title"]}" ({board["slug"]})')
    click.echo("\n".join(links(settings, board["slug"], key)))


@main.command(name="list")
@expected_problems
def list_command() -> None:
    """List the boards in the database, newest first."""
    rows = boards.list_boards(open_store(load_settings()))
    if not rows:
        click.echo('No boards yet. Make one with: board create "My webinar"')
        return
    width = max(len(row["slug"]) for row in rows)
    for row in rows:
        created = row["created_at"].strftime("%Y-%m-%d %H:%M")
        click.echo(f"{row['slug']:<{width}}  {row['notes']:>5} notes  {created}  {row['title']}")


@main.command(name="export")
@click.argument("slug", required=False)
@click.option(
    "-o",
    "--output",
    default="-",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="File to write; - (the default) is standard output.",
)
@click.option(
    "--group-by",
    type=click.Choice(export.GROUPINGS),
    help="One heading per SDG (the default), per section, or per day.",
)
@click.option("--lang", type=click.Choice(export.LANGS), help="Default: the board's locale.")
@click.option(
    "--include-hidden", is_flag=True, help="Also pending, hidden and deleted notes, marked."
)
@click.option(
    "--stamp", is_flag=True, help="Add when the file was made (it then differs each run)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "json"]),
    default="md",
    show_default=True,
    help="md: the Markdown archive; json: a backup that `board import` reads.",
)
@click.option("--all", "every", is_flag=True, help="Every board, one file each (needs --dir).")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help="Folder for --all.")
@expected_problems
def export_command(
    slug: str | None,
    output: str,
    group_by: str | None,
    lang: str | None,
    include_hidden: bool,
    stamp: bool,
    fmt: str,
    every: bool,
    directory: str | None,
) -> None:
    """Write a board as a Markdown archive or a JSON backup (or every board with --all)."""
    if every != (directory is not None) or every == (slug is not None):
        raise click.UsageError("give a SLUG, or --all with --dir DIR")
    if every and output != "-":
        raise click.UsageError("--all writes into --dir; leave out -o")
    if fmt == "json" and (group_by or lang or include_hidden or stamp):
        raise click.UsageError(
            "--group-by, --lang, --include-hidden and --stamp are for Markdown; "
            "a JSON backup always holds the whole board"
        )
    settings = load_settings()
    store = open_store(settings)

    def document(board: str) -> bytes:
        """The file for one board."""
        try:
            data = archive.read(store, board)
        except ApiError as exc:
            if exc.status == 404:
                raise click.ClickException(
                    f"no board {board!r} here; `board list` shows the boards"
                ) from None
            raise
        if fmt == "json":
            return backup.dump(data)
        options = export.Options(
            group_by=cast(export.GroupBy, group_by or "sdg"),
            lang=cast(export.Lang | None, lang),
            include_hidden=include_hidden,
            board_url=f"{settings.public_url}/b/{board}" if settings.public_url else None,
            generated_at=datetime.now(UTC) if stamp else None,
        )
        return export.render(data, options).encode("utf-8")

    if slug is not None:
        content = document(slug)
        if output == "-":
            sys.stdout.buffer.write(content)
            sys.stdout.flush()
        else:
            write_file(Path(output), content)
        return
    assert directory is not None
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    slugs = sorted(row["slug"] for row in boards.list_boards(store))

    def one(board: str) -> str:
        content = document(board)
        path = folder / f"{board}.{fmt}"
        write_file(path, content)
        return str(path)

    if sys.stdout.isatty():
        with click.progressbar(slugs, label=f"Exporting {len(slugs)} boards") as bar:
            for board in bar:
                one(board)
        click.echo(f"Wrote {len(slugs)} files to {folder}")
    else:
        for board in slugs:
            click.echo(f"Wrote {one(board)}")


def write_file(path: Path, content: bytes) -> None:
    """Write all of `content` or nothing: a crash never leaves half an archive behind."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@main.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--slug", help="Import under this slug instead of the one in the file.")
@expected_problems
def import_command(file: str, slug: str | None) -> None:
    """Recreate a board from a JSON backup (`board export SLUG --format json`)."""
    if slug is not None and not re.fullmatch(SLUG_PATTERN, slug):
        raise click.BadParameter(
            "lower-case letters, digits and hyphens, starting with a letter or digit",
            param_hint="--slug",
        )
    raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    try:
        data = backup.parse(raw)
    except backup.BadBackup as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    settings = load_settings()
    board, key = backup.restore(open_store(settings), data, slug)
    comments = sum(len(note["comments"]) for note in data["notes"])
    click.echo(
        f'Imported board "{board.title}" ({board.slug}): {len(data["notes"])} notes, '
        f"{comments} comments, {len(data['sections'])} sections, "
        f"{len(data['participants'])} participants"
    )
    click.echo("\n".join(links(settings, board.slug, key)))


@main.command()
@click.option("--slug", help="Purge this board now, whatever its retention (it cannot be undone).")
@expected_problems
def purge(slug: str | None) -> None:
    """Anonymise boards past their retention_days: names, tokens, deleted text (docs/moderation.md).

    `board serve` does the same once a day.
    """
    store = open_store(load_settings())
    try:
        purged = [retention.purge_board(store, slug)] if slug else retention.purge_expired(store)
    except ApiError as exc:
        if exc.status == 404:
            raise click.ClickException(
                f"no board {slug!r} here; `board list` shows the boards"
            ) from None
        raise
    purged = [board for board in purged if board.changed]
    if not purged:
        click.echo("Nothing to purge: no board past its retention has names or deleted text left.")
    for board in purged:
        click.echo(
            f"Purged {board.slug}: {board.participants} participants' names and tokens, "
            f"{board.texts} deleted texts, {board.anonymised} author names"
        )


@main.command()
@click.option(
    "--url", default="http://127.0.0.1:8000", show_default=True, help="The server to load."
)
@click.option("--ws-url", help="Where viewers connect, when not at --url.")
@click.option("--slug", help="Use this board instead of creating one (needs no admin token).")
@click.option(
    "--admin-token", envvar="BOARD_ADMIN_TOKEN", help="Creates the board [BOARD_ADMIN_TOKEN]."
)
@click.option("--viewers", default=100, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--notes", default=50, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option(
    "--rate",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.1, 100_000),
    help="Notes per second.",
)
@click.option(
    "--size",
    default=300,
    show_default=True,
    type=click.IntRange(40, 2000),
    help="Note body in characters.",
)
@click.option(
    "--ingest",
    "posters",
    type=click.IntRange(1, 512),
    help="Post from this many clients as fast as they can (notes/s accepted) instead of at --rate.",
)
@click.option(
    "--arrivals",
    type=click.IntRange(1, 1_000_000),
    help="Arrivals scenario: this many first visits to the board page (with --over).",
)
@click.option(
    "--over", type=click.FloatRange(0, min_open=True), help="Seconds the arrivals spread over."
)
@click.option("--poisson", is_flag=True, help="Arrivals as a Poisson process, not evenly spread.")
@click.option(
    "--prefill",
    default=0,
    show_default=True,
    type=click.IntRange(0, 1_000_000),
    help="Notes on the board before the arrivals (posted over HTTP; limits off).",
)
@click.option(
    "--quiet",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds of notes at --rate before the arrivals start (the viewers' baseline).",
)
@click.option(
    "--repeat-visits",
    default=50,
    show_default=True,
    type=click.IntRange(0),
    help="How many arrivals visit again with their HTTP cache, after the arrivals.",
)
@click.option(
    "--leave", is_flag=True, help="Arrivals close their WebSocket once live (default: they stay)."
)
@click.option("--catalogue-url", help="Where the page gets the SDG catalogue (default: found).")
@click.option(
    "--burst",
    type=click.IntRange(1, 1_000_000),
    help="Burst scenario: this many participants post one note each (with --within).",
)
@click.option(
    "--within", type=click.FloatRange(0, min_open=True), help="Seconds the burst spreads over."
)
@click.option(
    "--restart",
    is_flag=True,
    help="Restart scenario: start the server, seat viewers, SIGTERM it, start it again.",
)
@click.option(
    "--server-cmd",
    help="Shell command that starts the server for --restart [default: board serve --port P].",
)
@click.option("--server-pid", type=int, help="Report this local server process's CPU and RSS.")
@click.option("--timeout", default=60.0, show_default=True, help="Deadline of each phase, seconds.")
@click.option(
    "--json",
    "json_file",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write the figures to this file.",
)
def bench(
    url: str,
    ws_url: str | None,
    slug: str | None,
    admin_token: str | None,
    viewers: int,
    notes: int,
    rate: float,
    size: int,
    posters: int | None,
    arrivals: int | None,
    over: float | None,
    poisson: bool,
    prefill: int,
    quiet: float,
    repeat_visits: int,
    leave: bool,
    catalogue_url: str | None,
    burst: int | None,
    within: float | None,
    restart: bool,
    server_cmd: str | None,
    server_pid: int | None,
    timeout: float,
    json_file: str | None,
) -> None:
    """Load a server: seat viewers, post notes, measure every delivery.

    Scenarios: fan-out (the default), --ingest, --arrivals, --burst, --restart (see
    docs/performance.md).
    """
    import dataclasses
    import json

    from board import bench as load
    from board.cli.server import raise_fd_limit

    scenario = _bench_scenario(click.get_current_context())
    sockets = viewers + (arrivals or 0) * (not leave) + 100
    limit = raise_fd_limit()
    if sockets > limit:
        raise click.ClickException(
            f"{viewers} viewers need more open files than the limit "
            f"({limit}): raise it with `ulimit -n`"
            if scenario != "arrivals"
            else f"{viewers} viewers and {arrivals} arrivals that stay need more open files than "
            f"the limit ({limit}): raise it with `ulimit -n`, or pass --leave"
        )
    if scenario == "arrivals":
        assert arrivals is not None and over is not None
        run: Any = load.run_arrivals(
            url, ws_url, slug, admin_token, arrivals, over, poisson, prefill, viewers, rate,
            size, quiet, repeat_visits, leave, catalogue_url, server_pid, timeout,
        )  # fmt: skip
    elif scenario == "burst":
        assert burst is not None and within is not None
        run = load.run_burst(
            url, ws_url, slug, admin_token, burst, within, viewers, size, server_pid, timeout
        )
    elif scenario == "restart":
        run = load.run_restart(
            url, server_cmd, slug, admin_token, viewers, notes, rate, size, timeout
        )
    else:
        run = load.run_fanout(
            url, slug, admin_token, viewers, notes, rate, size, server_pid, timeout, ws_url,
            posters or 1,
        )  # fmt: skip
    try:
        report = load.run(run)
    except (OSError, RuntimeError, TimeoutError) as exc:
        raise click.ClickException(f"bench failed: {exc or type(exc).__name__}") from None
    click.echo("\n".join(report.lines()))
    if json_file:
        with open(json_file, "w", encoding="utf-8") as out:
            json.dump(dataclasses.asdict(report), out, indent=2)


# Options that belong to one scenario only; giving one elsewhere is a usage error (exit 2).
_BENCH_ONLY = {
    "arrivals": ["over", "poisson", "prefill", "quiet", "repeat_visits", "leave", "catalogue_url"],
    "burst": ["within"],
    "restart": ["server_cmd"],
    "ingest": [],
}
# Options a scenario has no use for.
_BENCH_UNUSED = {
    "arrivals": ["notes", "posters"],
    "burst": ["notes", "rate", "posters"],
    "restart": ["posters", "server_pid", "ws_url"],
}


def _bench_scenario(ctx: click.Context) -> str:
    """Which scenario the options ask for, or a usage error that says what does not fit."""
    from click.core import ParameterSource

    def given(name: str) -> bool:
        return ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)

    def flag(name: str) -> str:
        return "--" + ("ingest" if name == "posters" else name.replace("_", "-"))

    chosen = [name for name in ("arrivals", "burst", "restart", "posters") if given(name)]
    if len(chosen) > 1:
        raise click.UsageError(
            f"{' and '.join(map(flag, chosen))} are different scenarios: pick one"
        )
    scenario = {"posters": "ingest"}.get(chosen[0], chosen[0]) if chosen else "fanout"
    for owner, names in _BENCH_ONLY.items():
        for name in names:
            if owner != scenario and given(name):
                raise click.UsageError(f"{flag(name)} only applies to --{owner}")
    for name in _BENCH_UNUSED.get(scenario, []):
        if given(name):
            raise click.UsageError(f"--{scenario} does not use {flag(name)}")
    if scenario == "arrivals" and not given("over"):
        raise click.UsageError("--arrivals needs --over SECONDS (how long they take to arrive)")
    if scenario == "burst" and not given("within"):
        raise click.UsageError("--burst needs --within SECONDS (how long the posts take)")
    return scenario


@main.group(name="db")
def db_group() -> None:
    """Database schema: upgrade to the latest revision, or show the current one."""


@db_group.command()
@expected_problems
def upgrade() -> None:
    """Bring the database to the latest schema revision."""
    store = open_store(load_settings())
    click.echo(f"Database is at revision {db.current_revision(store.engine)} (latest)")


@db_group.command()
@expected_problems
def current() -> None:
    """Show the database's schema revision."""
    engine = db.create_engine(load_settings().resolved_database_url)
    revision, head = db.current_revision(engine), db.head_revision(engine)
    if revision == head:
        click.echo(f"{revision} (latest)")
    else:
        click.echo(f"{revision or 'empty'} (latest is {head}: run `board db upgrade`)")
