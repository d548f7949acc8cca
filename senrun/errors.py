"""Problems found in inputs and config, as data (SPEC §5, §8).

Every problem is an :class:`Issue` that says where (file, sheet, row as Excel shows it,
column as the user's own header names it), what (the value) and what was expected.
Checks collect issues into a list; the pipeline raises :class:`SenrunError` once, with
all of them, so a finance officer sees every problem from one run.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace

ERROR = "error"
WARNING = "warning"
CONFIG = "config"  # the code of every problem in the config file
#: Columns whose values are a child's personal data: an issue located in one holds its value as personal.
PERSONAL_FIELDS = frozenset({"upn", "date_of_birth"})
#: Columns that hold a school's id: an issue's value there that looks like a child's data (`looks_personal`,
#: `school_cell_personal`: a UPN or a date of birth typed one column off, or a name) is personal too.
SCHOOL_FIELDS = frozenset({"school_id", "successor_id", "from_school_id", "to_school_id"})
#: The columns of a child's row that hold a code, a date or an amount (census, statements, moves): a cell of words
#: there that are none of the words such columns hold (`CODE_WORDS`) is most often a name, a row shifted one column
#: as Excel's "Delete cells › shift left" leaves it, and is hidden as a name in a school cell is.
CHILD_CODE_FIELDS = frozenset({"sen_provision", "fsm", "nc_year_taught", "enrol_status", "stream", "event", "reason",
                               "statement_date", "ceased_date", "effective_date", "move_date", "annual_amount"})
#: The words a council's code, date and amount cells hold, right or mistyped (a typing slip of one of them is shown,
#: so that the message says what to mend): codes, their words in MIS exports, yes and no, months and days.
CODE_WORDS = frozenset(
    "psf ssmn fys statement statements special educational need needs sen support school action plus ehc ehcp plan "
    "education health care none no yes true false not known unknown eligible free meals fsm current single main dual "
    "subsidiary guest registration registered issued issue new amended amendment amend transfer transferred "
    "ceased cease reissued reissue managed move moved casual admission year reception nursery primary secondary "
    "infant junior high sixth form blank null pending tbc january february march april may june july august "
    "september october november december monday tuesday wednesday thursday friday saturday sunday total totals "
    "amount annual weekly monthly termly pounds date trial reg placement exclusion excluded permanent fixed term "
    "left leaver moved other see note notes missing check query withdrawn ended end start started maybe unsure "
    "possibly probably applied applying awaiting ongoing review reviewed draft proposed agreed expired closed "
    "open error value ref nil active inactive sept feb apr aug sep oct nov mon tue tues wed thu thur thurs fri "
    "sat".split())  # (not Jan, Jun, Jul, Mar, Dec or Sun: first names as much as months and days)
#: A user's header that says its cells are a child's date of birth or UPN, whatever senrun column it was mapped
#: to (a `Date of Birth` column mapped as a move's date by mistake): its values are the child's personal data
#: (a cell's value, `field` given; a totals row's label, shown on purpose, has none).
PERSONAL_HEADER = re.compile(r"(?i)(\bbirth|\bdob\b|\bd\.o\.b\b|\bupn\b|unique pupil)")
HIDDEN = "[hidden]"
#: A UPN's shape (a letter, 11 digits, a digit or a temporary UPN's letter), hidden wherever it is
#: found in a message even if the check that wrote it did not mark it personal: a second guard.
UPN_SHAPE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z](?:\s?[0-9]){11}\s?[0-9A-Za-z](?![A-Za-z0-9])")  # any case, spaced
#: A UPN as it would be typed into a line of text: a letter and twelve digits (the last may be a letter), unspaced.
#: (UPN_SHAPE also reads a spaced one, which a phone number between two letters is: "T 01632 960001 E …".)
TYPED_UPN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][0-9]{11}[0-9A-Za-z](?![A-Za-z0-9])")
#: A date inside a cell's text ("DOB 21/12/2003", "moved after exclusion on 3.2.2013"): quoted with other
#: words, it may be a child's date of birth.
DATE_INSIDE = re.compile(r"(?<![0-9])(?:[0-9]{1,4}([/.-])[0-9]{1,2}\1[0-9]{2,4}|[0-9]{1,2}[ -](?:jan|feb|mar|apr|may|"
                         r"jun|jul|aug|sep|oct|nov|dec)[a-z]*[ -][0-9]{2,4})(?![0-9])", re.IGNORECASE)
#: A cell that holds a child's data where none belongs (a school id, a header, a year or a yes/no): a UPN
#: however typed (any case, with spaces) or a date, such as a date of birth pasted one column off.
CHILD_DATA = re.compile(r"\s*(?:[A-Za-z](?:\s*[0-9]){11}\s*[0-9A-Za-z]|[0-9]{1,4}([/.-])[0-9]{1,2}\1[0-9]{1,4}"
                        r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?|[0-9]{1,2}[ -][A-Za-z]{3,9}[ -][0-9]{2,4})\s*")


#: Control characters a cell may hold (an escape, a carriage return, a bell): printed as they are, a cell's
#: text could recolour, move or rewrite the terminal's lines.  A line break and a tab are left as they are.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def shown_safely(text: str) -> str:
    """`text` for a terminal or a log: each control character written as its code (`\\x1b`)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


