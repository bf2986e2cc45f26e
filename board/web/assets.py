"""The static tree in memory: every file of `static/` with its version, gzip, ETag and headers.

`Assets.load` reads the tree once when the app is built (~260 KB), with the SDG catalogue added as
`sdgs.json` and the suggestions' keywords as `sdg-keywords.json` (#18), and gzips each text file
once; requests are answered from memory, with no file I/O and no hop to the thread pool. URLs
(issue 14):

- `/static/<version>/<path>`: `version` is 10 hex digits of a SHA-256 over every file's path and
  bytes, so any change to any file (or to the catalogue) gives every file a new URL. The pages
  reference this prefix only, and relative module imports (`./dom.js`, `../vendor/uqr/uqr.js`)
  resolve under it; a browser keeps these for a year without asking again (`immutable`).
- `/static/<path>`: revalidated on every use (`no-cache`, ETag → 304), for a page or module cached
  before a deploy, or a hand-typed URL.
- `/static/<another version>/<path>`: a page from the previous release asking mid-deploy. The
  file is served (a working page beats a 404) but revalidated, never `immutable`: the bytes are
  this release's, and caching them for a year under the old version's URL would pin them there.

HTML files' `"/static/…"` references are rewritten to the versioned prefix when read, so the
source files keep plain paths. A response is gzip when the request accepts it, identity
otherwise, with `Vary: Accept-Encoding` on both and an ETag per encoding.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from board.domain.sdg import catalogue
from board.domain.suggest import KEYWORDS, raw_keywords
from board.web.compression import accepts_gzip

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# The SDG catalogue (`GET /api/sdgs`), served with the tree: its bytes are part of the version.
CATALOGUE = "sdgs.json"
# The data file static/js/suggest.js matches with, byte for byte what the server matches with.
SUGGESTIONS = KEYWORDS

VERSION_LENGTH = 10
_VERSION = re.compile(f"[0-9a-f]{{{VERSION_LENGTH}}}")
# An attribute value that starts with /static/ (href="/static/css/board.css", src='/static/…').
_STATIC_REFERENCE = re.compile(rb"""(?<=["'])/static/""")
MEDIA_TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    # ES modules must be JavaScript: with nosniff, Chromium refuses a module of any other type.
    ".js": "text/javascript",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".md": "text/markdown",
    ".txt": "text/plain",
    "": "text/plain",  # LICENSE
}
_COMPRESSIBLE = ("text/", "application/json", "image/svg+xml")


@dataclass(frozen=True, slots=True)
class Asset:
    """One file: its bytes, their gzip (None when not text or not smaller) and both ETags."""

    media_type: str
    body: bytes
    gzipped: bytes | None
    etag: str
    gzip_etag: str

    @classmethod
    def of(cls, name: str, body: bytes) -> Asset:
        """The asset for the file `name` (a path in the tree) holding `body`."""
        media_type = media_type_of(name)
        gzipped = None
        if media_type.startswith(_COMPRESSIBLE):
            # mtime=0: the same bytes give the same gzip, in every process and every release.
            packed = gzip.compress(body, compresslevel=9, mtime=0)
            gzipped = packed if len(packed) < len(body) else None
        tag = hashlib.sha256(body).hexdigest()[:20]
        return cls(media_type, body, gzipped, f'"{tag}"', f'"{tag}-gzip"')


