"""`board bench` against a real server: it seats viewers, posts notes and accounts for each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ADMIN_TOKEN
from servers import board_env, run_board, serve

pytestmark = pytest.mark.slow


def test_bench_measures_every_delivery_and_loses_none(tmp_path: Path) -> None:
    """20 viewers × 5 notes: 100 deliveries measured, 0 lost, latencies and server figures given."""
    env = board_env(tmp_path, admin_token=ADMIN_TOKEN)
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


def test_bench_ingest_counts_accepted_notes(tmp_path: Path) -> None:
    """--ingest 4 posts from four clients at once, and every note reaches every viewer."""
    env = board_env(tmp_path, admin_token=ADMIN_TOKEN)
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


def test_bench_without_a_board_or_admin_token_says_what_to_give(tmp_path: Path) -> None:
    """No --slug and no admin token: one line saying what to pass, exit 1."""
    env = board_env(tmp_path)
    with serve(env) as server:
        result = run_board("bench", "--url", server.url, "--viewers", "2", "--notes", "1", env=env)
    assert result.returncode == 1
    assert "--slug" in result.stderr and "Traceback" not in result.stderr
