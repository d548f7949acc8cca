"""Every command in README.md and docs/*.md runs as written (issue 13, point 9).

Each fenced `sh` block is run line by line, in order, on a copy of the project's config/ and
sample_data/ (so outputs land in a temporary folder), with the `senrun` of this environment
first on the PATH. A block that cannot run here (it installs software, or is for Windows) is
marked just above its fence with `<!-- docs-test: skip (why) -->`. A command that is meant to
fail ends with `# exits N`. A command met twice is run once.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(sh|bash|shell)\s*$")
SKIP = re.compile(r"<!--\s*docs-test:\s*skip\b")
EXITS = re.compile(r"#\s*exits\s+(\d+)\s*$")


def examples(path: Path) -> list[tuple[int, str]]:
    """(line number, command) of every runnable line of the `sh` blocks in `path`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out, i = [], 0
    while i < len(lines):
        if FENCE.match(lines[i]):
            skip = i > 0 and SKIP.search(lines[i - 1]) is not None
            i += 1
            command, start = "", 0
            while i < len(lines) and not lines[i].startswith("```"):
                text = lines[i]
                if not command:
                    start = i + 1
                command += text.rstrip("\\").rstrip() + " " if text.endswith("\\") else text
                if not text.endswith("\\"):
                    if command.strip() and not command.lstrip().startswith("#") and not skip:
                        out.append((start, command.strip()))
                    command = ""
                i += 1
        i += 1
    return out


ALL = [(p, n, c) for p in DOCS for n, c in examples(p)]


def test_the_examples_are_found_and_the_skipped_blocks_say_why():
    assert any("senrun simulate" in c for p, _, c in ALL if p.name == "README.md")
    for path in DOCS:
        for line in path.read_text(encoding="utf-8").splitlines():
            if SKIP.search(line):
                assert re.search(r"skip\s*\(\w", line), f"{path.name}: say why the block is skipped: {line}"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    where = tmp_path_factory.mktemp("docs")
    for folder in ("config", "sample_data"):
        shutil.copytree(ROOT / folder, where / folder)
    return where


def _run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("COLUMNS", None)
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_every_shell_example_in_the_readme_and_docs_runs(workdir):
    failures, done = [], set()
    for path, line, command in ALL:
        if command in done:
            continue
        done.add(command)
        wanted = int(EXITS.search(command).group(1)) if EXITS.search(command) else 0
        result = _run(command, workdir)
        if result.returncode != wanted:
            failures.append(f"{path.name}:{line}: `{command}` exited {result.returncode} (expected {wanted}):\n"
                            f"{(result.stderr or result.stdout)[-800:]}")
    assert not failures, "\n\n".join(failures)


PY_FENCE = re.compile(r"^```python\s*$")
IMPORT = re.compile(r"^(from senrun[\w.]* import .+|import senrun[\w.]*)$")


def python_imports(path: Path) -> list[tuple[int, str]]:
    """(line number, statement) of every `from senrun… import …` in the `python` blocks of `path`."""
    found, inside = [], False
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if PY_FENCE.match(line):
            inside = True
        elif line.startswith("```"):
            inside = False
        elif inside and IMPORT.match(line.strip()):
            found.append((n, line.strip()))
    return found


def test_every_senrun_import_in_a_python_example_of_the_readme_and_docs_imports():
    """The library examples name senrun's modules as they are now (the modules moved with the layout)."""
    statements = [(p, n, s) for p in DOCS for n, s in python_imports(p)]
    assert any("senrun.yearly.explain" in s for _, _, s in statements)
    failures = []
    for path, line, statement in statements:
        try:
            exec(compile(statement, f"{path.name}:{line}", "exec"), {})
        except ImportError as exc:
            failures.append(f"{path.name}:{line}: `{statement}`: {exc}")
    assert not failures, "\n".join(failures)
