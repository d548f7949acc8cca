"""The examples a user copies from the README, docs/*.md and the commands' --help are as senrun takes them:
every option an example gives a command is one it has (and an example with --config gives every option the
command requires), every YAML example is valid YAML, every name a Python example uses is imported or made in
it, no example writes its output inside another's, and what senrun says it wrote is what it wrote.
(tests/test_doc_examples.py runs the `sh` blocks; the docs are parsed as it and test_docs_agree.py parse them:
by their text, with regular expressions.)"""

from __future__ import annotations

import ast
import builtins
import re
from pathlib import Path

import yaml
from typer.main import get_command
from typer.testing import CliRunner

from builders import pupil, statement, write_run
from senrun.cli import app

ROOT = Path(__file__).resolve().parents[1]
#: The pages a user copies from: decisions.md records history, and performance.md's commands run the benchmarks.
DOCS = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "decisions.md")]
FENCE = re.compile(r"^(\s*)```(\w*)\s*$")
COMMANDS = get_command(app).commands
runner = CliRunner()


def blocks(path: Path) -> list[tuple[int, str, str]]:
    """(line number of the first line, language, text) of every fenced block of `path`, indented ones too."""
    out, lines, i = [], path.read_text(encoding="utf-8").splitlines(), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m:
            indent, start, body = len(m.group(1)), i + 2, []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                body.append(lines[i][indent:])
                i += 1
            out.append((start, m.group(2), "\n".join(body)))
        i += 1
    return out


def spans(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of every inline code span of `path` outside its fenced blocks (a span may wrap)."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^\s*```\w*\s*$.*?^\s*```\s*$", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.M | re.S)
    return [(text.count("\n", 0, m.start()) + 1, " ".join(m.group(1).split()))
            for m in re.finditer(r"`([^`]+)`", text)]


def commands_in(text: str) -> list[tuple[str, str]]:
    """(command, what follows it up to a shell separator) for each `senrun COMMAND …` in `text`, whose lines
    ending in a backslash go on on the next."""
    text = re.sub(r"\\\n\s*", " ", text)
    found = []
    for m in re.finditer(r"(?<![\w-])senrun ([a-z]+)\b([^\n]*)", text):
        if m.group(1) in COMMANDS:
            found.append((m.group(1), re.split(r" \| |\|\||&&|;| >|\s#", m.group(2))[0]))
    return found


def examples() -> list[tuple[str, str, str]]:
    """(where, command, its arguments) of every senrun command in the docs' blocks and spans and in the
    commands' help."""
    found = []
    for path in DOCS:
        for line, language, text in blocks(path):
            if language not in ("python", "yaml", "json", "ini", "mermaid"):
                found += [(f"{path.name}:{line}", c, rest) for c, rest in commands_in(text)]
        found += [(f"{path.name}:{line}", c, rest) for line, text in spans(path) for c, rest in commands_in(text)]
    helps = {"senrun --help": get_command(app).help or ""}
    helps |= {f"senrun {name} --help": command.help or "" for name, command in COMMANDS.items()}
    for where, text in helps.items():
        found += [(where, c, rest) for c, rest in commands_in(re.sub(r"\[/?[a-z ]*\]", "", text))]
    return found


def test_every_option_an_example_gives_a_command_is_one_it_takes_and_one_with_config_gives_every_required_one():
    """docs/outputs.md timed `senrun allocate --config config/senrun.yaml --jobs N`, which stops at once:
    allocate requires --out as well."""
    found = examples()
    assert len(found) > 60 and {c for _, c, _ in found} >= {"allocate", "validate", "simulate", "explain", "sample"}
    problems = []
    for where, command, rest in found:
        params = COMMANDS[command].params
        takes = {o for p in params for o in (*p.opts, *p.secondary_opts)} | {"--help", "-h"}
        given = set(re.findall(r"(?<![\w/.\-])(--?[A-Za-z][\w-]*)", rest))
        problems += [f"{where}: senrun {command} has no option {o}" for o in sorted(given - takes)]
        if given & {"--config", "-c"}:
            for p in params:
                if p.required and p.opts[0].startswith("-") and not given & {*p.opts, *p.secondary_opts}:
                    problems.append(f"{where}: senrun {command}{rest} lacks the required {p.opts[0]}")
    assert problems == []


def test_every_yaml_example_in_the_readme_and_docs_is_valid_yaml():
    """docs/validate.md's accept file gave a reason with ': ' in it unquoted: copied, it was refused as
    'not valid YAML' rather than accepting the warnings it names."""
    found = [(f"{p.name}:{line}", text) for p in DOCS for line, language, text in blocks(p) if language == "yaml"]
    assert len(found) >= 8
    problems = []
    for where, text in found:
        try:
            yaml.safe_load(text)
        except yaml.YAMLError as exc:
            problems.append(f"{where}: {str(exc).splitlines()[0]}")
    assert problems == []


def _names(tree: ast.AST) -> tuple[set[str], set[str]]:
    """The names a module binds (imports, assignments, definitions, loop and `with` targets) and those it reads."""
    bound, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
    return bound, read


