"""Shared set-up of the test suite.

`make test` runs the tests on every CPU (pytest-xdist: `-n auto` in pyproject.toml).  Two things
keep that quick and sound:

- the package is compiled to bytecode once, before any test starts: many tests run the `senrun`
  command in a process of its own, and where the environment says not to write bytecode
  (PYTHONDONTWRITEBYTECODE, set on some machines) each of those would otherwise compile all of
  senrun again, about 0.2 s of CPU a command;
- the tests of one module run on one worker (`--dist loadscope`), so that a module-scoped
  fixture (a run computed once, the kill tests' runs) is computed once, not once a worker;
- the longest modules are handed out first (`--no-loadscope-reorder` and the order below), so
  that the workers finish together instead of one waiting while another runs a long module last.
"""

import compileall
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

PACKAGE = Path(__file__).resolve().parents[1] / "senrun"


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # the controlling process (or a run without workers)
        compileall.compile_dir(PACKAGE, quiet=1)



#: The modules from longest to shortest (seconds of one worker, summed from `pytest --junitxml`), so
#: that each worker takes the longest module left when it is free and the two finish together; the
#: others (each under 2 s) follow in their usual order.  A module missing here only runs later.
LONGEST_FIRST = ["test_processes", "test_register", "test_simulate_scale", "test_security",
                 "test_faults", "test_diff", "test_fast_paths", "test_inputs", "test_cli",
                 "test_cli_output", "test_doc_examples", "test_accept", "test_fuzz", "test_property",
                 "test_simulate", "test_succession", "test_corpus", "test_bad_inputs",
                 "test_outputs_guard", "test_onboard", "test_packs", "test_chain", "test_history",
                 "test_formula_round2", "test_onboard_council", "test_allocate_cli", "test_rules",
                 "test_explain", "test_inputs_round2", "test_xlsx_fallback", "test_platforms",
                 "test_pack_template", "test_errors_where", "test_schools_round2_checks",
                 "test_mutants_outputs", "test_return_template", "test_simulate_validate_readers",
                 "test_printed_text", "test_one_pass", "test_allocator", "test_layout", "test_outputs",
                 "test_printed_pages", "test_links_by_urn", "test_outputs_readers", "test_formula",
                 "test_outputs_atomic", "test_terminal_width", "test_runoff_moves", "test_mutants",
                 "test_property_history", "test_config", "test_sample", "test_cli_safety",
                 "test_boundaries", "test_corrections", "test_magnitudes", "test_sweep_infeasible",
                 "test_hidden_rows", "test_packs_returns_faq", "test_mutants_config", "test_realdata",
                 "test_mutants_io", "test_printed_workbooks"]


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))  # stable: the rest keep their order
