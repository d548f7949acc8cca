"""Shared set-up of the test suite.

`make test` runs the tests on every CPU (pytest-xdist: `-n auto` in pyproject.toml).  Two things
keep that quick and sound:

- the package is compiled to bytecode once, before any test starts: many tests run the `senrun`
  command in a process of its own, and where the environment says not to write bytecode
  (PYTHONDONTWRITEBYTECODE, set on some machines) each of those would otherwise compile all of
  senrun again, about 0.2 s of CPU a command;
- the tests of one module run on one worker (`--dist loadscope`), so that a module-scoped
  fixture (a run computed once, the kill tests' runs) is computed once, not once a worker.
"""

import compileall
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

PACKAGE = Path(__file__).resolve().parents[1] / "senrun"


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # the controlling process (or a run without workers)
        compileall.compile_dir(PACKAGE, quiet=1)

