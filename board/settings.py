"""Settings, read once from `BOARD_*` environment variables and passed down.

Each field's description is its documentation: the README's configuration table lists every
field here, and a test fails when one is missing there.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

EXAMPLE_URL = "postgresql+psycopg://user@host/dbname"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# One CSP source expression: a keyword, a scheme ("https:") or a host with optional scheme,
# wildcard subdomain, port and path. Nothing that could end the directive (";" or ",").
_SOURCE = re.compile(
    r"'self'|[a-z][a-z0-9+.-]*:"
    r"|(?:[a-z][a-z0-9+.-]*://)?(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::(?:[0-9]+|\*))?"
    r"(?:/[^\s;,']*)?"
)


def _limit(default: int, what: str) -> Any:
    return Field(default, ge=0, description=what)


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
    db_timeout: float = Field(
        5.0,
        gt=0,
        description="Seconds a request may wait on the database (a PostgreSQL statement, SQLite's "
        "write lock) before it is answered 503 and retried; exports and purges are not limited.",
    )
    trusted_proxies: Annotated[list[Network], NoDecode] = Field(
        default_factory=list,
        description="Reverse proxies whose `X-Forwarded-For` names the client, comma-separated "
        "addresses or networks (`127.0.0.1,10.0.0.0/8`). Unset: the client is the socket's peer.",
    )
    frame_ancestors: str = Field(
        "'none'",
        description="Sites that may show the pages in a frame, as a CSP `frame-ancestors` "
        "source list (`'self' https://www.example.no`). `'none'`: no framing.",
    )
    # Rate limits (limits.py). Each is a token bucket: up to BURST at once, refilled at PER_MINUTE.
    # 0 turns a limit off.
    notes_per_minute: int = _limit(10, "Notes one participant token may post per minute.")
    notes_burst: int = _limit(5, "Notes one participant token may post at once.")
    comments_per_minute: int = _limit(20, "Comments one token may post per minute.")
    comments_burst: int = _limit(10, "Comments one token may post at once.")
    likes_per_minute: int = _limit(60, "Likes and unlikes one token may make per minute.")
    likes_burst: int = _limit(30, "Likes and unlikes one token may make at once.")
    # The per-address limits are sized for a whole office behind one public address: 1,500
    # colleagues opening the board within a minute (and their pages reconnecting after a restart)
    # all get in, while a script that keeps joining is held to the per-minute rate (README).
    joins_per_minute_per_ip: int = _limit(
        300, "Joins (new participants) from one address per minute, once the burst is used."
    )
    joins_burst_per_ip: int = _limit(1500, "Joins from one address at once.")
    sockets_per_minute_per_ip: int = _limit(
        1500, "WebSocket connections one address may open per minute, once the burst is used."
    )
    sockets_burst_per_ip: int = _limit(3000, "WebSocket connections one address may open at once.")
    sockets_per_ip: int = _limit(
        3000, "WebSockets one address may hold open at the same time, counted per process."
    )

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_networks(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        networks = []
        for part in (p.strip() for p in value.split(",")):
            if not part:
                continue
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValueError(
                    f"BOARD_TRUSTED_PROXIES: {part!r} is not an IP address or network "
                    "(e.g. 127.0.0.1,10.0.0.0/8)"
                ) from None
        return networks

    @field_validator("frame_ancestors")
    @classmethod
    def _source_list(cls, value: str) -> str:
        sources = value.split()
        if sources == ["'none'"]:
            return "'none'"
        if not sources or not all(_SOURCE.fullmatch(source) for source in sources):
            raise ValueError(
                "BOARD_FRAME_ANCESTORS must be 'none' or a space-separated list of sources "
                "such as 'self' https://www.example.no"
            )
        return " ".join(sources)

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
