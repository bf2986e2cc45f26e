"""Folders that live at the top of a source checkout and inside the package once installed."""

from __future__ import annotations

from pathlib import Path


def bundled(name: str) -> Path:
    """`board/<name>` in an installed wheel, else `<checkout>/<name>` (editable installs)."""
    package = Path(__file__).resolve().parent
    for candidate in (package / name, package.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"{name}/ is missing next to the board package; reinstall it")
