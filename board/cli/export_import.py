"""`board export` and `board import`: boards written to files (a Markdown archive, a spreadsheet
or a JSON backup) and backups made into boards again. The exporters, the backup format and the
store are imported when a command runs (board/cli/common.py says why)."""

from __future__ import annotations

import os
import re
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import click

from board.cli.common import expected_problems, links, load_settings, open_store

# The choices of --group-by and --lang, written out so that listing them imports no exporter;
# tests/test_cli.py checks that they are export.GROUPINGS and export.LANGS.
GROUPINGS = ("sdg", "section", "time")
LANGS = ("nb", "en")


@click.command(name="export")
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
    type=click.Choice(GROUPINGS),
    help="One heading per SDG (the default), per section, or per day.",
)
@click.option("--lang", type=click.Choice(LANGS), help="Default: the board's locale.")
@click.option(
    "--include-hidden", is_flag=True, help="Also pending, hidden and deleted notes, marked."
)
@click.option(
    "--anonymous",
    is_flag=True,
    help="Names become Deltaker/Participant 1, 2, … (Markdown and xlsx).",
)
@click.option(
    "--stamp", is_flag=True, help="Add when the file was made (it then differs each run)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "xlsx", "json"]),
    default="md",
    show_default=True,
    help="md: the Markdown archive; xlsx: a spreadsheet, one row per note; "
    "json: a backup that `board import` reads.",
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
    anonymous: bool,
    stamp: bool,
    fmt: str,
    every: bool,
    directory: str | None,
) -> None:
    """Write a board as a Markdown archive, a spreadsheet or a JSON backup (or every board with
    --all)."""
    from board.archive import backup, export
    from board.archive import contents as archive
    from board.domain import boards
    from board.errors import ApiError

    if every != (directory is not None) or every == (slug is not None):
        raise click.UsageError("give a SLUG, or --all with --dir DIR")
    if every and output != "-":
        raise click.UsageError("--all writes into --dir; leave out -o")
    if fmt == "json" and (group_by or lang or include_hidden or anonymous or stamp):
        raise click.UsageError(
            "--group-by, --lang, --include-hidden, --anonymous and --stamp are for Markdown; "
            "a JSON backup always holds the whole board"
        )
    if fmt == "xlsx" and (group_by or stamp):
        raise click.UsageError(
            "--group-by and --stamp are for Markdown; a spreadsheet has one row per note, "
            "to sort and filter as you like"
        )
    if fmt == "xlsx" and slug is not None and output == "-" and sys.stdout.isatty():
        raise click.UsageError("a spreadsheet is not for a terminal; write it with -o FILE.xlsx")
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
        if fmt == "xlsx":
            # Imported here: openpyxl takes a tenth of a second to load, which no other command
            # should pay.
            from board.archive import spreadsheet

            return spreadsheet.render(
                data,
                spreadsheet.Options(
                    lang=cast(export.Lang | None, lang),
                    include_hidden=include_hidden,
                    anonymous=anonymous,
                ),
            )
        options = export.Options(
            group_by=cast(export.GroupBy, group_by or "sdg"),
            lang=cast(export.Lang | None, lang),
            include_hidden=include_hidden,
            board_url=f"{settings.public_url}/b/{board}" if settings.public_url else None,
            generated_at=datetime.now(UTC) if stamp else None,
            anonymous=anonymous,
        )
        return export.render(data, options).encode("utf-8")

    if slug is not None:
        if output != "-":
            writable_folder(Path(output).parent)  # before the work, not after it
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


def writable_folder(folder: Path) -> None:
    """One line naming the folder when a file cannot be written into it."""
    shown = folder.resolve()
    if folder.exists() and not folder.is_dir():
        raise click.ClickException(f"{shown} is a file, not a folder; choose another path")
    if not folder.is_dir():
        raise click.ClickException(
            f"the folder {shown} does not exist; create it or choose another"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise click.ClickException(
            f"the folder {shown} is not writable; choose another or change its permissions"
        )


def _usual_mode() -> int:
    """What a plain `open()` would give a new file: 0666 minus the umask (mkstemp's is 0600)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def write_file(path: Path, content: bytes) -> None:
    """Write all of `content` or nothing: a crash never leaves half an archive behind."""
    writable_folder(path.parent)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            os.fchmod(out.fileno(), _usual_mode())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@click.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--slug", help="Import under this slug instead of the one in the file.")
@expected_problems
def import_command(file: str, slug: str | None) -> None:
    """Recreate a board from a JSON backup (`board export SLUG --format json`)."""
    from board.archive import backup
    from board.domain.slug import SLUG_PATTERN

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
    saved_code = data["board"]["code"]
    if saved_code is None:
        click.echo(f"Join code: {board.code} (new: the backup is from before join codes)")
    elif board.code != saved_code:
        click.echo(f"Join code: {board.code} (new: {saved_code} belongs to another board here)")
    else:
        click.echo(f"Join code: {board.code}")
    click.echo("\n".join(links(settings, board.slug, key)))
