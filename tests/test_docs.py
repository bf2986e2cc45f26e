"""The documentation in docs/ is the contract: it is current, self-contained and complete.

Plain file checks, no server: the configuration page is what the settings generate, no file
points outside the repository or at a link target that does not exist, and the HTTP and
WebSocket pages name every operation and close code the code has.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from board.settings import reference
from board.web.openapi import document

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
REGENERATE = ".venv/bin/python -m board.settings > docs/configuration.md"
# Written in pieces so that this file does not match itself.
OUTSIDE = re.compile(r"\b" + "DES" + r"IGN\b|\.\./sha" + "red")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
TEXT_SUFFIXES = {".py", ".md", ".js", ".html", ".css", ".json", ".toml", ".mako", ".svg", ""}


def markdown_pages() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False
    ).stdout
    if not listed:
        pytest.skip("not a git checkout: no list of tracked files")
    paths = [ROOT / name for name in listed.decode().split("\0") if name]
    return [p for p in paths if p.suffix in TEXT_SUFFIXES and p.is_file()]


def anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    found: set[str] = set()
    in_code = False
    for line in page.read_text("utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (heading := re.match(r"#{1,6} (.+)", line)):
            text = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower())
            slug, n = text.replace(" ", "-"), 1
            while slug in found:
                slug, n = f"{text.replace(' ', '-')}-{n}", n + 1
            found.add(slug)
    return found


def test_the_configuration_page_is_generated_from_the_settings() -> None:
    """docs/configuration.md is exactly what board/settings.py's descriptions generate."""
    page = DOCS / "configuration.md"
    current = page.read_text("utf-8") if page.exists() else ""
    assert current == reference(), f"docs/configuration.md is stale: run {REGENERATE}"


def test_no_file_refers_to_a_file_outside_the_repository() -> None:
    """No tracked text file cites the design notes or shared folder that live outside the repo."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in tracked_text_files()
        for number, line in enumerate(path.read_text("utf-8", "replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offenders == []


@pytest.mark.parametrize("page", markdown_pages(), ids=lambda p: p.name)
def test_relative_links_point_at_files_and_headings_that_exist(page: Path) -> None:
    """Every relative link in README.md and docs/*.md names a file that exists and, after a `#`,
    a heading of that file."""
    broken = []
    text = page.read_text("utf-8")
    for match in LINK.finditer(text):
        target = match.group(1) or match.group(2)
        if re.match(r"[a-z]+:", target):
            continue  # http:, https:, mailto:
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no such heading in {linked.name}")
    assert broken == []


def test_the_http_page_names_every_operation_of_the_openapi_document() -> None:
    """Each method and path of /api/openapi.json appears in docs/http-api.md as `METHOD path`."""
    page = (DOCS / "http-api.md").read_text("utf-8")
    missing = [
        f"{method.upper()} {path}"
        for path, operations in document()["paths"].items()
        for method in operations
        if f"`{method.upper()} {path}`" not in page
    ]
    assert missing == []


def test_the_websocket_page_names_every_close_code_the_server_uses() -> None:
    """Every 10xx close code in the live modules' source appears in docs/websocket.md."""
    sources = [
        ROOT / "board" / "web" / "socket.py",
        *sorted((ROOT / "board" / "live").glob("*.py")),
        ROOT / "board" / "cli" / "server.py",
    ]
    codes = {
        code
        for source in sources
        if source.exists()
        for code in re.findall(r"\b(10[01][0-9])\b", source.read_text("utf-8"))
    }
    assert codes, "no close codes found: have the live modules moved?"
    page = (DOCS / "websocket.md").read_text("utf-8")
    assert sorted(code for code in codes if f"`{code}`" not in page) == []


def test_the_websocket_page_names_every_event_kind_the_rules_emit() -> None:
    """Every kind written with `events.append(...)`, `events.Public(...)` or
    `visibility.public(...)` in board/ appears in docs/websocket.md's table of events."""
    emitted = {
        kind
        for source in (ROOT / "board").rglob("*.py")
        for kind in re.findall(
            r'(?:events\.(?:append|Public)|visibility\.public)\([^"]*?"([a-z]+(?:\.[a-z]+)?)"',
            source.read_text("utf-8"),
        )
    }
    assert len(emitted) >= 8, f"the event emitters were not found: {sorted(emitted)}"
    page = (DOCS / "websocket.md").read_text("utf-8")
    assert sorted(kind for kind in emitted if f"| `{kind}` |" not in page) == []
