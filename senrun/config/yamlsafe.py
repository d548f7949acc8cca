"""YAML loaded safely, with exact decimals and the line of every key (SPEC §9).

- `safe_load` only: no Python objects from YAML.
- Floats become `Decimal` from their text, so `0.1` is one tenth (SPEC §1).
- Limits on size, depth and node count stop an alias bomb ("billion laughs") or a huge
  file from hanging a nightly job.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import yaml

from ..errors import HALF_CHARACTER

MAX_BYTES = 1_000_000
MAX_DEPTH = 32
MAX_NODES = 100_000


class YamlProblem(Exception):
    """The YAML could not be read; `line` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None, key: str | None = None):
        super().__init__(message)
        self.line = line
        self.key = key  # the key path, when the problem is at one


class DuplicateKeys(YamlProblem):
    """Keys given twice in one mapping (YAML would silently keep the last one).  The file could be read
    otherwise: `document` and `lines` are what was read (the last value kept), and `problems` has one
    YamlProblem per key given twice, so that a checker can list them with the file's other problems."""

    def __init__(self, problems: list[YamlProblem], document: object, lines: dict[str, int]):
        super().__init__(str(problems[0]), problems[0].line, problems[0].key)
        self.problems, self.document, self.lines = problems, document, lines


class _Loader(yaml.SafeLoader):
    """SafeLoader whose floats are exact decimals."""


#: A whole number written in decimal digits (`05000`, `-12`, `1_000`): read as written, in base ten.
_DECIMAL_DIGITS = re.compile(r"[-+]?[0-9]+")


def _decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal | str:
    """A number with a point, as an exact decimal.  `.inf`, `.nan` and base-60 `1:30.5` stay text as
    written, for the checker to refuse at their key."""
    text = loader.construct_scalar(node)
    try:
        value = Decimal(text.replace("_", ""))
    except ArithmeticError:
        return text
    return value if value.is_finite() else text


class WrittenInt(int):
    """A whole number whose digits were written otherwise than Python writes it (`01603000000`, `1_000`):
    the number for a key that takes one, and the text as written for a key that takes text (keys.k_str), so
    that a telephone number keeps its leading zero."""

    written: str

    def __new__(cls, value: int, written: str) -> "WrittenInt":
        number = super().__new__(cls, value)
        number.written = written
        return number

    def __reduce__(self):
        return (WrittenInt, (int(self), self.written))


#: The most decimal places a config number (a rate, a share, a percentage) may be written with: far more than any
#: needs, and few enough that each is worked exactly in an instant.
MAX_PLACES = 30


def number_text(value: Decimal) -> str:
    """A config number as a finance officer writes it, never in exponent form: 0.000000001, not 1E-9; 1500,
    not 1.5E+3 (as `normalize` would give 1E+2 for 100).  One of absurd size, refused by keys.k_decimal, keeps
    its exponent form, which is short (1E-999999999), where written out it would be a billion digits long."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -2 * MAX_PLACES <= exponent <= 2 * MAX_PLACES:
        return format(value, "f")
    return str(value)


#: A value wrapped in one pair of Word's curly quotes, with none of the same kind inside.
_WORD_QUOTED = re.compile(r"\s*(?:“([^“”]*)”|‘([^‘’]*)’)\s*")


def typed_text(value: object) -> str:
    """A config value as text, as the officer meant it: digits as typed (a WrittenInt's leading zero), and a
    value wrapped in Word's curly quotes as if they were YAML's straight ones."""
    text = getattr(value, "written", None) or (number_text(value) if isinstance(value, Decimal) else str(value))
    return unquoted_word(text)


def unquoted_word(text: str) -> str:
    """`text` without one pair of Word's curly quotes around it (`“2013-01-17”` → `2013-01-17`), else as it is."""
    quoted = _WORD_QUOTED.fullmatch(text)
    return next(part for part in quoted.groups() if part is not None) if quoted else text


def _int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int | Decimal | str:
    """A whole number as written in decimal: YAML 1.1 would read `05000` as octal (2560); a finance
    officer, like Excel, means 5000.  Its other forms (`0x53408` hex, `0b101` binary, `1:00` base 60)
    stay text as written, for the checker to refuse: no amount is written that way.  One of more than
    30 digits is kept as an exact Decimal, for the checker to call too large (Python refuses to turn
    more than 4,300 digits into an int, and no config number needs 30)."""
    text = loader.construct_scalar(node)
    digits = text.replace("_", "")
    if not _DECIMAL_DIGITS.fullmatch(digits):
        return text
    if len(digits.lstrip("+-")) > 30:
        return Decimal(digits)
    value = int(digits, 10)
    return value if str(value) == text else WrittenInt(value, text)


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)
# dates stay text: the config checker parses them, so that `census_date: 2013-13-01` is reported at
# its key and line rather than failing the whole file
_Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
_Loader.add_constructor("tag:yaml.org,2002:int", _int)

#: The same loader on libyaml's parser, where PyYAML was built with it (None otherwise).
_CLoader: type | None = None
if getattr(yaml, "__with_libyaml__", False):
    class _CLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        """CSafeLoader with _Loader's constructors."""

    for _tag in ("tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:int"):
        _CLoader.add_constructor(_tag, _Loader.yaml_constructors[_tag])