class Assets:
    """The files of one static tree by path (`js/wall.js`), and the tree's version."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        digest = hashlib.sha256()
        for name in sorted(files):
            # Lengths keep ("a", "bc") and ("ab", "c") apart.
            digest.update(f"{name}\0{len(files[name])}\0".encode())
            digest.update(files[name])
        self.version = digest.hexdigest()[:VERSION_LENGTH]
        self.prefix = f"/static/{self.version}/"
        self.files = {
            name: Asset.of(name, self._rewrite(name, body)) for name, body in files.items()
        }

    @classmethod
    def load(cls, directory: Path) -> Assets:
        """Every file under `directory` (dot files left out), the SDG catalogue and the
        suggestion keywords."""
        files = {}
        for path in sorted(directory.rglob("*")):
            name = path.relative_to(directory)
            if path.is_file() and not any(part.startswith(".") for part in name.parts):
                files[name.as_posix()] = path.read_bytes()
        for added in (CATALOGUE, SUGGESTIONS):
            if added in files:
                raise ValueError(f"{directory / added} would hide board/data's {added}; rename it")
        files[CATALOGUE] = encode_catalogue()
        files[SUGGESTIONS] = raw_keywords()
        return cls(files)

    def _rewrite(self, name: str, body: bytes) -> bytes:
        if not name.endswith(".html"):
            return body
        return _STATIC_REFERENCE.sub(self.prefix.encode(), body)

    def find(self, path: str) -> tuple[Asset, str] | None:
        """The asset for `/static/{path}` and its Cache-Control, or None when there is none."""
        version, _, rest = path.partition("/")
        if version == self.version and rest in self.files:
            return self.files[rest], IMMUTABLE
        if path in self.files:
            return self.files[path], REVALIDATE
        if _VERSION.fullmatch(version) and rest in self.files:
            return self.files[rest], REVALIDATE  # another release's URL: see the module docstring
        return None


def encode_catalogue() -> bytes:
    """The catalogue as `JSONResponse` would encode it."""
    return json.dumps(
        catalogue(), ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode()


def media_type_of(name: str) -> str:
    """The Content-Type for a file name: our table first, so it never depends on the host's."""
    suffix = Path(name).suffix.lower()
    if suffix in MEDIA_TYPES:
        return MEDIA_TYPES[suffix]
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _matches(if_none_match: str, asset: Asset) -> bool:
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or asset.etag in tags or asset.gzip_etag in tags


def answer(
    asset: Asset,
    cache_control: str,
    accept_encoding: str,
    if_none_match: str,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body for `asset`: gzip or identity, or 304 when the client's copy is
    current.

    Only a 200 answers 304: preconditions do not apply to an error (RFC 9110, 13.2.1). A 304
    carries the same `headers` as the 200, because a browser merges a 304's headers into the
    stored response: a page's 304 without its own policy would get the closed one.
    """
    values = {"Cache-Control": cache_control, **(headers or {})}
    body, etag = asset.body, asset.etag
    if asset.gzipped is not None:
        values["Vary"] = "Accept-Encoding"
        if accepts_gzip(accept_encoding):
            body, etag = asset.gzipped, asset.gzip_etag
            values["Content-Encoding"] = "gzip"
    values["ETag"] = etag
    if status == 200 and _matches(if_none_match, asset):
        values.pop("Content-Encoding", None)
        return 304, values, b""
    # As Starlette's Response says it: text is UTF-8.
    text = asset.media_type.startswith("text/")
    values["Content-Type"] = asset.media_type + ("; charset=utf-8" if text else "")
    return status, values, body


def respond(
    request: Request,
    asset: Asset,
    cache_control: str,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """`asset` as the answer to `request` (see `answer`)."""
    status, values, body = answer(
        asset,
        cache_control,
        request.headers.get("accept-encoding", ""),
        request.headers.get("if-none-match", ""),
        status=status,
        headers=headers,
    )
    return Response(body, status_code=status, headers=values)


class ServeAssets:
    """ASGI middleware that answers `/static/…` from memory before the rest of the app runs.

    Files are 18 of the 21 requests of a first visit (`board bench --arrivals`); through the
    routing, the other middlewares and a Response object each cost twice what answering here
    does. `extra` are the headers every other answer gets from `headers.SecurityHeaders`. What
    is not found here (or not a GET or HEAD) goes on to the app: its 404 is the usual one.
    """

    def __init__(self, app: ASGIApp, assets: Assets, extra: Mapping[str, str]) -> None:
        self.app = app
        self.assets = assets
        self.extra = [(k.lower().encode(), v.encode()) for k, v in extra.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        found = None
        if (
            scope["type"] == "http"
            and path.startswith("/static/")
            and scope["method"] in ("GET", "HEAD")
        ):
            found = self.assets.find(path.removeprefix("/static/"))
        if found is None:
            await self.app(scope, receive, send)
            return
        request = dict(scope["headers"])
        status, values, body = answer(
            *found,
            request.get(b"accept-encoding", b"").decode("latin-1"),
            request.get(b"if-none-match", b"").decode("latin-1"),
        )
        raw = [(k.lower().encode(), v.encode()) for k, v in values.items()]
        if status != 304:
            raw.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": raw + self.extra})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )
