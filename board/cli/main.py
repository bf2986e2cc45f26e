"""The `board` command: a thin click layer over the same functions the API uses.

`board --help` lists every command without importing what they use (board/cli/common.py): this
module and the command modules (export_import, bench_command) import click and the standard
library only, and each command imports its dependencies when it runs.
"""

from __future__ import annotations

import errno
import socket
from typing import TYPE_CHECKING

import click

from board import __version__
from board.cli.bench_command import bench
from board.cli.common import (
    database_line,
    database_name,
    expected_problems,
    links,
    load_settings,
    loopback_warning,
    open_store,
)
from board.cli.export_import import export_command, import_command

if TYPE_CHECKING:
    from board.settings import Settings
    from board.store.db import Store

# The choices of `board create`, written out so that listing them imports no schema;
# tests/test_cli.py checks that they are the schema's Moderation and Locale.
MODERATIONS = ("pre", "post")
LOCALES = ("nb", "en")
# What `board create`'s errors call the board's fields: the argument or option that sets each.
CREATE_NAMES = {
    "title": "TITLE",
    "slug": "--slug",
    "description": "--description",
    "sections": "--section",
}


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
    from board.cli.metrics_dir import metrics_directory

    settings = load_settings()
    if workers > 1 and not settings.redis_url:
        raise click.ClickException(
            f"--workers {workers} needs BOARD_REDIS_URL: without Redis, live updates would "
            "only reach clients of the process that took the write"
        )
    # Before the server's modules are imported: they import prometheus_client (metrics_dir.py).
    with metrics_directory(shared=workers > 1 and settings.metrics_token is not None):
        run_server(settings, host, port, demo, workers)


def run_server(settings: Settings, host: str, port: int, demo: bool, workers: int) -> None:
    from board.app import create_app
    from board.cli.server import BoardServer, raise_fd_limit, run_workers, uvicorn_config

    sock = bind(host, port)
    # Under BOARD_LOG_FORMAT=json standard error is the log alone: every line one JSON object.
    store = open_store(settings, err=settings.log_format != "json")
    # Each viewer is an open socket: use all the file descriptors the system allows.
    if (files := raise_fd_limit()) < 5000:
        click.echo(
            f"Warning: at most {files} open files (ulimit -n): about {files - 100} viewers "
            "can connect. Raise the hard limit for large audiences."
        )
    url = served_at(host, sock.getsockname()[1])
    click.echo(f"SDG Pinboard {__version__} listening on {url}")
    for line in where_participants_go(settings, store, url, demo):
        click.echo(line)
    # The app opens its own connections, with the request-path timeout (settings.db_timeout);
    # the store above was for the upgrade and the demo, which may take longer.
    store.dispose()
    if workers == 1:
        BoardServer(uvicorn_config(create_app(settings), settings=settings)).run(sockets=[sock])
        return
    run_workers(uvicorn_config("board.app:create_app", workers, settings), sock)


# How many boards `board serve` lists with their links; `board list` shows them all.
SHOWN_BOARDS = 10


def where_participants_go(settings: Settings, store: Store, url: str, demo: bool) -> list[str]:
    """What `board serve` prints under its address: the index page, each board's participant
    link (the newest SHOWN_BOARDS) or how to make one, the demo's links and key with --demo,
    and a warning when participants on other machines could not open any of it."""
    from board.cli.demo import create_demo
    from board.domain import boards

    base = settings.public_url or url
    lines = [f"Index page (participants enter a board's code or link): {base}/"]
    demo_board = create_demo(store) if demo else None
    demo_slug = demo_board[0]["slug"] if demo_board else None
    listed = [board for board in boards.list_boards(store) if board["slug"] != demo_slug]
    if listed:
        lines.append("Boards (participant links):")
        width = max(len(board["slug"]) for board in listed[:SHOWN_BOARDS])
        lines += [
            f"  {board['slug']:<{width}}  {base}/b/{board['slug']}  {board['title']}"
            for board in listed[:SHOWN_BOARDS]
        ]
        if len(listed) > SHOWN_BOARDS:
            lines.append(f"  … and {len(listed) - SHOWN_BOARDS} more: `board list` shows them")
    if demo_board:
        board, key = demo_board
        lines.append(f'Demo board "{board["title"]}":')
        lines += links(settings, board["slug"], key, url, warn=False, code=board["code"])
    elif not listed:
        lines.append(
            'No boards yet. Make one with: board create "My webinar"   '
            "(or restart with --demo for a sample board)"
        )
    if warning := loopback_warning(settings, url):
        lines.append(warning)
    return lines


def served_at(host: str, port: int) -> str:
    """The base URL of a server listening on `host`:`port` (an IPv6 address in brackets)."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


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


@main.command()
@click.argument("title")
@click.option("--slug", help="URL name; generated from the title when left out.")
@click.option(
    "--moderation",
    type=click.Choice(MODERATIONS),
    default="post",
    show_default=True,
    help="pre: notes wait for approval; post: visible at once.",
)
@click.option("--locale", type=click.Choice(LOCALES), default="nb", show_default=True)
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
    from pydantic import ValidationError

    from board.domain import boards
    from board.domain.schemas import BoardCreate, describe

    try:
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
    except ValidationError as exc:
        raise click.ClickException(describe(exc, CREATE_NAMES)) from None
    settings = load_settings()
    board, key = boards.create_board(open_store(settings), spec)
    click.echo(f'Created board "{board["title"]}" ({board["slug"]}), join code {board["code"]}')
    click.echo("\n".join(links(settings, board["slug"], key, code=board["code"])))


@main.command(name="list")
@expected_problems
def list_command() -> None:
    """List the boards in the database, newest first."""
    from board.domain import boards

    settings = load_settings()
    rows = boards.list_boards(open_store(settings))
    if not rows:
        click.echo(f"No boards yet in {database_name(settings)}.")
        click.echo('Make one with: board create "My webinar"')
        return
    width = max(len(row["slug"]) for row in rows)
    for row in rows:
        created = row["created_at"].strftime("%Y-%m-%d %H:%M")
        slug, code = f"{row['slug']:<{width}}", row["code"]
        click.echo(f"{slug}  {code}  {row['notes']:>5} notes  {created}  {row['title']}")


@main.command()
@click.option("--slug", help="Purge this board now, whatever its retention (it cannot be undone).")
@expected_problems
def purge(slug: str | None) -> None:
    """Anonymise boards past their retention_days: names, tokens, deleted text (docs/moderation.md).

    `board serve` does the same once a day.
    """
    from board.domain import retention
    from board.errors import ApiError

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


@main.group(name="db")
def db_group() -> None:
    """Database schema: upgrade to the latest revision, or show the current one."""


@db_group.command()
@expected_problems
def upgrade() -> None:
    """Bring the database to the latest schema revision."""
    from board.store import db

    store = open_store(load_settings())
    click.echo(f"Database is at revision {db.current_revision(store.engine)} (latest)")


@db_group.command()
@expected_problems
def current() -> None:
    """Show the database's schema revision."""
    from board.store import db

    settings = load_settings()
    if settings.data_dir_source == "legacy":
        click.echo(database_line(settings), err=True)
    engine = db.create_engine(settings.resolved_database_url)
    revision, head = db.current_revision(engine), db.head_revision(engine)
    if revision == head:
        click.echo(f"{revision} (latest)")
    else:
        click.echo(f"{revision or 'empty'} (latest is {head}: run `board db upgrade`)")


main.add_command(export_command)
main.add_command(import_command)
main.add_command(bench)
