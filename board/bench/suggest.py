"""`board bench --suggest FILE`: how well the SDG suggestions (#18) do on a labelled set.

FILE has one JSON object a line, `{"text", "lang", "goals": [accepted goals], "targets"}`
(tests/data/suggest/). Each note is suggested for as the wall does it, with the language detected
(`lang` is only used to report by language and to count detections). Top-1: the first goal is an
accepted one; top-3: an accepted goal is among the suggestions (at most three). The time is per
call of `suggest()` in this process, every note `rounds` times after one warm-up round, so the
p99 is over enough calls to mean something: the CPU time of the thread (what a suggestion costs a
core) and the wall-clock time (which also holds whatever else the machine ran meanwhile).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from board.domain.suggest import detect, keywords, suggest, words_of

ROUNDS = 20


@dataclass
class Tally:
    notes: int = 0
    top1: int = 0
    top3: int = 0
    detected: int = 0

    def add(self, first: bool, among: bool, detected: bool) -> None:
        self.notes += 1
        self.top1 += first
        self.top3 += among
        self.detected += detected

    def line(self, name: str) -> str:
        return (
            f"{name:<5} {self.notes:>5} notes  top-1 {_pct(self.top1, self.notes)}  "
            f"top-3 {_pct(self.top3, self.notes)}  language detected "
            f"{_pct(self.detected, self.notes)}"
        )


@dataclass
class Timing:
    """Milliseconds per call: mean, 99th percentile, the slowest, over `calls`."""

    mean_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    calls: int = 0

    @classmethod
    def of(cls, milliseconds: list[float]) -> Timing:
        if not milliseconds:
            return cls()
        ordered = sorted(milliseconds)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        return cls(sum(ordered) / len(ordered), p99, ordered[-1], len(ordered))

    def __str__(self) -> str:
        return (
            f"mean {self.mean_ms:.3f} ms, p99 {self.p99_ms:.3f} ms, max {self.max_ms:.3f} ms "
            f"({self.calls} calls)"
        )


@dataclass
class SuggestReport:
    file: str
    tallies: dict[str, Tally] = field(default_factory=dict)
    cpu: Timing = field(default_factory=lambda: Timing())
    wall: Timing = field(default_factory=lambda: Timing())
    misses: list[dict[str, Any]] = field(default_factory=list)

    def lines(self, show_misses: bool = False) -> list[str]:
        out = [f"SDG suggestions on {self.file}"]
        out += [tally.line(name) for name, tally in self.tallies.items()]
        out.append(f"time per suggestion, CPU:        {self.cpu}")
        out.append(f"time per suggestion, wall clock: {self.wall}")
        if show_misses:
            out += ["", "missed (accepted → suggested):"]
            out += [f"  {m['goals']} → {m['suggested']}  {m['text']}" for m in self.misses]
        return out


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "    – "


def load(path: Path) -> list[dict[str, Any]]:
    """The labelled notes of a JSON Lines file."""
    notes = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if line.strip():
            try:
                notes.append(json.loads(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc})") from None
    return notes


def evaluate(path: Path, rounds: int = ROUNDS) -> SuggestReport:
    """Accuracy by language and time per suggestion over the notes in `path`."""
    notes = load(path)
    report = SuggestReport(str(path), {"all": Tally()})
    compiled = keywords()  # read and compiled before any timing
    for note in notes:
        goals = [s.goal for s in suggest(note["text"], None, compiled)]
        accepted = set(note["goals"])
        first = bool(goals) and goals[0] in accepted
        among = not accepted.isdisjoint(goals)
        detected = detect(words_of(note["text"]), compiled) == note["lang"]
        for name in ("all", note["lang"]):
            report.tallies.setdefault(name, Tally()).add(first, among, detected)
        if not first:
            report.misses.append({"text": note["text"], "goals": note["goals"], "suggested": goals})
    cpu, wall = _time(note["text"] for _ in range(rounds + 1) for note in notes)
    # The first round warms up.
    report.cpu, report.wall = Timing.of(cpu[len(notes) :]), Timing.of(wall[len(notes) :])
    return report


def _time(texts: Iterable[str]) -> tuple[list[float], list[float]]:
    """Each call's CPU and wall-clock milliseconds."""
    compiled = keywords()
    cpu, wall = [], []
    for text in texts:
        started, used = time.perf_counter_ns(), time.thread_time_ns()
        suggest(text, None, compiled)
        cpu.append((time.thread_time_ns() - used) / 1e6)
        wall.append((time.perf_counter_ns() - started) / 1e6)
    return cpu, wall
