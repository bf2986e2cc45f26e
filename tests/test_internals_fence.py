"""The fence around libraries' private parts: no module of board/ outside board/internals/ uses
them, so an upgrade that moves one breaks an adapter (and its test), never the code around it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOARD = Path(__file__).resolve().parent.parent / "board"
ADAPTERS = BOARD / "internals"

# Private names the adapters own (board/internals/*_private.py), reached as attributes or by
# getattr: uvicorn's protocol behind the ASGI send and its supervisor, asyncio's future flag,
# SQLAlchemy's compiled statement and type processors.
FENCED_ATTRIBUTES = {
    "__self__",
    "conn",
    "writable",
    "parser",
    "_server",
    "_asyncio_future_blocking",
    "positiontup",
    "binds",
    "loaded_dbapi",
    "dialect_impl",
    "bind_processor",
    "result_processor",
}
# The public underscore names of named tuples and SQLAlchemy's rows.
PUBLIC_UNDERSCORED = {"_asdict", "_fields", "_make", "_replace", "_mapping", "_t", "_tuple"}
# Of uvicorn, only its top level and the documented logging config; of SQLAlchemy, no compiler.
PUBLIC_UVICORN_MODULES = {"uvicorn", "uvicorn.config"}


def private_module(name: str) -> bool:
    parts = name.split(".")
    if name == "__future__":
        return False
    if any(part.startswith("_") or part.endswith("_impl") for part in parts):
        return True
    if parts[0] == "uvicorn":
        return name not in PUBLIC_UVICORN_MODULES
    return parts[0] == "sqlalchemy" and "compiler" in parts


def uses(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) for every private use in one module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
            found += [(node.lineno, f"import {name}") for name in names if private_module(name)]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if private_module(node.module):
                found.append((node.lineno, f"from {node.module} import"))
        elif isinstance(node, ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            underscored = (
                node.attr.startswith("_")
                and not node.attr.startswith("__")
                and owner not in ("self", "cls")
                and node.attr not in PUBLIC_UNDERSCORED
            )
            if node.attr in FENCED_ATTRIBUTES or underscored:
                found.append((node.lineno, f".{node.attr}"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr", "setattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in FENCED_ATTRIBUTES
        ):
            found.append((node.lineno, f"{node.func.id}(…, {node.args[1].value!r})"))
    return found


def test_no_module_outside_the_adapters_uses_a_librarys_private_parts() -> None:
    """Every private attribute or module of uvicorn, asyncio, SQLAlchemy (and any other library)
    is used in board/internals/ only."""
    modules = [p for p in sorted(BOARD.rglob("*.py")) if ADAPTERS not in p.parents]
    assert len(modules) > 50
    found = [
        f"{path.relative_to(BOARD.parent)}:{line}: {what}"
        for path in modules
        for line, what in uses(ast.parse(path.read_text("utf-8")))
    ]
    assert not found, "move these into an adapter in board/internals/:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "send.__self__.transport",
        "getattr(send, '__self__', None)",
        "future._asyncio_future_blocking = False",
        "from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol",
        "from uvicorn.supervisors import multiprocess",
        "from sqlalchemy.sql.compiler import SQLCompiler",
        "compiled.positiontup",
        "import asyncio.base_events as b; b._run_once",
    ],
)
def test_the_fence_sees_a_private_use(source: str) -> None:
    """Each kind of use the adapters own is caught when written elsewhere."""
    assert uses(ast.parse(source))


def test_the_fence_lets_public_underscored_names_pass() -> None:
    """A row's `_asdict()`, an object's own `self._x` and `from __future__` are not private uses."""
    source = "from __future__ import annotations\nrow._asdict()\nself._forms = {}\n"
    assert uses(ast.parse(source)) == []
