"""Layout rules of the package that a reader relies on (see docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import bayes_uat

MAX_LINES = 80
PACKAGE = Path(bayes_uat.__file__).parent


# -- function length ----------------------------------------------------------------------------
def function_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from a function's ``def`` to its end: the signature, the docstring and the body
    (decorators not counted)."""
    return fn.end_lineno - fn.lineno + 1


def long_functions(root: Path, limit: int) -> list[str]:
    """``path:line name (n lines)`` of every function or method under ``root`` longer than
    ``limit`` lines."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = function_lines(node)
                if n > limit:
                    found.append(f"{path.relative_to(root.parent)}:{node.lineno} {node.name} ({n})")
    return found


def test_function_lines_count_the_signature_and_the_docstring():
    src = 'def f(\n    a,\n    b,\n):\n    """Doc."""\n    x = 1\n\n    return x\n'
    assert function_lines(ast.parse(src).body[0]) == 8


def test_long_functions_finds_one_over_the_limit(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    lines = "".join(f"    x{i} = {i}\n" for i in range(5))
    (pkg / "m.py").write_text(f"def short():\n    pass\n\n\ndef long():\n{lines}")
    assert long_functions(pkg, 5) == ["pkg/m.py:5 long (6)"]
    assert long_functions(pkg, 6) == []


def test_no_library_function_is_longer_than_80_lines():
    """Each function is a few named steps; a longer one is split into private helpers."""
    assert long_functions(PACKAGE, MAX_LINES) == []


# -- import cycles ------------------------------------------------------------------------------
def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str, root: Path) -> bool:
    rel = Path(*name.split(".")[1:]) if "." in name else Path()
    base = root / rel
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imports_of(path: Path, root: Path) -> set[str]:
    """The package's modules that ``path`` imports anywhere in its text (module level and
    inside functions alike; ``if TYPE_CHECKING:`` blocks left out): ``from .a import b``
    names the module ``a.b`` when that is a module, else ``a``."""
    me = module_name(path, root)
    package = me.split(".") if path.name == "__init__.py" else me.split(".")[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for n in ast.walk(node)
    }
    out = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == root.name}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] != root.name:
                continue
            for a in node.names:
                sub = f"{mod}.{a.name}"
                out.add(sub if _is_module(sub, root) else mod)
    return out - {me}


def import_cycles(root: Path) -> list[list[str]]:
    """Every set of the package's modules that import each other in a ring (strongly
    connected components of the import graph with more than one module)."""
    graph = {module_name(p, root): imports_of(p, root) for p in sorted(root.rglob("*.py"))}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v] & set(graph)):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            ring = []
            while True:
                w = stack.pop()
                ring.append(w)
                if w == v:
                    break
            if len(ring) > 1:
                cycles.append(sorted(ring))

    for v in graph:
        if v not in index:
            visit(v)
    return cycles


def test_import_cycles_are_found_also_through_imports_inside_functions(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .sub import b\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from ..c import x\n")
    (pkg / "c.py").write_text("import pkg.a\nfrom typing import TYPE_CHECKING\n")
    assert import_cycles(pkg) == [["pkg.a", "pkg.c", "pkg.sub.b"]]
    (pkg / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\n"
    )
    assert import_cycles(pkg) == []


def test_the_package_has_no_import_cycle():
    """Every module can be read knowing only what it imports: no ring of modules importing
    each other, at module level or inside functions."""
    assert import_cycles(PACKAGE) == []


# -- sampler names ------------------------------------------------------------------------------
def sampler_name_branches(root: Path, names) -> list[str]:
    """``path:line`` of every comparison with a sampler's name (``== "nuts"``, ``in ("nuts",
    "aies")``) in the modules under ``root`` outside ``samplers/`` and ``vocabulary.py``."""
    names, found = set(names), []

    def named(node) -> bool:
        if isinstance(node, ast.Constant):
            return node.value in names
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return any(named(e) for e in node.elts)
        return False

    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] == "samplers" or rel.name == "vocabulary.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            sides = [node.left, *node.comparators] if isinstance(node, ast.Compare) else []
            modules = any(isinstance(n, ast.Attribute) and n.attr == "modules" for n in sides)
            if not modules and any(named(n) for n in sides):  # "emcee" in sys.modules: a module
                found.append(f"{rel}:{node.lineno}")
    return found


def test_sampler_name_branches_finds_a_comparison(tmp_path):
    (tmp_path / "m.py").write_text('if s == "nuts" or s in ("x", "aies"):\n    pass\n')
    assert sampler_name_branches(tmp_path, ("nuts", "aies")) == ["m.py:1", "m.py:1"]


def test_no_module_outside_samplers_branches_on_a_sampler_name():
    """What code outside samplers/ needs to know of a sampler it asks its Capabilities."""
    from bayes_uat.samplers import SAMPLERS

    assert sampler_name_branches(PACKAGE, SAMPLERS) == []
