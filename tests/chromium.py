"""Real headless Chromium for the page tests: Debian's `chromium` driven by Playwright.

Playwright's own browser download does not work everywhere (no network but the package
registries), so tests launch the system Chromium (`apt-get install chromium`; `.ci/run` installs
it). Every page a test opens records what must never happen: uncaught errors, dialogs (a script
that injected markup could `alert`), and Content-Security-Policy violations.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
from conftest import ADMIN_TOKEN, require
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)
from servers import NO_LIMITS, Server, board_env, serve

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("BOARD_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Where screenshots of every page land (gitignored); docs/pages.md points here.
SCREENSHOTS = ROOT / "build" / "screenshots"

# Runs in every page before its own scripts: CSP violations are events, not only console text.
RECORD_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def launch() -> Iterator[Browser]:
    """One Chromium for a test module (skipped, or failed under CI=true, when it is missing)."""
    require(
        "Chromium",
        CHROMIUM.exists(),
        "apt-get install chromium (or point BOARD_TEST_CHROMIUM at a Chromium binary)",
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def board_server(data_dir: Path, **settings: str) -> Iterator[Server]:
    # Rate limits off: every page and helper here is one address, and a test posts bursts of
    # notes from one token (the limits are tested in test_safety_live.py).
    env = board_env(data_dir, admin_token=ADMIN_TOKEN, **(NO_LIMITS | settings))
    with serve(env) as server:
        yield server


@dataclass
class Board:
    """A board made over the API for one test."""

    server: Server
    slug: str
    key: str
    sections: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"{self.server.url}/b/{self.slug}"

    @property
    def moderate_url(self) -> str:
        return f"{self.url}/moderate#key={self.key}"

    def api(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx2.request(
            method, f"{self.server.url}/api/boards/{self.slug}{path}", headers=headers, **kwargs
        )
        assert response.status_code < 400, response.text
        return response.json() if response.content else None

    def snapshot(self, token: str | None = None) -> dict[str, Any]:
        return dict(self.api("GET", "", token or self.key))

    def join(self, name: str = "Kari") -> dict[str, Any]:
        return dict(self.api("POST", "/participants", json={"name": name}))

    def post(self, token: str, body: str, **fields: Any) -> dict[str, Any]:
        fields.setdefault("client_id", os.urandom(8).hex())
        return dict(self.api("POST", "/notes", token, json={"body": body, **fields}))


def make_board(server: Server, **fields: Any) -> Board:
    fields.setdefault("title", "Innovative anskaffelser og bærekraftsmålene")
    response = httpx2.post(
        f"{server.url}/api/boards",
        json=fields,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Board(server, body["board"]["slug"], body["moderator_key"], body["board"]["sections"])


class Watched:
    """A page and what went wrong on it: page errors, dialogs, CSP violations."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.console: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", self._console)
        page.on("dialog", self._dialog)

    def _console(self, message: ConsoleMessage) -> None:
        self.console.append(f"{message.type}: {message.text}")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def csp_violations(self) -> list[str]:
        reported = [c for c in self.console if re.search(r"Content.Security.Policy", c, re.I)]
        try:
            recorded = list(self.page.evaluate("window.__csp || []"))
        except Exception:  # the page is gone (context closed): the console still tells
            recorded = []
        return reported + recorded

    def problems(self) -> list[str]:
        return self.errors + self.dialogs + self.csp_violations()


def new_context(browser: Browser, width: int = 1280, height: int = 900) -> BrowserContext:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="nb-NO")
    context.add_init_script(RECORD_CSP)
    return context


def screenshot(page: Page, name: str) -> Path:
    """The whole page at the viewport's width, taller viewport so every card is painted
    (cards use content-visibility: auto and skip painting far off screen)."""
    width = page.viewport_size["width"] if page.viewport_size else 1280
    height = int(page.evaluate("document.documentElement.scrollHeight"))
    page.set_viewport_size({"width": width, "height": max(height, 640)})
    page.wait_for_timeout(150)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


OpenPage = Callable[..., Page]


def page_opener(browser: Browser) -> Iterator[OpenPage]:
    """For an `open_page` fixture: opens pages, each in its own context (its own storage:
    another person), and fails the test if any of them had an uncaught error, a dialog or a CSP
    violation."""
    contexts: list[BrowserContext] = []
    watched: list[Watched] = []

    def open_(url: str, width: int = 1280) -> Page:
        context = new_context(browser, width)
        contexts.append(context)
        page = context.new_page()
        watched.append(Watched(page))
        page.goto(url)
        return page

    yield open_
    problems = [p for w in watched for p in w.problems()]
    for context in contexts:
        context.close()
    assert problems == []


def join(page: Page, name: str = "Kari") -> None:
    """Join the board on the wall page as `name`, and wait for the note form."""
    page.fill("#join-name", name)
    page.locator("#join-form button[type=submit]").click()
    expect(page.locator("#note-form")).to_be_visible()
