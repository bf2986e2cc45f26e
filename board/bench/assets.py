"""What a first visit to a board page loads, found once by reading the page as a browser would.

The page's `<link href>` and `<script src>`, then every ES module's static imports, followed
recursively and resolved against the importing module's own URL: the list stays right when the
files move under a versioned prefix such as `/static/<hash>/`. Dynamic `import()` is not
followed (a browser loads it later, if at all). The parsing is plain functions, tested without a
server; `discover` fetches.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# `rel` values that name a relation but load nothing.
NOT_LOADED = {"canonical", "alternate", "dns-prefetch", "preconnect", "author", "help", "license"}
# Static imports and re-exports: `import x from "m"`, `import {a,\n b} from "m"`,
# `import "m"`, `export * from "m"`. Anchored at a statement start, so `import(` and words in
# comments or strings mid-line do not count.
STATIC_IMPORT = re.compile(
    r"""(?:^|[;}])\s*(?:import|export)\s*(?:[\w*{}\s,$]+?\s*from\s*)?["']([^"'\n]+)["']""",
    re.MULTILINE,
)
# Where api.js fetches the SDG catalogue from: a file next to the modules
# (`new URL("../sdgs.json", import.meta.url)`), or an API path; `/api/sdgs` when neither is found.
CATALOGUE_BESIDE = re.compile(
    r"""new\s+URL\(\s*["'`]([^"'`]*sdgs[^"'`]*)["'`]\s*,\s*import\.meta\.url"""
)
CATALOGUE_API = re.compile(r"""["'`](/api/sdgs[^"'`\s]*)["'`]""")
DEFAULT_CATALOGUE = "/api/sdgs"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []  # (kind, url): kind "module" or "other"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "link" and values.get("href"):
            rels = set(values.get("rel", "").lower().split())
            if rels and rels <= NOT_LOADED:
                return
            kind = "module" if "modulepreload" in rels else "other"
            self.found.append((kind, values["href"]))
        elif tag == "script" and values.get("src"):
            kind = "module" if values.get("type", "").lower() == "module" else "other"
            self.found.append((kind, values["src"]))


def page_links(html: str, page_url: str) -> list[tuple[str, bool]]:
    """(absolute URL, is an ES module) of everything the page itself loads, in order, once."""
    parser = _Links()
    parser.feed(html)
    seen: dict[str, bool] = {}
    for kind, href in parser.found:
        url = urljoin(page_url, href)
        seen[url] = seen.get(url, False) or kind == "module"
    return list(seen.items())


def module_imports(source: str, module_url: str) -> list[str]:
    """The absolute URLs a module statically imports, resolved against the module's URL.

    Bare specifiers (`"lodash"`) need an import map, which the pages do not have: skipped.
    """
    urls: list[str] = []
    for specifier in STATIC_IMPORT.findall(source):
        if specifier.startswith(("./", "../", "/")) or "://" in specifier:
            url = urljoin(module_url, specifier)
            if url not in urls:
                urls.append(url)
    return urls


def catalogue_url(source: str, module_url: str) -> str | None:
    """The URL a module fetches the SDG catalogue from, if it names one."""
    beside = CATALOGUE_BESIDE.search(source)
    if beside is not None:
        return urljoin(module_url, str(beside.group(1)))
    api = CATALOGUE_API.search(source)
    return urljoin(module_url, str(api.group(1))) if api is not None else None


def same_origin(url: str, origin: str) -> bool:
    a, b = urlsplit(url), urlsplit(origin)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def target(url: str) -> str:
    """The request target (path and query) of an absolute URL."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Discovered:
    """The page's assets (request targets, in the order first seen) and the catalogue's URL."""

    assets: list[str]
    catalogue: str


async def discover(
    page_url: str, fetch: Callable[[str], Awaitable[bytes]], catalogue: str | None = None
) -> Discovered:
    """Everything the page at `page_url` loads; `fetch(target)` returns a decoded body.

    Assets on another origin are left out (the server under test does not serve them).
    """
    html = (await fetch(target(page_url))).decode("utf-8", "replace")
    found: dict[str, None] = {}
    modules: list[str] = []
    for url, is_module in page_links(html, page_url):
        if same_origin(url, page_url):
            found[url] = None
            if is_module:
                modules.append(url)
    named: list[str] = []
    done: set[str] = set()
    while modules:
        url = modules.pop(0)
        if url in done:
            continue
        done.add(url)
        source = (await fetch(target(url))).decode("utf-8", "replace")
        if (found_catalogue := catalogue_url(source, url)) is not None:
            named.append(found_catalogue)
        for imported in module_imports(source, url):
            if same_origin(imported, page_url):
                found.setdefault(imported, None)
                modules.append(imported)
    if catalogue is None:
        catalogue = target(named[0]) if named else DEFAULT_CATALOGUE
    return Discovered([target(url) for url in found], catalogue)
