"""Settings, read once from `BOARD_*` environment variables and passed down.

Each field's description is its documentation: `docs/configuration.md` is generated from them
by `.venv/bin/python -m board.settings > docs/configuration.md`, and tests/test_docs.py fails
while the page is stale.
"""

from __future__ import annotations

import ipaddress
import os
import re
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import Field, field_validator
from pydantic.fields import FieldInfo
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


# The folder the database was in before it moved out of the working directory (#17).
LEGACY_DATA_DIR = Path("data")


def user_data_dir() -> Path:
    """Where the database lives by default: `$XDG_DATA_HOME/sdg-pinboard`, or
    `~/.local/share/sdg-pinboard` when XDG_DATA_HOME is unset or not absolute (as the XDG base
    directory specification says)."""
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "sdg-pinboard"


def default_data_dir() -> Path:
    """BOARD_DATA_DIR when unset: `./data` of the working directory while it holds a
    `board.db` (the old default, kept working), else the user's data folder."""
    if (LEGACY_DATA_DIR / "board.db").is_file():
        return LEGACY_DATA_DIR
    return user_data_dir()


def _limit(default: int, what: str) -> Any:
    return Field(default, ge=0, description=what)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BOARD_", extra="ignore", frozen=True)

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Folder for the embedded SQLite database (`board.db`); a relative path is "
        "relative to the working directory. Unset: `$XDG_DATA_HOME/sdg-pinboard`, or "
        "`~/.local/share/sdg-pinboard` without XDG_DATA_HOME, whatever the current folder; "
        "but while the current folder has a `data/board.db` (the earlier default), that one, "
        "and every command says so.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database, e.g. `postgresql+psycopg://user@host/db`; "
        "SQLite (`sqlite:////path/board.db`) and PostgreSQL through psycopg are supported. "
        "Unset: the SQLite file `board.db` in `BOARD_DATA_DIR`.",
    )
    admin_token: str | None = Field(
        None,
        description="Bearer token that may create boards over HTTP and acts as every board's "
        "owner key; at least 16 characters, not rate limited. Unset: only the CLI creates boards.",
    )
    metrics_token: str | None = Field(
        None,
        description="Bearer token that may read `GET /metrics` (Prometheus text format, "
        "[metrics](metrics.md)); at least 16 characters. Unset: there is no `/metrics` (404).",
    )
    public_url: str | None = Field(
        None,
        description="Base URL that printed participant and moderator links and the archive's "
        "board link start with, e.g. `https://pinboard.example.no`. Unset: the address "
        "`board serve` listens on (http://127.0.0.1:8000 by default), and no link in the archive.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL (`redis://host:6379/0`) that carries live events between server "
        "processes (needs the `redis` extra). Unset: one process, in-process fan-out.",
    )
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Other origins allowed to open the live WebSocket besides the page's own, "
        "comma-separated (`https://a.example,https://b.example`). Unset: the page's own only.",
    )
    ws_queue_limit: int = Field(
        1000,
        ge=8,
        description="Messages one WebSocket may have waiting; a client further behind is closed "
        "with 1013 and resumes. Replays longer than half of it are a `reset` instead.",
    )
    ws_hello_timeout: float = Field(
        10.0,
        gt=0,
        description="Seconds a new WebSocket has to send its `hello` before it is closed (1008).",
    )
    ws_ping_interval: float = Field(
        20.0,
        gt=0,
        description="Seconds between the server's WebSocket pings. They keep an idle socket "
        "open through a reverse proxy: keep it well under the proxy's read timeout "
        "(`proxy_read_timeout` in `deploy/nginx.conf`).",
    )
    ws_ping_timeout: float = Field(
        20.0,
        gt=0,
        description="Seconds a WebSocket may leave a ping unanswered before the server closes "
        "it (1011): a client that vanished without closing.",
    )
    max_body_bytes: int = Field(
        64 * 1024,
        ge=1024,
        description="Largest request body accepted, in bytes; larger ones get 413.",
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
        "addresses or networks (`127.0.0.1,10.0.0.0/8`). Unset: the client is the connection's "
        "peer and `X-Forwarded-For` is ignored.",
    )
    frame_ancestors: str = Field(
        "'none'",
        description="Sites that may embed the pages in a frame, as a CSP `frame-ancestors` "
        "source list (`'self' https://www.example.no`). `'none'`: no framing.",
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="How `board serve` writes its log: `text`, one readable line per request, "
        "WebSocket and event; `json`, one JSON object per line (`time`, `level`, `logger`, "
        "`message` and the line's fields: `request_id`, `method`, `path`, `status`, "
        "`duration_ms`…), uvicorn's own lines included, for a log shipper.",
    )
    # Rate limits (limits.py). Each is a token bucket: up to BURST at once, refilled at PER_MINUTE.
    # 0 turns a limit off.
    notes_per_minute: int = _limit(
        10, "Notes one participant (token) may post per minute, once the burst is used."
    )
    notes_burst: int = _limit(5, "Notes one participant (token) may post at once.")
    comments_per_minute: int = _limit(
        20, "Comments one token may post per minute, once the burst is used."
    )
    comments_burst: int = _limit(10, "Comments one token may post at once.")
    likes_per_minute: int = _limit(
        60, "Likes and unlikes one token may make per minute, once the burst is used."
    )
    likes_burst: int = _limit(30, "Likes and unlikes one token may make at once.")
    # The per-address limits are sized for a whole office behind one public address: 1,500
    # colleagues opening the board within a minute (and their pages reconnecting after a restart)
    # all get in, while a script that keeps joining is held to the per-minute rate
    # (docs/moderation.md).
    joins_per_minute_per_ip: int = _limit(
        300, "Joins (new participants) from one address per minute, once the burst is used."
    )
    joins_burst_per_ip: int = _limit(1500, "Joins from one address at once.")
    sockets_per_minute_per_ip: int = _limit(
        1500, "WebSocket connections one address may open per minute, once the burst is used."
    )
    sockets_burst_per_ip: int = _limit(3000, "WebSocket connections one address may open at once.")
    # The wall suggests in the browser (#18); the route is for API users and tests, and one
    # suggestion costs well under a millisecond, so an office behind one address keeps going.
    suggestions_per_minute_per_ip: int = _limit(
        300,
        "SDG suggestions (`POST /api/sdgs/suggest`) one address may ask for per minute, once "
        "the burst is used.",
    )
    suggestions_burst_per_ip: int = _limit(60, "SDG suggestions one address may ask for at once.")
    sockets_per_ip: int = _limit(
        3000,
        "WebSockets one address may hold open at the same time, counted in each process (not "
        "across processes).",
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

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token_strong(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 16:
            raise ValueError("BOARD_METRICS_TOKEN must be at least 16 characters (or unset)")
        return value

    @property
    def data_dir_source(self) -> str:
        """Why the database is where it is: `database_url`, `data_dir` (set), `legacy` (the old
        `./data` found in the working directory) or `default` (the user's data folder)."""
        if self.database_url:
            return "database_url"
        if "data_dir" in self.model_fields_set:
            return "data_dir"
        return "legacy" if self.data_dir == LEGACY_DATA_DIR else "default"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'board.db').resolve()}"


