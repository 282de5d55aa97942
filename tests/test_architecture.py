"""Layout rules of the package that a reader relies on (see docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import bayes_uat

MAX_BODY_LINES = 80
PACKAGE = Path(bayes_uat.__file__).parent


def body_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from a function's first statement (its docstring, if any) to its end: the
    signature, however many keyword arguments it lists, is not counted."""
    return fn.end_lineno - fn.body[0].lineno + 1


def long_functions(root: Path, limit: int) -> list[str]:
    """``path:line name (n lines)`` of every function or method under ``root`` whose body
    is longer than ``limit`` lines."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = body_lines(node)
                if n > limit:
                    found.append(f"{path.relative_to(root.parent)}:{node.lineno} {node.name} ({n})")
    return found


def test_body_lines_counts_from_the_docstring_to_the_end():
    src = 'def f(\n    a,\n    b,\n):\n    """Doc."""\n    x = 1\n\n    return x\n'
    assert body_lines(ast.parse(src).body[0]) == 4


def test_long_functions_finds_one_over_the_limit(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    lines = "".join(f"    x{i} = {i}\n" for i in range(5))
    (pkg / "m.py").write_text(f"def short():\n    pass\n\n\ndef long():\n{lines}")
    assert long_functions(pkg, 4) == ["pkg/m.py:5 long (5)"]
    assert long_functions(pkg, 5) == []


def test_no_library_function_is_longer_than_80_lines():
    """Each function is a few named steps; a longer one is split into private helpers."""
    assert long_functions(PACKAGE, MAX_BODY_LINES) == []
