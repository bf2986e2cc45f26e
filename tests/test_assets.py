"""Static files, pages and the catalogue from memory: versioned URLs with immutable caching, gzip
once, ETags and 304s; dynamic answers gzipped by the middleware (issue 14)."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest
from conftest import ADMIN_TOKEN, auth
from starlette.testclient import TestClient

from board.app import create_app
from board.domain.suggest import raw_keywords
from board.resources import bundled
from board.settings import Settings
from board.store import db
from board.web.assets import CATALOGUE, IMMUTABLE, SUGGESTIONS, Assets
from board.web.compression import MINIMUM_SIZE, accepts_gzip
from board.web.pages import CONTENT_SECURITY_POLICY

GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}
HTML = {"Accept": "text/html"}
# Static imports (`import … from "./dom.js"`, `export … from`) and dynamic `import("…")`.
IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']""")
REFERENCE = re.compile(r"""(?:href|src)="(/static/[^"]+)\"""")
PAGES = ["/", "/b/{slug}", "/b/{slug}/moderate", "/b/{slug}/present"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The real app on a SQLite file of its own (nothing here depends on the backend)."""
    store = db.Store(db.create_engine(f"sqlite:///{tmp_path_factory.mktemp('assets')}/board.db"))
    db.upgrade(store.engine)
    with TestClient(create_app(Settings(admin_token=ADMIN_TOKEN), store)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def assets(client: TestClient) -> Assets:
    tree: Assets = client.app.state.assets
    return tree


@pytest.fixture(scope="module")
def slug(client: TestClient) -> str:
    response = client.post("/api/boards", json={"title": "Cache"}, headers=auth(ADMIN_TOKEN))
    assert response.status_code == 201, response.text
    return str(response.json()["board"]["slug"])


def test_a_versioned_asset_is_immutable_and_gzipped_when_accepted(
    client: TestClient, assets: Assets
) -> None:
    """/static/<version>/… is cached for a year as immutable; gzip when the client takes it,
    the same bytes uncompressed when it does not (also `gzip;q=0`), with an ETag either way."""
    source = (bundled("static") / "js" / "wall.js").read_bytes()
    url = f"{assets.prefix}js/wall.js"
    packed = client.get(url, headers=GZIP)
    assert packed.status_code == 200
    assert packed.headers["cache-control"] == IMMUTABLE
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["vary"] == "Accept-Encoding"
    assert packed.headers["content-type"] == "text/javascript; charset=utf-8"
    assert int(packed.headers["content-length"]) < len(source) / 2
    assert packed.content == source
    for refused in (IDENTITY, {"Accept-Encoding": "gzip;q=0, identity"}):
        plain = client.get(url, headers=refused)
        assert "content-encoding" not in plain.headers
        assert plain.headers["cache-control"] == IMMUTABLE
        assert int(plain.headers["content-length"]) == len(source)
        assert plain.content == source
        assert plain.headers["etag"] != packed.headers["etag"]


@pytest.mark.parametrize(
    ("header", "gzip_ok"),
    [
        ("gzip, deflate, br, zstd", True),
        ("GZIP", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("*", True),
        ("", False),
        ("identity", False),
        ("gzip;q=0", False),
        ("gzip;q=0.000, *", False),
        ("deflate, *;q=0", False),
    ],
)
def test_accept_encoding_is_read_with_its_qualities(header: str, gzip_ok: bool) -> None:
    """gzip is sent when named or covered by `*` with a quality above 0, never when refused."""
    assert accepts_gzip(header) is gzip_ok


def test_every_asset_has_its_type_and_every_text_over_the_threshold_a_gzip(assets: Assets) -> None:
    """Modules are text/javascript (nosniff refuses others), and every text file big enough to
    matter is compressed ahead, so the middleware never compresses an asset per request."""
    types = {name.rsplit(".", 1)[-1]: asset.media_type for name, asset in assets.files.items()}
    assert types["js"] == "text/javascript"
    assert types["css"] == "text/css"
    assert types["html"] == "text/html"
    assert types["svg"] == "image/svg+xml"
    assert types["json"] == "application/json"
    for name, asset in assets.files.items():
        if len(asset.body) >= MINIMUM_SIZE:
            assert asset.gzipped is not None, name
            assert gzip.decompress(asset.gzipped) == asset.body, name


def test_unversioned_assets_are_revalidated_with_an_etag(client: TestClient) -> None:
    """/static/… (a page cached before a deploy) is `no-cache` with an ETag that gives a 304,
    for the gzip and the plain copy alike."""
    for headers in (GZIP, IDENTITY):
        response = client.get("/static/css/board.css", headers=headers)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["content-type"] == "text/css; charset=utf-8"
        again = client.get(
            "/static/css/board.css", headers={**headers, "If-None-Match": response.headers["etag"]}
        )
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == response.headers["etag"]
    changed = client.get("/static/css/board.css", headers={"If-None-Match": '"stale"'})
    assert changed.status_code == 200


def test_another_versions_url_is_served_but_not_kept(client: TestClient, assets: Assets) -> None:
    """A page from the previous release asking mid-deploy gets the file, revalidated rather than
    immutable; an unknown file is a 404 under any prefix."""
    other = "0123456789" if assets.version != "0123456789" else "9876543210"
    response = client.get(f"/static/{other}/js/dom.js")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    assert response.content == (bundled("static") / "js" / "dom.js").read_bytes()
    for path in [f"{assets.prefix}js/nope.js", "/static/js/nope.js", "/static/nope/js/dom.js"]:
        assert client.get(path).status_code == 404, path
    assert client.get(f"{assets.prefix}js/nope.js", headers=HTML).text.count("Page not found")


def test_pages_reference_only_versioned_assets_and_answer_304(
    client: TestClient, assets: Assets, slug: str
) -> None:
    """Every page names its files under /static/<version>/ (each one answers 200, immutable),
    is revalidated (`no-cache`) with an ETag, and answers 304 with its own policy: a browser
    merges a 304's headers into the page it keeps."""
    for template in PAGES:
        path = template.format(slug=slug)
        response = client.get(path, headers=GZIP)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["content-encoding"] == "gzip"
        references = REFERENCE.findall(response.text)
        assert references, path
        assert '"/static/' not in response.text.replace(f'"{assets.prefix}', "")
        for reference in references:
            assert reference.startswith(assets.prefix), (path, reference)
            asset = client.get(reference)
            assert asset.status_code == 200, reference
            assert asset.headers["cache-control"] == IMMUTABLE
        again = client.get(path, headers={**GZIP, "If-None-Match": response.headers["etag"]})
        assert again.status_code == 304, path
        assert (
            again.headers["content-security-policy"] == response.headers["content-security-policy"]
        )
        assert again.headers["cache-control"] == "no-cache"


def test_the_404_page_is_versioned_but_never_a_304(client: TestClient, assets: Assets) -> None:
    """The 404 page names versioned files; a precondition never turns an error into a 304."""
    response = client.get("/b/no-such-board", headers=HTML)
    assert response.status_code == 404
    assert f'href="{assets.prefix}css/board.css"' in response.text
    again = client.get("/b/no-such-board", headers={**HTML, "If-None-Match": "*"})
    assert again.status_code == 404
    assert "Page not found" in again.text


def test_every_module_import_resolves_under_the_prefix(client: TestClient, assets: Assets) -> None:
    """Starting from the pages' modules, every import of every module (relative ones such as
    ./dom.js and ../vendor/uqr/uqr.js) resolves under the versioned prefix and answers 200 as
    JavaScript."""
    queue = [f"{assets.prefix}js/{name}" for name in ("wall.js", "moderate.js", "present.js")]
    queue.append(f"{assets.prefix}js/index.js")
    seen: set[str] = set()
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("text/javascript"), url
        assert response.headers["cache-control"] == IMMUTABLE, url
        for target in IMPORT.findall(response.text):
            resolved = urljoin(f"http://testserver{url}", target).removeprefix("http://testserver")
            assert resolved.startswith(assets.prefix), (url, target)
            queue.append(resolved)
    assert f"{assets.prefix}vendor/uqr/uqr.js" in seen
    assert len(seen) >= 15


def test_no_script_or_stylesheet_names_an_absolute_static_path() -> None:
    """Only HTML is rewritten to the versioned prefix: a module or stylesheet naming
    "/static/…" would load an unversioned copy, revalidated on every visit."""
    static = bundled("static")
    for path in [*static.rglob("*.js"), *static.rglob("*.css")]:
        assert not re.search(r"""["'`(]\s*/static/""", path.read_text("utf-8")), path


def test_the_version_covers_every_file_and_the_tree_is_read_once(tmp_path: Path) -> None:
    """Any change to any file's bytes or name gives a new version; the served bytes are the
    ones read when the tree was loaded, not the file's later contents."""
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "a.js").write_text('import { b } from "./b.js";\n')
    (tmp_path / "page.html").write_text('<script src="/static/js/a.js"></script>')
    (tmp_path / ".hidden").write_text("secret")
    first = Assets.load(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{10}", first.version)
    assert Assets.load(tmp_path).version == first.version
    assert sorted(first.files) == sorted(["js/a.js", "page.html", CATALOGUE, SUGGESTIONS])
    assert first.files["page.html"].body == (
        f'<script src="/static/{first.version}/js/a.js"></script>'.encode()
    )
    (tmp_path / "js" / "a.js").write_text('import { b } from "./c.js";\n')
    second = Assets.load(tmp_path)
    assert second.version != first.version
    assert first.files["js/a.js"].body == b'import { b } from "./b.js";\n'
    (tmp_path / "js" / "a.js").rename(tmp_path / "js" / "z.js")
    assert Assets.load(tmp_path).version not in (first.version, second.version)


def test_pages_fetch_the_catalogue_from_a_versioned_url(client: TestClient, assets: Assets) -> None:
    """The catalogue the pages use is /static/<version>/sdgs.json (immutable, gzip), where
    api.js finds it beside its own URL; the same bytes as GET /api/sdgs."""
    api_js = (bundled("static") / "js" / "api.js").read_text("utf-8")
    assert 'new URL("../sdgs.json", import.meta.url)' in api_js
    versioned = client.get(f"{assets.prefix}{CATALOGUE}", headers=GZIP)
    assert versioned.status_code == 200
    assert versioned.headers["cache-control"] == IMMUTABLE
    assert versioned.headers["content-type"] == "application/json"
    assert versioned.headers["content-encoding"] == "gzip"
    goals = versioned.json()
    assert [goal["number"] for goal in goals] == list(range(1, 18))
    assert sum(len(goal["targets"]) for goal in goals) == 169
    assert versioned.content == client.get("/api/sdgs").content


def test_the_suggestion_keywords_are_served_beside_the_modules(
    client: TestClient, assets: Assets
) -> None:
    """The wall's matcher reads /static/<version>/sdg-keywords.json (immutable, gzip), where
    suggest.js finds it beside its own URL: the very bytes the server matches with (#18)."""
    suggest_js = (bundled("static") / "js" / "suggest.js").read_text("utf-8")
    assert 'new URL("../sdg-keywords.json", import.meta.url)' in suggest_js
    versioned = client.get(f"{assets.prefix}{SUGGESTIONS}", headers=GZIP)
    assert versioned.status_code == 200
    assert versioned.headers["cache-control"] == IMMUTABLE
    assert versioned.headers["content-type"] == "application/json"
    assert versioned.headers["content-encoding"] == "gzip"
    assert versioned.content == raw_keywords()


def test_the_api_catalogue_is_encoded_once_with_an_etag(client: TestClient, assets: Assets) -> None:
    """GET /api/sdgs sends the bytes compressed when the app was built (not compressed again:
    one gzip layer), keeps its hour of caching and answers 304 to its ETag."""
    response = client.get("/api/sdgs", headers=GZIP)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.headers["content-encoding"] == "gzip"
    catalogue = assets.files[CATALOGUE]
    assert catalogue.gzipped is not None
    assert int(response.headers["content-length"]) == len(catalogue.gzipped)
    assert json.loads(response.content) == json.loads(catalogue.body)
    again = client.get("/api/sdgs", headers={**GZIP, "If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    plain = client.get("/api/sdgs", headers=IDENTITY)
    assert "content-encoding" not in plain.headers
    assert plain.content == catalogue.body


def test_large_api_answers_are_gzipped_and_small_ones_are_not(
    client: TestClient, slug: str
) -> None:
    """JSON over the threshold (stats: 169 targets) is gzipped when accepted and plain when not;
    small answers and small error envelopes are never compressed."""
    stats = client.get(f"/api/boards/{slug}/stats", headers=IDENTITY)
    assert len(stats.content) >= MINIMUM_SIZE
    assert "content-encoding" not in stats.headers
    packed = client.get(f"/api/boards/{slug}/stats", headers=GZIP)
    assert packed.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["vary"]
    assert int(packed.headers["content-length"]) < len(stats.content) / 3
    assert packed.json()["notes"] == stats.json()["notes"]
    assert packed.headers["content-security-policy"].startswith("default-src 'none'")
    for path in ["/healthz", "/api/boards/no-such-board"]:
        small = client.get(path, headers=GZIP)
        assert len(small.content) < MINIMUM_SIZE, path
        assert "content-encoding" not in small.headers, path


def test_pages_keep_their_policy_when_compressed(client: TestClient) -> None:
    """A gzipped page still carries the pages' CSP with frame-ancestors, and nosniff."""
    response = client.get("/", headers=GZIP)
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-security-policy"] == (
        f"{CONTENT_SECURITY_POLICY}; frame-ancestors 'none'"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