PAGE_HEADER = """\
# Configuration

<!-- Generated from the field descriptions in board/settings.py; do not edit here. Regenerate:
     .venv/bin/python -m board.settings > docs/configuration.md -->

All settings are environment variables with the `BOARD_` prefix, read once when a `board`
command starts. A value that cannot be used stops the command with one line naming the setting
(`bad setting: …`, exit 1).

Rate limits are token buckets: up to *burst* at once, refilled at *per minute*. A rate limit of
`0` (either number of a pair) turns that limit off. [Moderation and privacy](moderation.md) says
what each limit is for; [running and deploying](running.md) which settings a deployment needs.

| variable | default | meaning |
|---|---|---|
"""


def reference() -> str:
    """docs/configuration.md: one row per setting, its default and its description."""
    rows = [
        f"| `BOARD_{name.upper()}` | {_default(field)} | {field.description}{_bounds(field)} |"
        for name, field in Settings.model_fields.items()
    ]
    return PAGE_HEADER + "\n".join(rows) + "\n"


# Defaults that depend on where a command runs, as the page shows them.
SHOWN_DEFAULTS = {default_data_dir: "`$XDG_DATA_HOME/sdg-pinboard`"}


def _default(field: FieldInfo) -> str:
    if field.default_factory in SHOWN_DEFAULTS:
        return SHOWN_DEFAULTS[field.default_factory]
    value = field.get_default(call_default_factory=True)
    if value is None or value == []:
        return "unset"
    return f"`{value}`"


def _bounds(field: FieldInfo) -> str:
    """The lower bound a field declares (pydantic keeps `ge=`/`gt=` as metadata objects)."""
    for rule in field.metadata:
        if getattr(rule, "ge", 0) != 0:
            return f" At least {rule.ge}."
        if getattr(rule, "gt", None) is not None:
            return f" More than {rule.gt}."
    return ""


if __name__ == "__main__":
    sys.stdout.write(reference())
