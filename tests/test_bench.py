"""`board bench`: its scenarios against real servers (counts, not times), and its plain parts."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import ADMIN_TOKEN
from servers import NO_LIMITS, board_env, free_port, run_board, serve

from board.bench.assets import discover, module_imports, page_links
from board.bench.visit import cache_entry, conditional
from board.cli.main import main
from board.client import reconnect_delay

slow = pytest.mark.slow


def bench(tmp_path: Path, env: dict[str, str], *args: str) -> dict[str, Any]:
    """Run `board bench ARGS… --json FILE`; the figures, once it has exited 0."""
    out = tmp_path / "figures.json"
    result = run_board("bench", *args, "--timeout", "20", "--json", str(out), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    figures: dict[str, Any] = json.loads(out.read_text())
    return figures


@slow
def test_bench_measures_every_delivery_and_loses_none(tmp_path: Path) -> None:
    """20 viewers × 5 notes: 100 deliveries measured, 0 lost, latencies and server figures given."""
    env = board_env(tmp_path, admin_token=ADMIN_TOKEN, **NO_LIMITS)
    with serve(env) as server:
        result = run_board(
            "bench",
            "--url",
            server.url,
            "--viewers",
            "20",
            "--notes",
            "5",
            "--rate",
            "20",
            "--server-pid",
            str(server.process.pid),
            "--timeout",
            "20",
            "--json",
            str(tmp_path / "bench.json"),
            env=env,
        )
    assert result.returncode == 0, result.stderr
    figures = json.loads((tmp_path / "bench.json").read_text())
    assert (figures["seated"], figures["deliveries"], figures["lost"]) == (20, 100, 0)
    assert 0 < figures["latency_ms"]["p50"] <= figures["latency_ms"]["p99"]
    assert figures["server_rss_mib"] > 10
    assert "lost: 0" in result.stdout


@slow
def test_bench_ingest_counts_accepted_notes(tmp_path: Path) -> None:
    """--ingest 4 posts from four clients at once, and every note reaches every viewer."""
    env = board_env(tmp_path, admin_token=ADMIN_TOKEN, **NO_LIMITS)
    with serve(env) as server:
        result = run_board(
            "bench",
            "--url",
            server.url,
            "--ingest",
            "4",
            "--viewers",
            "5",
            "--notes",
            "40",
            "--json",
            str(tmp_path / "ingest.json"),
            env=env,
        )
    assert result.returncode == 0, result.stderr
    figures = json.loads((tmp_path / "ingest.json").read_text())
    assert figures["posters"] == 4 and figures["notes_per_s"] > 0
    assert (figures["deliveries"], figures["lost"]) == (5 * 40, 0)


@slow
def test_bench_without_a_board_or_admin_token_says_what_to_give(tmp_path: Path) -> None:
    """No --slug and no admin token: one line saying what to pass, exit 1."""
    env = board_env(tmp_path)
    with serve(env) as server:
        result = run_board("bench", "--url", server.url, "--viewers", "2", "--notes", "1", env=env)
    assert result.returncode == 1
    assert "--slug" in result.stderr and "Traceback" not in result.stderr


@slow
def test_arrivals_all_go_live_with_the_discovered_requests(tmp_path: Path) -> None:
    """30 first visits over 3 s to a prefilled board: all live, each sends the page, every asset
    found, the catalogue, the snapshot and the join; repeat visits send fewer; no note lost."""
    env = board_env(tmp_path, admin_token=ADMIN_TOKEN, **NO_LIMITS)
    with serve(env) as server:
        figures = bench(
            tmp_path, env, "--url", server.url, "--arrivals", "30", "--over", "3",
            "--prefill", "20", "--viewers", "10", "--quiet", "1", "--repeat-visits", "5",
            "--server-pid", str(server.process.pid),
        )  # fmt: skip
    assert (figures["live"], figures["failed"], figures["failures"]) == (30, 0, {})
    assets = figures["assets"]
    assert any(a.endswith("/wall.js") for a in assets) and len(set(assets)) == len(assets)
    first, repeat = figures["first_visit"], figures["repeat_visit"]
    assert first["requests"] == 1 + len(assets) + 3  # page, assets, catalogue, snapshot, join
    assert first["bytes"] > 0 and first["ws_bytes"] > 0
    assert (repeat["visits"], repeat["live"]) == (5, 5)
    assert repeat["requests"] < first["requests"]
    assert figures["seated"] == 10 and figures["lost"] == 0
    assert figures["notes_before"] > 0 and figures["notes_during"] > 0
    assert set(figures["time_to_live_ms"]) == {"p50", "p90", "p99", "max"}
    assert figures["fanout_before_ms"]["p99"] > 0 and figures["fanout_during_ms"]["p99"] > 0
    assert figures["fanout_p99_ratio"] > 0 and figures["server_rss_mib"] > 10


@slow
def test_burst_every_note_accepted_and_delivered(tmp_path: Path) -> None:
    """50 participants post once within 2 s to 20 viewers: 50 accepted, 1,000 deliveries, 0 lost."""
    env = board_env(tmp_path, admin_token=ADMIN_TOKEN, **NO_LIMITS)
    with serve(env) as server:
        figures = bench(
            tmp_path, env, "--url", server.url, "--burst", "50", "--within", "2",
            "--viewers", "20",
        )  # fmt: skip
    assert (figures["accepted"], figures["post_failures"]) == (50, {})
    assert (figures["deliveries"], figures["lost"]) == (50 * 20, 0)
    assert set(figures["post_ms"]) == {"p50", "p99", "max"} and figures["fanout_ms"]["p99"] > 0


@slow
def test_restart_every_viewer_resumes_without_gaps_or_duplicates(tmp_path: Path) -> None:
    """The bench's own server restarted under 20 viewers: all resume, all notes once each."""
    env = board_env(tmp_path, admin_token=ADMIN_TOKEN, **NO_LIMITS)
    url = f"http://127.0.0.1:{free_port()}"
    figures = bench(
        tmp_path, env, "--restart", "--url", url, "--viewers", "20", "--notes", "5",
        "--rate", "20",
    )  # fmt: skip
    assert (figures["seated"], figures["resumed"]) == (20, 20)
    assert (figures["notes_before"], figures["notes_after"]) == (5, 5)
    assert (figures["gaps"], figures["duplicates"], figures["resets"]) == (0, 0, 0)
    assert sum(figures["close_codes"].values()) == 20
    for step in ("sigterm_to_exit_s", "exit_to_answering_s", "sigterm_to_all_resumed_s"):
        assert figures[step] > 0, step


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--arrivals", "5"], "--arrivals needs --over"),
        (["--over", "5"], "--over only applies to --arrivals"),
        (["--burst", "5", "--within", "1", "--restart"], "different scenarios"),
        (["--burst", "5"], "--burst needs --within"),
        (["--burst", "5", "--within", "1", "--rate", "3"], "--burst does not use --rate"),
        (["--restart", "--server-pid", "1"], "--restart does not use --server-pid"),
        (["--server-cmd", "true"], "--server-cmd only applies to --restart"),
    ],
)
def test_bench_options_that_do_not_fit_are_usage_errors(args: list[str], says: str) -> None:
    """Options of another scenario, or a scenario missing its own, exit 2 with what to fix."""
    result = CliRunner().invoke(main, ["bench", *args])
    assert result.exit_code == 2 and says in result.output, result.output


