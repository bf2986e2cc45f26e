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
    from pydantic import ValidationError

    from board.domain.schemas import describe
    from board.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        raise click.ClickException(f"bad setting: {describe(exc)}") from None


def open_store(settings: Settings) -> Store:
    """The store for the configured database, upgraded to the latest schema."""
    from board.store import db

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