#: Half of a character (a lone surrogate), which no output can hold: what Python keeps of a file name's bytes that
#: are not UTF-8, or a `"\\ud800"` escape in a quoted YAML string.
HALF_CHARACTER = re.compile(r"[\ud800-\udfff]")


def name_text(name: str) -> str:
    """A file's name as text every output can hold: each byte of it that is not UTF-8 (a name copied from an
    older system, `caf\\xe9.yaml`) becomes U+FFFD, the replacement character a file manager shows."""
    return HALF_CHARACTER.sub("\ufffd", name)


def holds_child_data(text: object) -> bool:
    """Whether a cell's text holds a UPN (however typed), or a date among other words: quoted in a
    message, it could be a child's; a cell that is only a date (a bad statement date) is not."""
    if text is None:
        return False
    text = str(text)
    return UPN_SHAPE.search(text) is not None or (DATE_INSIDE.search(text) is not None
                                                   and CHILD_DATA.fullmatch(text) is None)


def without_child_data(text: str) -> str:
    """`text` (a traceback for a bug report) with every UPN and date in it, however typed, as HIDDEN: Python's
    KeyError and a parser's error quote the value they met, which may be a child's."""
    return DATE_INSIDE.sub(HIDDEN, UPN_SHAPE.sub(HIDDEN, text))


def words_not_an_id(text: object) -> bool:
    """Whether a school cell holds words and no digit, as a child's name does (a census's Surname column
    mapped as the school, or a row shifted one column): every school id has a digit (a DfE number, a
    URN, an LAEstab), so such a cell is hidden as a name could be."""
    text = str(text or "")
    return not any(ch.isdigit() for ch in text) and sum(ch.isalpha() for ch in text) >= 4


def not_code_words(text: object) -> bool:
    """Whether a code, date or amount cell of a child's row holds words and no digit, three letters or more, that are
    not the words such cells hold, nor a slip of one (CODE_WORDS, `_typed_for`): `Zoë O’Brien`, `Llewellyn`, `ANN`,
    but not `Managed`, `Statment`, `Yes` or `abc`."""
    text = str(text or "")
    letters = sum(ch.isalpha() for ch in text)
    if any(ch.isdigit() for ch in text) or letters < 3:
        return False
    if letters == 3 and (text.strip().islower() or not text.strip().isalpha()):  # `Ann`, `ANN`: not `abc`, `N/A`
        return False
    words = [w for w in re.split(r"[^a-z]+", text.casefold()) if len(w) > 2]  # (a code's letter: `S - Statement`)
    return not words or any(not any(_typed_for(w, known) for known in CODE_WORDS) for w in words)


def _typed_for(word: str, known: str) -> bool:
    """Whether `word` is `known` or a slip of it: one letter wrong, missing or extra in a word of five or six
    letters (`casul`), two in a longer one (`statment`, `recepton`); a word of four letters or fewer only as it
    is, for a first name is often one letter from one (`Ben` and `sen`, `Kate` and `date`, `Jane` and `june`)."""
    if len(known) <= 4:
        return word == known
    most = 1 if len(known) <= 6 else 2
    if abs(len(word) - len(known)) > most:
        return False
    before = list(range(len(known) + 1))
    for i, a in enumerate(word, 1):
        now = [i]
        for j, b in enumerate(known, 1):
            now.append(min(before[j] + 1, now[j - 1] + 1, before[j - 1] + (a != b)))
        if min(now) > most:
            return False
        before = now
    return before[-1] <= most


def looks_personal(text: object) -> bool:
    """Whether a cell's text looks like a child's UPN or date of birth (CHILD_DATA), so that a message
    quoting it where no such value belongs hides it as personal."""
    return text is not None and CHILD_DATA.fullmatch(str(text)) is not None


def school_cell_personal(text: object) -> bool:
    """Whether a school cell's text is to be hidden as a child's: a UPN or a date (`looks_personal`), or a
    name (`words_not_an_id`)."""
    return looks_personal(text) or words_not_an_id(text)