def _count(node: yaml.Node, depth: int, budget: list[int], lines: dict, path: str,
           duplicates: list[YamlProblem]) -> None:
    """Walk the composed tree: enforce depth and node limits (aliases counted each time), record lines,
    and collect each key given twice in one mapping (YAML would silently keep the last one)."""
    budget[0] -= 1
    if budget[0] < 0:
        raise YamlProblem(f"the YAML expands to more than {MAX_NODES:,} values (an alias bomb?)")
    if depth > MAX_DEPTH:
        raise YamlProblem(f"the YAML is nested more than {MAX_DEPTH} levels deep", node.start_mark.line + 1, path)
    lines.setdefault(path, node.start_mark.line + 1)
    _whole_characters(node, path)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            _whole_characters(key, path)
            name = key.value if isinstance(key, yaml.ScalarNode) else "?"
            where = f"{path}.{name}" if path else str(name)
            if name in seen and name != "<<":
                duplicates.append(YamlProblem(f"the key '{where}' is given twice (lines {seen[name]} and "
                                              f"{key.start_mark.line + 1}); keep one", key.start_mark.line + 1,
                                              where))
                for inside in [k for k in lines if k == where or k.startswith((f"{where}.", f"{where}["))]:
                    del lines[inside]  # YAML keeps the last one: its problems are at its lines
            seen[name] = key.start_mark.line + 1
            _count(value, depth + 1, budget, lines, where, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _count(item, depth + 1, budget, lines, f"{path}[{i}]", duplicates)


def _whole_characters(node: yaml.Node, path: str) -> None:
    """Refuse a scalar holding half of a character (a lone surrogate), at its line: written into a workbook or
    a CSV it had stopped the run with a traceback."""
    half = HALF_CHARACTER.search(node.value) if isinstance(node, yaml.ScalarNode) else None
    if half:
        raise YamlProblem(f"holds \\u{ord(half.group()):04x}, half of a character (a lone surrogate escape), which "
                          "no workbook or CSV can hold; write the character itself",
                          node.start_mark.line + 1, path or None)


def load_yaml(path: Path) -> tuple[object, dict[str, int]]:
    """The document at `path` and a map from key path (`formula.elements[1].share`) to line."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise YamlProblem(f"the file is {size:,} bytes; a config is at most {MAX_BYTES:,}")
    return load_yaml_bytes(path.read_bytes())


def load_yaml_bytes(raw: bytes) -> tuple[object, dict[str, int]]:
    """The document in `raw` (a file's bytes, read once) and its map of key paths to lines."""
    if len(raw) > MAX_BYTES:
        raise YamlProblem(f"the file is {len(raw):,} bytes; a config is at most {MAX_BYTES:,}")
    try:  # (UTF-16 with its mark: what older Notepad saves as "Unicode", read as any input is)
        text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise YamlProblem("the file is broken UTF-16 text: save it as UTF-8 (in Notepad: Save as, Encoding: "
                              "UTF-8)") from None
        line = raw[:exc.start].count(b"\n") + 1
        raise YamlProblem(f"the file is not UTF-8 text (byte {exc.start:,} is not UTF-8: perhaps a £ or an "
                          "accent saved by an older editor): save it as UTF-8 (in Notepad: Save as, Encoding: "
                          "UTF-8)", line) from None
    return loads_yaml(text)


def first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _syntax_problem(exc: yaml.YAMLError) -> YamlProblem:
    """Where the YAML broke: the line the parser noticed, and the line where the construct it was
    reading began (an unclosed `{` or quote is usually there), which is the one to look at; but in an indented
    block (a mapping or a list, its lines one under another) the line noticed is the one out of line."""
    mark, context = getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)
    problem = str(getattr(exc, "problem", None) or exc)
    if mark is not None and ("'\\t'" in problem or " tab " in problem):  # the parser's words for a tab
        return YamlProblem("a tab where YAML needs spaces: indent with spaces, not a tab", mark.line + 1)
    text = f"not valid YAML: {problem}"
    if mark is not None:
        text += f" on line {mark.line + 1}"
    if "escape" in problem:  # `path: "C:\census\x.csv"`: \c is no escape YAML knows
        text += (" (in YAML's double quotes a backslash starts an escape: write a Windows path with /, such as "
                 "'C:/SEN/census.csv', or in single quotes)")
    if context is not None and getattr(exc, "context", None):
        text += f" ({exc.context} that starts on line {context.line + 1})"
        block = exc.context.startswith("while parsing a block") and mark is not None
        return YamlProblem(text, mark.line + 1 if block else context.line + 1)
    return YamlProblem(text, mark.line + 1 if mark else None)


def _depth_first(text: str, loader: type = _Loader) -> None:
    """Refuse YAML nested more than MAX_DEPTH levels from its event stream, which the parser produces without
    recursion: composing `[[[[…` thousands deep would exhaust Python's stack before the tree could be walked."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH + 1:
                raise YamlProblem(f"the YAML is nested more than {MAX_DEPTH} levels deep",
                                  event.start_mark.line + 1)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def loads_yaml(text: str) -> tuple[object, dict[str, int]]:
    """Parse YAML text with the limits above: with libyaml's parser where PyYAML has it (about ten
    times faster), else, and for any text libyaml finds wrong, with PyYAML's own, whose messages
    say where and what in the words senrun's messages use.

    Keys given twice in one mapping raise DuplicateKeys, which holds the document read all the same."""
    found: list[YamlProblem] = []
    document, lines = _parsed(text, found)
    if found:
        raise DuplicateKeys(found, document, lines)
    return document, lines


def _parsed(text: str, duplicates: list[YamlProblem]) -> tuple[object, dict[str, int]]:
    """`loads_yaml`'s document and lines, from libyaml's parser or, failing that, PyYAML's."""
    if _CLoader is not None:
        try:
            return _load(text, _CLoader, duplicates)
        except yaml.YAMLError:
            duplicates.clear()
    try:
        return _load(text, _Loader, duplicates)
    except yaml.YAMLError as exc:  # e.g. a !!python/object tag, which a safe loader never constructs
        raise _unclosed_quote(text, exc) or _non_breaking_space(text, exc) or _syntax_problem(exc) from None


