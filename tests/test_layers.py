"""The layers of board/ (pyproject.toml, [tool.importlinter]): each package imports only those
below it, and no module imports itself through others."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
ROOT = Path(__file__).resolve().parent.parent


def test_every_package_imports_only_the_layers_below_it() -> None:
    """`lint-imports` keeps both contracts (the layers, and no web stack under the HTTP
    surface): a wrong import fails here, naming the line."""
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout, result.stdout


def test_no_module_imports_itself_through_others() -> None:
    """No import circle among the modules of board/: for every import a → b, b does not lead
    back to a."""
    graph = grimp.build_graph("board", cache_dir=None)
    circles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                circles.append(" → ".join((importer, *back)))
    assert len(graph.modules) > 50  # the graph is the package, not an empty one
    assert not circles, "\n".join(circles)
