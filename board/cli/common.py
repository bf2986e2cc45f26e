"""What the commands share: the settings, the store, the links they print, and failures a user can
fix shown as one line.

Like every module the `board` group loads to list its commands, this one imports click and the
standard library only; the rest is imported when a command runs, so `board --help` stays quick
(tests/test_cli.py checks what it loads).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from board.settings import Settings
    from board.store.db import Store

F = TypeVar("F", bound=Callable[..., Any])
# Where `board serve` listens by default, and so where printed links point without
# BOARD_PUBLIC_URL.
DEFAULT_SERVED_AT = "http://127.0.0.1:8000"


def expected_problems(func: F) -> F:
    """Turn the failures a user can fix into one line and exit code 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import sqlalchemy as sa
        from pydantic import ValidationError

        from board.domain.schemas import describe
        from board.errors import ApiError

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
    """The settings from the environment; one that cannot be used names its variable and what
    it takes (`bad setting: BOARD_NOTES_PER_MINUTE must be a whole number, 0 or more`)."""
    from pydantic import ValidationError

    from board.domain.schemas import describe
    from board.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        names = {name: f"BOARD_{name.upper()}" for name in Settings.model_fields}
        raise click.ClickException(
            f"bad setting: {describe(exc, names, setting_takes())}"
        ) from None
    except RuntimeError as exc:  # Path.home(): no HOME and no entry in the password database
        raise click.ClickException(f"{exc} Set BOARD_DATA_DIR to the database's folder.") from None


def setting_takes() -> dict[str, str]:
    """What each setting with a number takes, in words, from its type and bounds."""
    from board.settings import Settings

    kinds: dict[object, str] = {int: "a whole number", float: "a number"}
    takes = {}
    for name, field in Settings.model_fields.items():
        if (kind := kinds.get(field.annotation)) is None:
            continue
        for rule in field.metadata:
            if getattr(rule, "ge", None) is not None:
                kind += f", {rule.ge} or more"
            if getattr(rule, "gt", None) is not None:
                kind += f" above {rule.gt}"
        if name.endswith(("_per_minute", "_burst", "_per_ip")) and "0 or more" in kind:
            kind += " (0 turns the limit off)"
        takes[name] = kind
    return takes


# The commands that write to the database (`board db upgrade` is "upgrade"): each says which
# database it writes to.
WRITERS = frozenset({"create", "import", "purge", "upgrade", "serve"})


def open_store(settings: Settings, *, err: bool = True) -> Store:
    """The store for the configured database, upgraded to the latest schema.

    Says on stderr (stdout with `err=False`: `board serve`'s JSON log is alone there), in one
    line, which database that is, when the command writes (WRITERS),
    when the database is new (there was none there: it starts empty, which is how a command
    run from the wrong place used to make a second database unnoticed) and when it is the old
    `./data` of the working directory, which is used while it exists."""
    from board.store import db

    engine = db.create_engine(settings.resolved_database_url)
    new = db.current_revision(engine) is None
    store = db.Store(engine)
    db.upgrade(store.engine)
    context = click.get_current_context(silent=True)
    writes = context is not None and context.command.name in WRITERS
    legacy = settings.data_dir_source == "legacy"
    if writes or new or legacy:
        click.echo(database_line(settings, new), err=err)
    return store


def database_name(settings: Settings) -> str:
    """The SQLite file, or the database's URL without its password."""
    import sqlalchemy as sa

    url = sa.make_url(settings.resolved_database_url)
    if url.drivername == "sqlite":
        return str(url.database)
    return url.render_as_string(hide_password=True)


def database_line(settings: Settings, new: bool = False) -> str:
    """`Database: …` (`database_name`); why it is that one when it is the old `./data`; that it
    is new and empty when it is."""
    line = f"Database: {database_name(settings)}"
    if new:
        line += " (new and empty: there was no board database here)"
    if settings.data_dir_source == "legacy":
        folder = settings.data_dir.resolve()
        line += (
            f", found in ./data of the current folder (the earlier default); "
            f"set BOARD_DATA_DIR={folder} to use it from any folder"
        )
    return line


LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def unreachable_host(base_url: str) -> str | None:
    """The host of `base_url` when participants on other machines cannot open it (a loopback
    or unspecified address, "localhost"), else None."""
    import ipaddress
    from urllib.parse import urlsplit

    host = (urlsplit(base_url).hostname or "").lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return host
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return host if address.is_loopback or address.is_unspecified else None


def loopback_warning(settings: Settings, served_at: str) -> str | None:
    """One line when the printed links point where no participant can go, saying what to set."""
    host = unreachable_host(settings.public_url or served_at)
    if host is None:
        return None
    where = (
        f"BOARD_PUBLIC_URL points at {host}"
        if settings.public_url
        else f"BOARD_PUBLIC_URL is unset, so links point at {host}"
    )
    advice = "set BOARD_PUBLIC_URL to the address they use (e.g. https://pinboard.example.no)"
    if host not in ("0.0.0.0", "::"):  # noqa: S104 (what the links say, not a bind)
        advice += (
            ", and serve with --host 0.0.0.0 if they, or a proxy on another machine, reach "
            "this one directly"
        )
    return f"Warning: {where}, which participants on other machines cannot open: {advice}"


def links(
    settings: Settings,
    slug: str,
    key: str,
    served_at: str = DEFAULT_SERVED_AT,
    warn: bool = True,
    code: str | None = None,
) -> list[str]:
    """The participant and moderator links and the key, as `board create` and `import` print
    them, with the join code to say aloud when given; with `warn`, says on stderr when
    participants could not open them (`loopback_warning`). `board serve` warns once for all its
    links instead."""
    root = settings.public_url or served_at
    base = f"{root}/b/{slug}"
    if warn and (warning := loopback_warning(settings, served_at)):
        click.echo(warning, err=True)
    spoken = [f"  Join code:    {code} ({root}/j/{code})"] if code else []
    return [
        f"  Participants: {base}",
        *spoken,
        f"  Moderators:   {base}/moderate#key={key}",
        f"  Moderator key (shown once, keep it safe): {key}",
    ]
