"""The project's own promises: documented settings, clean lint and types, one test command."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from board.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_every_setting_is_documented_on_the_configuration_page() -> None:
    """Each BOARD_* setting appears in docs/configuration.md's table."""
    page = (ROOT / "docs" / "configuration.md").read_text("utf-8")
    missing = [
        f"BOARD_{name.upper()}"
        for name in Settings.model_fields
        if f"`BOARD_{name.upper()}`" not in page
    ]
    assert missing == []


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run runs exactly the test command the README gives."""
    readme = (ROOT / "README.md").read_text("utf-8")
    command = re.search(r"^(python3 -m venv .*\[test\].*pytest)$", readme, re.M)
    assert command is not None
    assert command.group(1) in (ROOT / ".ci" / "run").read_text("utf-8")


@pytest.mark.parametrize(
    "tool",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
    ],
)
def test_tooling_is_clean(tool: list[str]) -> None:
    """ruff (lint and format) and mypy --strict on board/ report nothing."""
    result = subprocess.run(
        [str(BIN / tool[0]), *tool[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