def _unclosed_quote(text: str, exc: yaml.YAMLError) -> YamlProblem | None:
    """A line, up to where the parser stopped, whose value opens a double quote and does not close it
    (`year: "2013-14`), said so at that line rather than in the parser's words ("expected <block end>,
    but found '<scalar>'") — only when closing it there mends the file or moves its first error later
    (a quote that legitimately runs on to the next line, or a comment, is never blamed)."""
    mark = getattr(exc, "problem_mark", None)
    lines = text.splitlines()
    for number, line in enumerate(lines[:mark.line + 1 if mark is not None else None], start=1):
        if line.lstrip().startswith("#"):
            continue
        value = line.partition(":")[2].lstrip() if ":" in line else line.lstrip().removeprefix("- ").lstrip()
        if not value.startswith('"') or _closes(value[1:]):
            continue
        mended = "\n".join([*lines[:number - 1], line + '"', *lines[number:]])
        try:
            _load(mended, _Loader)  # with its limits: a mended file nested 50,000 deep is no crash
        except yaml.YAMLError as still:
            later = getattr(still, "problem_mark", None)
            if mark is None or later is None or later.line <= mark.line:
                return None
        except YamlProblem:  # mended, but beyond a limit: the parser's own words then
            return None
        return YamlProblem('a quote (") opens on this line and is not closed: close it (e.g. year: "2013-14")',
                           number)
    return None


NBSP = "\u00a0"
#: A non-breaking space looks like a space on screen: a message about a name or value holding one says so.
NBSP_HINT = ("it contains a non-breaking space, U+00A0, as pasted from Word or an e-mail: delete it and type an "
             "ordinary space if one is needed")


def _non_breaking_space(text: str, exc: yaml.YAMLError) -> YamlProblem | None:
    """The line nearest where the parser stopped that holds a non-breaking space, said so at that line, where
    an ordinary space there mends the file or moves its first error later: pasted after a colon
    (`prorate:\u00a0months`), it looks right on screen, and YAML reads the key and value as one word, so the
    parser's words ("could not find expected ':'") were about the line after it."""
    mark = getattr(exc, "problem_mark", None)
    lines = text.splitlines()
    upto = lines[:mark.line + 1] if mark is not None else lines
    for number in range(len(upto), 0, -1):
        line = upto[number - 1]
        if NBSP not in line.partition("#")[0]:
            continue
        mended = "\n".join([*lines[:number - 1], line.replace(NBSP, " "), *lines[number:]])
        try:
            _load(mended, _Loader)
        except yaml.YAMLError as still:
            later = getattr(still, "problem_mark", None)
            if mark is None or later is None or later.line <= mark.line:
                return None
        except YamlProblem:
            return None
        return YamlProblem("not valid YAML: this line holds a non-breaking space, U+00A0, as pasted from Word or an "
                           "e-mail: it looks like a space, but YAML does not read it as one (after a colon, the key "
                           "and its value are read as one word); delete it and type an ordinary space", number)
    return None


def _closes(rest: str) -> bool:
    """Whether a double-quoted YAML value's text after its opening quote closes it (`\\"` is no close)."""
    escaped = False
    for ch in rest:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            return True
    return False


def _load(text: str, loader_class: type,
          duplicates: list[YamlProblem] | None = None) -> tuple[object, dict[str, int]]:
    """Check the depth on the events, compose once, check the tree (each key given twice added to
    `duplicates`), then construct from that tree."""
    _depth_first(text, loader_class)
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        lines: dict[str, int] = {}
        if node is None:
            return None, lines
        _count(node, 0, [MAX_NODES], lines, "", [] if duplicates is None else duplicates)
        try:
            return loader.construct_document(node), lines
        except (ArithmeticError, ValueError) as exc:
            raise YamlProblem(f"not valid YAML: {first_line(exc)}") from None
    finally:
        loader.dispose()