def test_every_name_a_python_example_of_the_docs_uses_is_imported_or_made_in_it():
    """docs/diff.md's example called `load_config` without importing it: pasted, it failed with a NameError."""
    found = [(f"{p.name}:{line}", text) for p in DOCS for line, language, text in blocks(p) if language == "python"]
    assert len(found) >= 3
    problems = []
    for where, text in found:
        bound, read = _names(ast.parse(text))
        problems += [f"{where}: {name}" for name in sorted(read - bound - set(dir(builtins)))]
    assert problems == []


def _outs() -> list[tuple[str, str]]:
    """(where, folder) of every --out (-o) of a senrun command in the docs' blocks and the Makefile; a folder
    named by a make variable (`out-chain/$$y`) as `out-chain/*`, one of the folders in `out-chain/`."""
    found = []
    for path in DOCS:
        for line, language, text in blocks(path):
            if language in ("", "sh", "bash", "shell"):
                found += [(f"{path.name}:{line}", out) for _, rest in commands_in(text)
                          for out in re.findall(r"(?:--out|-o)[ =](\S+)", rest)]
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    found += [("Makefile", out) for out in re.findall(r"senrun \w+.*?--out (\S+)", make.replace("\\\n", " "))]
    return [(where, re.sub(r"\$.*", "*", out).rstrip("/")) for where, out in found
            if not out.startswith(("DIR", "…", "<"))]


def test_no_example_writes_its_output_in_a_folder_another_example_writes_its_output_to():
    """`make run` writes out/; docs/sample.md's chain wrote out/2013-14 and `make chain` out/chain/: the next
    `senrun allocate --out out/` was then refused, its folder holding files its manifest.json does not list."""
    outs = _outs()
    assert ("README.md:103", "out") in outs and any(where == "Makefile" for where, _ in outs)
    inside = [f"{w1}: {o1}/ is inside {w2}: {o2}/" for w1, o1 in outs for w2, o2 in outs
              if o1 != o2 and "*" not in o2 and Path(o1).parts[:len(Path(o2).parts)] == Path(o2).parts]
    assert inside == []


def test_the_accept_example_of_validate_md_runs_on_the_sample_and_prints_the_lines_the_page_quotes(tmp_path):
    """The page quoted `accepted.yaml › line 4 › accept[0]` of an entry on line 2 of its own example."""
    page = (ROOT / "docs" / "validate.md").read_text(encoding="utf-8")
    example = next(text for line, language, text in blocks(ROOT / "docs" / "validate.md")
                   if language == "yaml" and "kind: upn_bad_letter" in text)
    (tmp_path / "accepted.yaml").write_text(example + "\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", "--config", str(ROOT / "config" / "senrun.yaml"),
                                 "--accept", str(tmp_path / "accepted.yaml"), "--strict"])
    said = " ".join(result.output.split())
    assert result.exit_code == 1, said[-2000:]  # its until dates have passed: the three count again
    quoted = [" ".join(q.split()) for q in re.findall(r"`(expired on [^`]+)`", page)]
    assert quoted and all(q in said for q in quoted), (quoted, said[-2000:])
    seen = re.search(r"`not seen this time: accepted\.yaml › line (\d+) › accept\[(\d+)\]", page)
    assert seen and example.splitlines()[int(seen.group(1)) - 1].lstrip().startswith("- kind:")
    assert sum(1 for line in example.splitlines()[:int(seen.group(1))] if line.lstrip().startswith("- ")) \
        == int(seen.group(2)) + 1


def test_allocate_names_diff_csv_and_reconciliation_csv_among_the_files_it_says_it_wrote(tmp_path):
    """With --previous and --register allocate wrote diff.csv and reconciliation.csv, and its last line, the one
    a cron mail shows, left them out."""
    upn = "B801200005001"
    config = write_run(tmp_path, statements=[statement(upn, "2005-05-05")], census=[pupil(upn, "A", "2005-05-05")])
    last = tmp_path / "last" / "psf.csv"
    last.parent.mkdir()
    last.write_text("upn,stream,psf_school_id,paid_school_id,annual_amount,paid_from,paid_to,paid_amount,"
                    f"released_amount,reason\n{upn},PSF,A,A,8400.00,2012-04-01,2013-03-31,8400.00,0.00,continuing\n")
    first = runner.invoke(app, ["allocate", "--config", str(config), "--out", str(tmp_path / "one"), "--no-returns"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["allocate", "--config", str(config), "--out", str(tmp_path / "two"), "--no-returns",
                                "--previous", str(tmp_path / "one" / "schools.csv"), "--register", str(last)])
    assert again.exit_code == 0, again.output
    for result, folder in ((first, "one"), (again, "two")):
        said = re.search(r"Wrote .*?/ \((.*)\)\.", " ".join(result.output.split())).group(1)
        named = {n.replace(" (restricted)", "") for n in said.split(", ")}
        assert named == {p.name for p in (tmp_path / folder).iterdir()}
    assert "diff.csv, reconciliation.csv" in " ".join(again.output.split())
