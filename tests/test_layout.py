"""The package's layout shows its design (docs/architecture.md): no module imports another
that imports it back, no function runs past about 60 lines, and the top of the package holds
the policy core and the subpackages."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "senrun"
MAX_FUNCTION_LINES = 60
TOP_LEVEL = {"__init__.py", "__main__.py", "calendar.py", "checks.py", "engine.py", "errors.py", "formula.py",
             "history.py", "money.py", "pipeline.py", "psf.py", "register.py", "result.py", "schools.py",
             "succession.py", "validate.py", "py.typed", "bases.py", "protection.py",
             "accept.py", "affordable.py", "suggest.py", "profile.py", "allocator.py", "urns.py", "neighbours.py"}
SUBPACKAGES = {"cli", "config", "inputs", "outputs", "sample", "yearly", "onboard"}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package modules `name` imports, at any level of its code."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                full = f"{target}.{alias.name}"
                out.add(full if full in known else target)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {m for m in out if m in known and m != name}


def test_no_module_imports_another_that_imports_it_back():
    known = modules()
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    cycles = []

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(graph[node])
        return False

    for name, targets in graph.items():
        # a package's __init__ may import its own modules; a module importing its package is the cycle
        cycles += [(name, t) for t in targets if not t.startswith(name + ".") and reaches(t, name)]
    assert cycles == []


def test_no_function_is_longer_than_about_sixty_lines():
    long = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{name}.{node.name}: {lines} lines")
    assert long == []


def test_the_top_of_the_package_holds_the_policy_core_and_the_subpackages():
    entries = {p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"}
    assert {p for p in entries if (PACKAGE / p).is_dir()} <= SUBPACKAGES
    assert {p for p in entries if (PACKAGE / p).is_file()} <= TOP_LEVEL


def test_every_subpackage_says_what_it_holds():
    for name in SUBPACKAGES:
        init = PACKAGE / name / "__init__.py"
        if init.exists():
            assert ast.get_docstring(ast.parse(init.read_text())), f"{name}/__init__.py has no opening text"