@dataclass(frozen=True)
class Issue:
    """One problem, located as precisely as its source allows."""

    code: str
    severity: str
    message: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None  # as a person sees it in Excel: the header is row 1
    column: str | None = None  # the user's own header
    field: str | None = None  # senrun's internal column name
    value: str | None = None
    expected: str | None = None
    #: A child's personal data (UPN, date of birth) in the message or value: shown only when asked for
    #: (`--show-personal-data`); by default the row reference says where, and `hidden()` leaves them out.
    personal: tuple[str, ...] = ()
    #: The UPN of the child the issue is about, where the issue is about one: what an accepted warning's
    #: `upn:` matches.  Never shown: not in the message, the JSON report, nor `hidden()`.
    child: str | None = None

    def __post_init__(self) -> None:
        for name in ("message", "file", "expected"):  # a file's name from the command line may not be UTF-8
            text = getattr(self, name)
            if isinstance(text, str) and not text.isascii() and HALF_CHARACTER.search(text):
                object.__setattr__(self, name, name_text(text))
        if not self.value or self.value in self.personal:
            return
        if (self.field in PERSONAL_FIELDS
                or (self.field in SCHOOL_FIELDS and school_cell_personal(self.value))
                or (self.field in CHILD_CODE_FIELDS and not_code_words(self.value))
                or (self.field is not None and self.column is not None and PERSONAL_HEADER.search(str(self.column)))
                or holds_child_data(self.value)):
            object.__setattr__(self, "personal", (*self.personal, str(self.value)))

    def hidden(self) -> "Issue":
        """The issue without the child's personal data: each personal value in the message becomes
        `[hidden]`, and a personal cell value is dropped; file, sheet, row and column still say where."""
        message = self._without_personal(self.message)
        value = self.value
        if value is not None and (any(p in str(value) for p in self.personal) or UPN_SHAPE.search(str(value))):
            value = HIDDEN
        # (a column's header, or what was expected, may quote a child's data too: a header row of it mapped)
        column = self._without_personal(self.column) if isinstance(self.column, str) else self.column
        expected = self._without_personal(self.expected) if isinstance(self.expected, str) else self.expected
        # a sheet named after a child (a tab per child, "J Smith 04-12-2003") says where as [hidden]
        sheet = HIDDEN if isinstance(self.sheet, str) and holds_child_data(self.sheet) else self.sheet
        if (message, value, column, expected, sheet) == (self.message, self.value, self.column, self.expected,
                                                         self.sheet) and not self.personal and self.child is None:
            return self
        return replace(self, message=message, value=value, column=column, expected=expected, sheet=sheet,
                       personal=(), child=None)

    def _without_personal(self, text: str) -> str:
        """`text` with each of the issue's personal values, and anything shaped as a UPN, hidden."""
        for personal in sorted(self.personal, key=len, reverse=True):
            text = _without(text, personal)
        return UPN_SHAPE.sub(HIDDEN, text)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def in_config(self) -> bool:
        """A problem in a YAML file (the config, a scenario, an accept list): its row is a line."""
        return self.code == CONFIG or str(self.file or "").lower().endswith((".yaml", ".yml"))

    def where(self) -> str:
        """`statements.xlsx › Statements › row 14 › Date of Birth`, as much as is known.

        In the config (code `config`) the row is the YAML file's line and the column its key path:
        `senrun.yaml › line 12 › formula.elements[1].shares`."""
        parts = [p for p in (self.file, self.sheet) if p]
        if self.row is not None:
            parts.append(f"{'line' if self.in_config else 'row'} {self.row}")
        if self.column:
            parts.append(self.column)
        return " › ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        text = f"{where}: {self.message}" if where else self.message
        if self.expected and "expected" not in self.message and self.expected not in self.message:
            text += f" (expected {self.expected})"
        return shown_safely(text)

    def to_dict(self) -> dict:
        """The issue's fields, as in the JSON report (docs/validate.md)."""
        fields = asdict(self)
        del fields["personal"], fields["child"]
        return fields


def _without(message: str, text: str) -> str:
    """`message` with a personal value hidden.  A value as short as a word ("UPN" in a repeated header
    row) is hidden where it is quoted as the cell's value, else at its first place only (where a
    message gives the value), so that the message's own words stay."""
    if len(text) >= 6:
        return message.replace(text, HIDDEN)
    quoted = message
    for quote in ('"', "'"):
        quoted = quoted.replace(f"{quote}{text}{quote}", f"{quote}{HIDDEN}{quote}")
    return quoted if quoted != message else message.replace(text, HIDDEN, 1)


class SenrunError(Exception):
    """A failure the user can act on: bad input, bad config, a broken money identity."""

    def __init__(self, issues: list[Issue] | Issue | str):
        if isinstance(issues, str):
            issues = [Issue("error", ERROR, issues)]
        elif isinstance(issues, Issue):
            issues = [issues]
        self.issues: list[Issue] = list(issues)
        super().__init__(self.text())

    def text(self) -> str:
        """Its errors (else its issues), one a line, each child's personal data hidden: an exception's text
        goes where senrun does not decide (a program calling the library logs it; UK GDPR)."""
        return "\n".join(str(i.hidden()) for i in self.errors or self.issues)

    def relisted(self) -> "SenrunError":
        """The error, its text made again from its issues (after they were added to or located)."""
        self.args = (self.text(),)
        return self

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]


@dataclass
class Issues:
    """A collector: checks append; `raise_if_errors` stops the run with all of them."""

    items: list[Issue] = field(default_factory=list)

    def add(self, code: str, severity: str, message: str, **where) -> None:
        self.items.append(Issue(code, severity, message, **where))

    def error(self, code: str, message: str, **where) -> None:
        self.add(code, ERROR, message, **where)

    def warn(self, code: str, message: str, **where) -> None:
        self.add(code, WARNING, message, **where)

    def extend(self, issues) -> None:
        self.items.extend(issues)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.items if i.is_error]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.items if not i.is_error]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise SenrunError(self.items)
