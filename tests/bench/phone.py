"""What a mid-range phone sees of a big board: the wall of N notes in Chromium at 360×800 with the
CPU slowed 4× (DevTools `Emulation.setCPUThrottlingRate`), and a live burst of notes.

    .venv/bin/python tests/bench/phone.py [--notes 1000 5000] [--runs 3] [--burst 100]
        [--board-cmd .venv/bin/board] [--json FILE]

For each size it imports a board (`board import` of a generated JSON backup: bodies of about 300
characters on procurement, climate and the circular economy, 0-3 goals, targets of those goals,
comments on a quarter of the notes, three sections), starts `board serve` with that `board`
executable (--board-cmd: measure another checkout) on a free port with a fresh BOARD_DATA_DIR and
the rate limits off, and opens /b/<slug> --runs times, each in a fresh browser context.

What each figure means:

- first card: ms from navigation start until the first frame in which the first `#notes .note`
  that is not hidden has a box starting within two screen heights of the top of the page has
  been rendered. Two screens, because on a phone the notes start below the form and the goal
  chips (at 360×800 the first card's top is at about 790-820 px): one swipe shows it. A
  requestAnimationFrame loop (started by an init script before any script of the page) finds the
  card; a message it posts then runs as the first task after that frame's style, layout and
  paint. If a long task holds that frame, its end counts instead (under CPU throttling Chromium
  can hold the next task back for many seconds after a multi-second task; no phone does that).
- longest task, long tasks: main-thread tasks from the Long Tasks API (a PerformanceObserver the
  init script starts), from navigation until the page settled; "long" means over 200 ms.
- snapshot: ms from navigation start until the snapshot (`GET /api/boards/<slug>`) was received:
  what the server and the network take, before the page can draw any card.
- settled: ms from navigation start until the number of `#notes .note` elements last changed
  (cards built later, in the background, count); the page counts as settled when it has not
  changed for --settle seconds.
- DOM elements (`document.getElementsByTagName("*")`) and JS heap (CDP Performance.getMetrics
  JSHeapUsedSize), once settled.
- burst (--burst N): after settling, N notes are posted over HTTP within 6 s (evenly spaced); the
  figures are the long tasks that start from the first post until every note is on the page, and
  the ms until the last one is there.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ADMIN = "phone-bench-admin-token-0123456789"
LIMITS_OFF = {
    f"BOARD_{name}": "0"
    for name in (
        "NOTES_PER_MINUTE",
        "JOINS_PER_MINUTE_PER_IP",
        "SOCKETS_PER_MINUTE_PER_IP",
        "SOCKETS_PER_IP",
    )
}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LONG_MS = 200
BURST_SECONDS = 6.0

# Runs before the page's own scripts: long tasks, the first frame with a card in view, and when
# the number of cards last changed. A live HTMLCollection's length is cheap to read every frame.
OBSERVE = """
(() => {
  const bench = { longtasks: [], firstCard: null, firstFrame: null, cards: 0, changed: 0 };
  window.__bench = bench;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) bench.longtasks.push([e.startTime, e.duration]);
  }).observe({ type: "longtask" });
  let cards = null;
  const painted = new MessageChannel();
  painted.port1.onmessage = () => {
    bench.firstCard = performance.now();
  };
  function frame() {
    const notes = document.getElementById("notes");
    if (notes && cards === null) cards = notes.getElementsByClassName("note");
    if (cards !== null) {
      if (cards.length !== bench.cards) {
        bench.cards = cards.length;
        bench.changed = performance.now();
      }
      if (bench.firstCard === null) {
        for (const card of cards) {
          if (card.hidden) continue;
          const box = card.getBoundingClientRect();
          if (box.height > 0 && box.top < 2 * innerHeight) {
            // This frame paints it: the task after the frame says when that was done.
            bench.firstCard = -1;
            bench.firstFrame = performance.now(); // inside the task that renders the frame
            painted.port2.postMessage(null);
          }
          break;
        }
      }
    }
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
})();
"""

THEMES = [
    "Still krav om utslippsfrie byggeplasser i alle kontrakter fra 2025, og følg opp underveis.",
    "Sirkulære anskaffelser: kjøp brukte møbler og IT-utstyr, og krev reparasjon og ombruk.",
    "Markedsdialog før konkurransen gir leverandørene rom til å foreslå nye løsninger.",
    "Vekt livsløpskostnader og klimagassutslipp høyere enn laveste pris i tildelingen.",
    "Mål andelen bærekraftige anskaffelser med indikator 12.7.1, slik DFØ har pilotert.",
    "Felles innkjøp på tvers av kommunene gjør det lettere å stille strenge miljøkrav.",
    "Del små oppdrag i delkontrakter så lokale og nye leverandører kan være med.",
    "Krev sosiale klausuler og lærlinger, og kontroller lønns- og arbeidsvilkår.",
    "Bruk innovasjonspartnerskap når behovet er kjent, men løsningen ikke finnes ennå.",
    "Elektriske anleggsmaskiner og fossilfri transport bør være et minstekrav i byggeprosjekter.",
    "Tren innkjøperne i klimakrav, og gi dem maler de kan bruke i neste konkurranse.",
    "Gjenbruk av byggematerialer krever at vi planlegger det allerede i forprosjektet.",
]
NAMES = ["Kari", "Ola", "Ingrid", "Per", "Aisha", "Jonas", "Marit", "Emil", "Sara", "Lars"]
COLORS = ["yellow", "orange", "pink", "purple", "blue", "green", "white"]


def body(rng: random.Random, size: int) -> str:
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < size:
        parts.append(rng.choice(THEMES))
    return " ".join(parts)[: size + 40]


def backup(slug: str, notes: int, sections: int, seed: int = 1) -> dict[str, Any]:
    """A version 3 JSON backup of a realistic webinar board with `notes` notes."""
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    targets: dict[int, list[str]] = {}
    for target in json.loads((ROOT / "board" / "data" / "sdg-targets.json").read_text("utf-8")):
        targets.setdefault(target["goal"], []).append(target["code"])
    start = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    stamp = start.isoformat()
    people = [
        {"id": i + 1, "name": f"{rng.choice(NAMES)} {i}" if i % 5 else "", "created_at": stamp}
        | {"erased_at": None, "banned_at": None}
        for i in range(300)
    ]
    columns = [
        {"id": i + 1, "title": title, "position": i}
        for i, title in enumerate(["Strategi", "Eksempler fra kommunene", "Innovasjon"][:sections])
    ]
    rows = []
    comment_id = 0
    for i in range(notes):
        at = (start + timedelta(seconds=2 * i)).isoformat()
        goals = sorted(rng.sample(range(1, 18), rng.choice([0, 1, 1, 2, 2, 3])))
        codes = sorted({rng.choice(targets[g]) for g in goals if rng.random() < 0.5})
        comments = []
        for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 3]) if i % 4 == 0 else 0):
            comment_id += 1
            who = rng.choice(people)
            comments.append(
                {
                    "id": comment_id,
                    "author": {"id": who["id"], "name": who["name"]},
                    "body": body(rng, 100),
                    "created_at": at,
                    "deleted_at": None,
                }
            )
        who = rng.choice(people)
        rows.append(
            {
                "id": i + 1,
                "client_id": f"phone{i}",
                "section_id": rng.choice(columns)["id"] if columns else None,
                "author": {"id": who["id"], "name": who["name"]},
                "body": body(rng, 300),
                "link": "https://www.anskaffelser.no/berekraftige-anskaffelser"
                if i % 9 == 0
                else None,
                "sdgs": goals,
                "targets": codes,
                "color": rng.choice(COLORS),
                "status": "visible",
                "pinned": i % 250 == 0,
                "position": float(i),
                "likes": rng.choice([0, 0, 1, 2, 3, 5, 8, 13]),
                "version": 1,
                "created_at": at,
                "updated_at": at,
                "deleted_at": None,
                "flag_reason": None,
                "edited_by_moderator": False,
                "comments": comments,
            }
        )
    return {
        "format": "sdg-pinboard-backup",
        "version": 3,
        "board": {
            "slug": slug,
            "title": "Innovative anskaffelser og bærekraftsmålene",
            "description": "Del ett grep din virksomhet kan ta for å nå bærekraftsmålene.",
            "locale": "nb",
            "moderation": "post",
            "locked": False,
            "require_sdg": False,
            "timezone": "Europe/Oslo",
            "word_filter": [],
            "retention_days": None,
            "created_at": stamp,
            "updated_at": stamp,
            "seq": notes,
        },
        "sections": columns,
        "participants": people,
        "notes": rows,
        "audit": [],
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`BOARD_CMD serve` on a free port over a fresh data folder holding the imported boards."""

    def __init__(self, board_cmd: str, sizes: list[int], sections: int) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="phone-bench-")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("BOARD_")}
        self.env |= {"BOARD_DATA_DIR": self.folder.name, "BOARD_ADMIN_TOKEN": ADMIN, **LIMITS_OFF}
        for size in sizes:
            path = Path(self.folder.name) / f"board-{size}.json"
            path.write_text(json.dumps(backup(f"phone-{size}", size, sections)), "utf-8")
            subprocess.run(
                [board_cmd, "import", str(path)], env=self.env, check=True, capture_output=True
            )
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = (Path(self.folder.name) / "serve.log").open("wb")
        self.process = subprocess.Popen(
            [board_cmd, "serve", "--port", str(port)],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx2.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"`{board_cmd} serve` did not start; see {self.log.name}")
            time.sleep(0.1)

    def close(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        self.folder.cleanup()


def long_tasks(entries: list[list[float]], since: float = 0.0) -> tuple[float, int]:
    """The longest task, and how many were over LONG_MS, of those that started at `since` or on."""
    durations = [duration for start, duration in entries if start >= since]
    return max(durations, default=0.0), sum(1 for d in durations if d > LONG_MS)


def post_burst(url: str, slug: str, count: int) -> list[int]:
    """`count` notes from one participant, evenly spaced over BURST_SECONDS; their ids."""
    api = f"{url}/api/boards/{slug}"
    run = os.urandom(4).hex()
    ids = []
    with httpx2.Client(timeout=10) as client:
        token = client.post(f"{api}/participants", json={"name": "Burst"}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        began = time.monotonic()
        for i in range(count):
            time.sleep(max(0.0, began + i * BURST_SECONDS / count - time.monotonic()))
            note = {"body": f"Innspill {i} fra salen: {THEMES[i % len(THEMES)]}", "sdgs": [12]}
            response = client.post(
                f"{api}/notes", headers=headers, json={**note, "client_id": f"b{run}{i}"}
            )
            response.raise_for_status()
            ids.append(response.json()["id"])
    return ids


def delete_notes(url: str, slug: str, ids: list[int]) -> None:
    """Take the burst's notes away again, so that every run sees the same board."""
    headers = {"Authorization": f"Bearer {ADMIN}"}
    with httpx2.Client(timeout=10) as client:
        for note in ids:
            client.delete(
                f"{url}/api/boards/{slug}/notes/{note}", headers=headers
            ).raise_for_status()


def wait_for(page: Page, condition: str, timeout: float) -> bool:
    """Poll `condition` in the page (wait_for_function evaluates strings, which the CSP forbids);
    False when it is still false after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(condition):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def burst(page: Page, url: str, slug: str, count: int) -> dict[str, Any]:
    """Post `count` notes while the page follows the board live; None when it is not live (the
    page before #14 could be closed for a late `hello` after its long task, and stop)."""
    live = "document.getElementById('connection').dataset.state === 'live'"
    if not wait_for(page, live, 30):
        return dict.fromkeys(["burst_longest_task_ms", "burst_long_tasks", "burst_last_card_ms"])
    since = page.evaluate("performance.now()")
    before = page.evaluate("window.__bench.cards")
    ids = post_burst(url, slug, count)
    arrived = wait_for(page, f"window.__bench.cards >= {before + count}", 60)
    bench = page.evaluate("window.__bench")
    delete_notes(url, slug, ids)
    longest, over = long_tasks(bench["longtasks"], since)
    return {
        "burst_longest_task_ms": round(longest),
        "burst_long_tasks": over,
        "burst_last_card_ms": round(bench["changed"] - since) if arrived else None,
    }


def run(browser: Browser, args: argparse.Namespace, url: str, size: int) -> dict[str, Any]:
    """One page load of the board with `size` notes (and a burst, if asked)."""
    slug = f"phone-{size}"
    context = browser.new_context(
        viewport={"width": args.width, "height": args.height}, locale="nb-NO"
    )
    context.add_init_script(OBSERVE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": args.cpu})
    cdp.send("Performance.enable")
    page.goto(f"{url}/b/{slug}", wait_until="commit")
    if not wait_for(page, "window.__bench.firstCard > 0", 600):
        sys.exit(f"no card of /b/{slug} within 600 s")
    # Settled: the number of cards has not changed for --settle seconds.
    while True:
        time.sleep(0.5)
        now, changed = page.evaluate("[performance.now(), window.__bench.changed]")
        if now - changed > args.settle * 1000:
            break
    bench = page.evaluate("window.__bench")
    longest, count = long_tasks(bench["longtasks"])
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    # The long task that holds the frame, if any, ends when the frame is done.
    holding = [s + d for s, d in bench["longtasks"] if s <= bench["firstFrame"] <= s + d]
    result: dict[str, Any] = {
        "notes": size,
        "first_card_ms": round(min([bench["firstCard"], *holding])),
        "longest_task_ms": round(longest),
        "long_tasks": count,
        "snapshot_ms": round(
            page.evaluate(
                f"""performance.getEntriesByType("resource")
                .find((e) => e.name.endsWith("/api/boards/{slug}")).responseEnd"""
            )
        ),
        "settled_ms": round(bench["changed"]),
        "cards": bench["cards"],
        "dom_elements": page.evaluate('document.getElementsByTagName("*").length'),
        "js_heap_mib": round(metrics["JSHeapUsedSize"] / 2**20, 1),
    }
    if args.burst:
        result |= burst(page, url, slug, args.burst)
    context.close()
    return result


def median(values: list[Any]) -> Any:
    """The median of the figures measured (None when none was), rounded like them."""
    known = [v for v in values if v is not None]
    if not known:
        return None
    middle = statistics.median(known)
    return round(middle, 1) if isinstance(known[0], float) else round(middle)


def cell(value: Any, form: str) -> str:
    return "n/a" if value is None else form.format(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--burst", type=int, default=0, help="notes posted live within 6 s")
    parser.add_argument("--sections", type=int, default=3, choices=range(4))
    parser.add_argument("--cpu", type=float, default=4.0, help="CPU throttling rate")
    parser.add_argument("--width", type=int, default=360)
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds without new cards")
    parser.add_argument(
        "--board-cmd",
        default=str(Path(sys.executable).with_name("board")),
        help="the `board` executable that serves (another checkout's, to compare)",
    )
    parser.add_argument(
        "--chromium", default=os.environ.get("BOARD_TEST_CHROMIUM", "/usr/bin/chromium")
    )
    parser.add_argument("--json", type=Path, help="write every run's figures here")
    args = parser.parse_args()

    server = Server(args.board_cmd, args.notes, args.sections)
    results: list[dict[str, Any]] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            try:
                for size in args.notes:
                    for _ in range(args.runs):
                        results.append(run(browser, args, server.url, size))
                        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
            finally:
                browser.close()
    finally:
        server.close()

    columns = [
        ("notes", "notes", "{:,}"),
        ("snapshot", "snapshot_ms", "{} ms"),
        ("first card", "first_card_ms", "{} ms"),
        ("longest task", "longest_task_ms", "{} ms"),
        (f"tasks > {LONG_MS} ms", "long_tasks", "{}"),
        ("settled", "settled_ms", "{} ms"),
        ("DOM elements", "dom_elements", "{:,}"),
        ("JS heap", "js_heap_mib", "{} MiB"),
    ]
    if args.burst:
        columns += [
            (f"burst {args.burst}: longest task", "burst_longest_task_ms", "{} ms"),
            (f"tasks > {LONG_MS} ms", "burst_long_tasks", "{}"),
            ("last card", "burst_last_card_ms", "{} ms"),
        ]
    print(f"{args.board_cmd}: {args.width}×{args.height}, CPU {args.cpu:g}× slower")
    print("| " + " | ".join(title for title, _, _ in columns) + " |")
    print("|" + "---|" * len(columns))
    for size in args.notes:
        runs = [r for r in results if r["notes"] == size]
        for r in runs:
            print("| " + " | ".join(cell(r[key], form) for _, key, form in columns) + " |")
        cells = [cell(median([r[key] for r in runs]), form) for _, key, form in columns[1:]]
        print(f"| median of {len(runs)} | " + " | ".join(cells) + " |", flush=True)
    if args.json:
        args.json.write_text(
            json.dumps({"args": vars(args) | {"json": str(args.json)}, "runs": results}, indent=2)
        )


if __name__ == "__main__":
    main()
