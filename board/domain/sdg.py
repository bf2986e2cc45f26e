"""The catalogue of the 17 UN Sustainable Development Goals and their 169 targets (#8).

Goals have official English and bokmål names and colours (`board/data/sdgs.json`); targets have a
code (`12.7`, `12.a`) and their official English text (`board/data/sdg-targets.json`). There is no
bokmål target text: the only Norwegian texts at hand are community translations (SOURCES.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from typing import Any

GOAL_NUMBERS = range(1, 18)


def _load(name: str) -> Any:
    return json.loads(files("board").joinpath(f"data/{name}").read_text("utf-8"))


@cache
def targets() -> dict[str, dict[str, Any]]:
    """`{code: {code, goal, text: {en}}}` in catalogue order (12.1 … 12.8, 12.a, 12.b, 12.c)."""
    return {target["code"]: target for target in _load("sdg-targets.json")}


@cache
def _rank() -> dict[str, int]:
    return {code: index for index, code in enumerate(targets())}


@cache
def catalogue() -> list[dict[str, Any]]:
    """`[{number, name: {en, nb}, color, targets: [{code, text: {en}}]}]` in goal order."""
    goals = sorted(_load("sdgs.json"), key=lambda goal: goal["number"])
    for goal in goals:
        goal["targets"] = [
            {"code": t["code"], "text": t["text"]}
            for t in targets().values()
            if t["goal"] == goal["number"]
        ]
    return goals


def is_target(code: str) -> bool:
    return code in _rank()


def goal_of(code: str) -> int:
    """The goal a known target belongs to: 12 for `12.7`."""
    goal: int = targets()[code]["goal"]
    return goal


def in_order(codes: Iterable[str]) -> list[str]:
    """Known target codes, unique and in catalogue order (so `12.7` comes before `12.a`)."""
    return sorted(set(codes), key=_rank().__getitem__)


def with_goals_of(goals: Iterable[int], codes: Iterable[str]) -> list[int]:
    """The goals, plus the goal of each target, sorted and unique: a target implies its goal."""
    return sorted({*goals, *(goal_of(code) for code in codes)})
