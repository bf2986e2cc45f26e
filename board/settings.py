"""Settings, read once from `BOARD_*` environment variables and passed down.

Each field's description is its documentation: the README's configuration table lists every
field here, and a test fails when one is missing there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

EXAMPLE_URL = "postgresql+psycopg://user@host/dbname"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BOARD_", extra="ignore", frozen=True)

    data_dir: Path = Field(
        Path("data"),
        description="Folder for the embedded SQLite database (`board.db`).",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database, e.g. `postgresql+psycopg://host/db`. "
        "Unset: the SQLite file `board.db` in `BOARD_DATA_DIR`.",
    )
    admin_token: str | None = Field(
        None,
        description="Bearer token that may create boards over HTTP. Unset: only the CLI can.",
    )
    public_url: str | None = Field(
        None,
        description="Base URL that printed participant and moderator links start with. "
        "Unset: the address `board serve` listens on (http://127.0.0.1:8000 by default).",
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL (`redis://host:6379/0`) that carries live events between server "
        "processes. Unset: one process, in-process fan-out.",
    )
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Other origins allowed to open the live WebSocket besides the page's own, "
        "comma-separated (`https://a.example,https://b.example`).",
    )
    ws_queue_limit: int = Field(
        1000,
        ge=8,
        description="Messages one WebSocket may have waiting; a client further behind is closed "
        "with 1013 and resumes.",
    )
    ws_hello_timeout: float = Field(
        10.0,
        gt=0,
        description="Seconds a new WebSocket has to send its `hello` before it is closed (1008).",
    )
    max_body_bytes: int = Field(
        64 * 1024,
        ge=1024,
        description="Largest request body accepted; larger ones get 413.",
    )

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            url = sa.make_url(value)
        except sa.exc.ArgumentError:
            raise ValueError(f"BOARD_DATABASE_URL is not a database URL: {EXAMPLE_URL}") from None
        if url.drivername == "sqlite" and url.database in (None, "", ":memory:"):
            raise ValueError(
                "BOARD_DATABASE_URL: an in-memory SQLite database keeps nothing; "
                "give a file (sqlite:////path/board.db) or leave it unset"
            )
        if url.drivername not in ("sqlite", "postgresql+psycopg"):
            raise ValueError(f"BOARD_DATABASE_URL: use SQLite or PostgreSQL, e.g. {EXAMPLE_URL}")
        return value

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else None

    @field_validator("admin_token")
    @classmethod
    def _admin_token_strong(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 16:
            raise ValueError("BOARD_ADMIN_TOKEN must be at least 16 characters (or unset)")
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'board.db').resolve()}"
