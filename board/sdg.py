"""The catalogue of the 17 UN Sustainable Development Goals: official names and colours."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

GOAL_NUMBERS = range(1, 18)


@cache
def catalogue() -> list[dict[str, Any]]:
    """`[{number, name: {en, nb}, color}]` in goal order, as shipped in `board/data/sdgs.json`."""
    goals = json.loads(files("board").joinpath("data/sdgs.json").read_text("utf-8"))
    return sorted(goals, key=lambda goal: goal["number"])
