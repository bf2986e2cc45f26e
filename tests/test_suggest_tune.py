"""The suggestions on the labelled tune set (#18), as a regression guard, and `board bench
--suggest`, which measures them.

tests/data/suggest/tune.jsonl is the set the keywords may be tuned on (its README says how it was
written). The targets are the issue's, for the held-out set: a correct goal among the top three
for at least 85 % of notes, first for at least 65 %, under 5 ms per suggestion. Held here on the
tune set, by language too, so that a change to the lists or the matcher that loses ground fails.
The held-out set is held to the same floor, over all its notes only, and its failure names no
note: it guards the figure docs/suggestions.md reports, it is not something to tune against.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from board.bench.suggest import evaluate
from board.cli.main import main

TUNE = Path(__file__).resolve().parent / "data" / "suggest" / "tune.jsonl"
HOLDOUT = TUNE.with_name("holdout.jsonl")


def test_the_tune_set_meets_the_targets_in_both_languages() -> None:
    """Top-3 ≥ 85 % and top-1 ≥ 65 % over all notes and in each language, detected languages,
    and a mean under 5 ms of CPU per suggestion."""
    report = evaluate(TUNE, rounds=2)
    assert set(report.tallies) == {"all", "nb", "en"}
    for name, tally in report.tallies.items():
        assert tally.notes >= 20, name
        assert tally.top3 / tally.notes >= 0.85, (name, report.misses)
        assert tally.top1 / tally.notes >= 0.65, (name, report.misses)
    assert report.cpu.calls == 2 * report.tallies["all"].notes
    assert report.cpu.mean_ms < 5


def test_the_held_out_set_stays_above_the_targets() -> None:
    """Over the 120 held-out notes, top-3 ≥ 85 % and top-1 ≥ 65 % (the figures, not the misses,
    are reported on failure)."""
    tally = evaluate(HOLDOUT, rounds=1).tallies["all"]
    assert tally.notes >= 100
    figures = f"top-1 {tally.top1}/{tally.notes}, top-3 {tally.top3}/{tally.notes}"
    assert tally.top3 / tally.notes >= 0.85, figures
    assert tally.top1 / tally.notes >= 0.65, figures


def test_bench_suggest_prints_and_writes_the_figures(tmp_path: Path) -> None:
    """`board bench --suggest FILE --json OUT` prints accuracy by language and the timing, and
    writes the same figures as JSON; --misses lists the notes whose first goal was wrong."""
    notes = tmp_path / "notes.jsonl"
    notes.write_text(
        json.dumps({"text": "Mer gjenbruk av møbler", "lang": "nb", "goals": [12], "targets": []})
        + "\n"
        + json.dumps({"text": "Clean drinking water", "lang": "en", "goals": [3], "targets": []})
        + "\n",
        "utf-8",
    )
    out = tmp_path / "figures.json"
    result = CliRunner().invoke(
        main, ["bench", "--suggest", str(notes), "--misses", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "top-1  50.0 %" in result.output and "top-3  50.0 %" in result.output
    assert "time per suggestion, CPU" in result.output
    assert "[3] → [6]  Clean drinking water" in result.output
    figures = json.loads(out.read_text("utf-8"))
    assert figures["tallies"]["nb"] == {"notes": 1, "top1": 1, "top3": 1, "detected": 1}
    assert figures["tallies"]["en"]["top3"] == 0
    assert figures["cpu"]["calls"] == 2 * 20