def test_module_imports_resolve_against_the_module_and_once() -> None:
    """Static imports (multi-line, side-effect, re-exports) resolve against the module's own URL,
    each once; dynamic import(), bare specifiers and commented-out imports are not followed."""
    source = """// import { gone } from "./commented.js";
import { a,
  b } from "./dom.js";
import "../vendor/uqr/uqr.js";
export * from './dom.js';
import lib from "lodash";
const later = () => import("./lazy.js");
"""
    base = "http://h/static/abc123/js/wall.js"
    assert module_imports(source, base) == [
        "http://h/static/abc123/js/dom.js",
        "http://h/static/abc123/vendor/uqr/uqr.js",
    ]


def test_discovery_follows_the_page_and_its_modules_under_a_versioned_prefix() -> None:
    """The page's links and scripts, then every module's imports recursively, de-duplicated, and
    the catalogue the modules fetch next to themselves."""
    files = {
        "/b/demo": b'<link rel="icon" href="/static/v1/favicon.svg">'
        b'<link rel="canonical" href="/b/demo">'
        b'<link rel="modulepreload" href="/static/v1/js/api.js">'
        b'<script type="module" src="/static/v1/js/wall.js"></script>',
        "/static/v1/js/wall.js": b'import { sdgs } from "./api.js";\nimport "./live.js";',
        "/static/v1/js/api.js": b'const url = new URL("../sdgs.json", import.meta.url);',
        "/static/v1/js/live.js": b'import { sdgs } from "./api.js";',
    }

    async def fetch(target: str) -> bytes:
        return files[target]

    found = asyncio.run(discover("http://h/b/demo", fetch))
    assert found.assets == [
        "/static/v1/favicon.svg",
        "/static/v1/js/api.js",
        "/static/v1/js/wall.js",
        "/static/v1/js/live.js",
    ]
    assert found.catalogue == "/static/v1/sdgs.json"
    assert page_links('<script src="x.js"></script>', "http://h/b/demo") == [
        ("http://h/b/x.js", False)
    ]


def test_repeat_visits_skip_fresh_responses_and_revalidate_the_rest() -> None:
    """`immutable`/max-age: no request while fresh; no-cache with an ETag: If-None-Match;
    no-store or no validator: a full request."""
    immutable = cache_entry({"cache-control": "public, max-age=31536000, immutable"}, 0.0)
    assert conditional(immutable, 1000.0) is None
    revalidate = cache_entry({"cache-control": "no-cache", "etag": '"v1"'}, 0.0)
    assert conditional(revalidate, 1.0) == {"If-None-Match": '"v1"'}
    assert cache_entry({"cache-control": "no-store", "etag": '"v1"'}, 0.0) is None
    assert conditional(cache_entry({}, 0.0), 1.0) == {}
    expired = cache_entry({"cache-control": "max-age=10", "last-modified": "Mon"}, 0.0)
    assert conditional(expired, 5.0) is None
    assert conditional(expired, 11.0) == {"If-Modified-Since": "Mon"}


def test_reconnect_delay_is_full_jitter_capped_at_10_s_or_1_s_after_a_restart() -> None:
    """Random in [0, min(cap, 0.25 s × 2^attempt)]: 10 s cap, 1 s within a restart."""
    top = [reconnect_delay(attempt, False, lambda: 1.0) for attempt in range(1, 8)]
    assert top == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    restarting = [reconnect_delay(attempt, True, lambda: 1.0) for attempt in range(1, 5)]
    assert restarting == [0.5, 1.0, 1.0, 1.0]
    assert reconnect_delay(1000, False, lambda: 1.0) == 10.0
    assert reconnect_delay(3, False, lambda: 0.0) == 0.0
    assert all(0 <= reconnect_delay(4, True) <= 1.0 for _ in range(100))
