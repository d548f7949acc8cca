"""The UPN check letter (SPEC §8), vectorised.

A UPN is a check letter then 12 digits.  The letter is ALPHABET[Σ digit_i × i mod 23] for
positions i = 2…13; a temporary UPN ends in a letter, which counts as its index in the
same alphabet.  Example: B801200005001 is valid.

At census scale (8 million UPNs) the check works on bytes, not text: each UPN's 13 bytes are
read as a fixed-size array of numbers (a UPN of another length becomes null: malformed), and
the weighted sum is integer arithmetic.
"""

from __future__ import annotations

import polars as pl

from ..engine import collect

ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
_WIDTH = 13


def _table(entries: dict[int, int]) -> pl.Series:
    """A lookup table indexed by byte value (a gather is far cheaper than a dict replace)."""
    return pl.Series([entries.get(b) for b in range(256)], dtype=pl.Int16)


_LETTER = _table({ord(c): i for i, c in enumerate(ALPHABET)})  # byte → the letter's index
_LAST = _table({**{48 + d: d for d in range(10)}, **{ord(c): 100 + i for i, c in enumerate(ALPHABET)}})  # +100: letter


def check_letter(body: str) -> str:
    """The check letter for the 12 characters after it (plain Python, for the tests).

    Digits count as themselves; a temporary UPN's final letter as its index in ALPHABET."""
    total = 0
    for i, ch in enumerate(body, start=2):
        total += int(ch) * i if ch.isdigit() else ALPHABET.index(ch) * i
    return ALPHABET[total % 23]


def _byte(upn: pl.Expr, i: int) -> pl.Expr:
    return upn.cast(pl.Binary).bin.reinterpret(dtype=pl.Array(pl.UInt8, _WIDTH)).arr.get(i)


def _parts(byte) -> tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr]:
    """(letter index, last value (+100 if a letter), digits all 0-9, weighted sum mod 23) from `byte(i)`."""
    first = pl.lit(_LETTER).gather(byte(0))
    last = pl.lit(_LAST).gather(byte(_WIDTH - 1))
    digits = [byte(i).cast(pl.Int16) - 48 for i in range(1, _WIDTH - 1)]
    total = 13 * (last % 100)
    for pos, d in enumerate(digits, start=2):
        total = total + pos * d
    return first, last, pl.all_horizontal(d.is_between(0, 9) for d in digits), total % 23


def _status(first: pl.Expr, last: pl.Expr, digits_ok: pl.Expr, letter: pl.Expr) -> pl.Expr:
    shape_ok = (first.is_not_null() & last.is_not_null() & digits_ok).fill_null(False)
    return (pl.when(~shape_ok).then(pl.lit("malformed"))
            .when(first != letter).then(pl.lit("bad_letter"))
            .when(last >= 100).then(pl.lit("temporary"))
            .otherwise(pl.lit("ok")))


def upn_status(upn: pl.Expr) -> pl.Expr:
    """'ok', 'temporary' (valid, last character a letter), 'bad_letter', or 'malformed'.

    For a few rows; on a large frame use `upn_problems`, which reads each byte once."""
    return _status(*_parts(lambda i: _byte(upn, i)))


def _fine(first: pl.Expr, last: pl.Expr, digits_ok: pl.Expr, letter: pl.Expr) -> pl.Expr:
    """Whether a UPN (its `_parts`) is 'ok': a valid check letter and 12 digits."""
    return (first == letter) & (last < 100) & digits_ok


def _unpacked(frame: pl.LazyFrame, upn: str) -> tuple[pl.LazyFrame, tuple[pl.Expr, ...]]:
    """`frame` with each UPN's 13 bytes as columns, and the UPN's `_parts` from them."""
    as_bytes = pl.col(upn).cast(pl.Binary).bin.reinterpret(dtype=pl.Array(pl.UInt8, _WIDTH))
    cols = [f"\x00b{i}" for i in range(_WIDTH)]
    lazy = (frame.with_columns(as_bytes.alias("\x00b"))
            .with_columns(pl.col("\x00b").arr.get(i).alias(c) for i, c in enumerate(cols)))
    return lazy, _parts(lambda i: pl.col(cols[i]))


def not_ok(series: pl.Series) -> pl.Series:
    """The positions (UInt32) of the UPNs that are not 'ok' (temporary, wrong letter, malformed or blank),
    in one streaming pass: every other UPN needs neither parsing nor a check-letter warning."""
    name = series.name or "upn"
    lazy, parts = _unpacked(series.rename(name).to_frame().lazy().with_row_index("\x00i"), name)
    return collect(lazy.filter(~_fine(*parts).fill_null(False)).select("\x00i"), streaming=True).to_series()


def upn_problems(frame: pl.DataFrame, upn: str, keep: list[str]) -> pl.DataFrame:
    """The rows of `frame` with a UPN that is not 'ok': the `keep` columns and `status`.  Run by the
    streaming engine, a batch of rows at a time on every core, so that the bytes of 8 million UPNs
    are never all unpacked at once."""
    lazy, parts = _unpacked(frame.lazy().select(*dict.fromkeys([*keep, upn])), upn)
    wrong = lazy.filter(pl.col(upn).is_not_null() & ~_fine(*parts).fill_null(False))
    return collect(wrong.select(*keep, _status(*parts).alias("status")), streaming=True)


# --- UPNs as integer keys (a census of 8 million children) -------------------------------------

#: A UPN of a capital letter and 12 digits is the key letter × 10¹² + the 12 digits (below 26 × 10¹²,
#: whatever the letter, so that a wrong check letter keeps its own key); any other text (a temporary
#: UPN, a malformed one) has a key from SIDE_BASE up, numbered in the side table of its census.
_TEN12 = 10**12
SIDE_BASE = 1 << 62
_LETTERS = pl.Series([chr(65 + i) for i in range(26)], dtype=pl.String)


def _key(b, digits_ok: pl.Expr, last: pl.Expr) -> pl.Expr:
    """The key (Int64) from a UPN's bytes `b(i)`, null unless it is a capital letter then 12 digits.  The
    digits are summed in two halves of six (32-bit arithmetic), joined once in 64 bits."""
    def half(lo: int, hi: int) -> pl.Expr:
        value = b(lo).cast(pl.Int32) - 48
        for i in range(lo + 1, hi):
            value = value * 10 + (b(i).cast(pl.Int32) - 48)
        return value.cast(pl.Int64)

    letter = b(0).cast(pl.Int64) - 65
    shape = (letter.is_between(0, 25) & digits_ok & (last < 100)).fill_null(False)
    return pl.when(shape).then(letter * _TEN12 + half(1, 7) * 1_000_000 + half(7, _WIDTH))


def keyed_plan(frame: pl.LazyFrame, upn: str) -> pl.LazyFrame:
    """`key` and `fine` of each UPN of `frame`, from its bytes: the key (null where the text is not a
    capital letter and 12 digits) and whether the UPN is 'ok' (as `not_ok`; false for a blank)."""
    cols = [f"\x00b{i}" for i in range(_WIDTH)]
    lazy, (first, last, digits_ok, letter) = _unpacked(frame.select(pl.col(upn).cast(pl.String)), upn)
    fine = _fine(first, last, digits_ok, letter).fill_null(False)
    return lazy.select(_key(lambda i: pl.col(cols[i]), digits_ok, last).alias("key"), fine.alias("fine"))


def keyed(series: pl.Series) -> pl.DataFrame:
    """`keyed_plan` of a column held in memory, in one streaming pass."""
    name = series.name or "upn"
    return collect(keyed_plan(series.rename(name).to_frame().lazy(), name), streaming=True)


class UpnKeys:
    """The census's UPNs that are not a capital letter and 12 digits, each with its key (SIDE_BASE up,
    in the order of the text): the text of every key can be given back exactly as it was read."""

    def __init__(self, texts: pl.Series):
        texts = texts.drop_nulls().unique().sort()
        keys = pl.int_range(SIDE_BASE, SIDE_BASE + len(texts), dtype=pl.Int64, eager=True)
        self.table = pl.DataFrame({"_text": texts.cast(pl.String), "_key": keys})

    def encode(self, upn: pl.Series) -> pl.Series:
        """The keys of UPNs given as text (null for a blank, or for a text no census row holds)."""
        if upn.is_empty():
            return pl.Series(upn.name, [], dtype=pl.Int64)
        keys = keyed(upn.cast(pl.String))["key"].rename(upn.name)
        if self.table.is_empty():
            return keys
        frame = upn.cast(pl.String).rename("_text").to_frame()
        side = frame.join(self.table, on="_text", how="left", maintain_order="left")["_key"]
        return keys.fill_null(side)

    def decode(self, keys: pl.Series) -> pl.Series:
        """The text of each key, as the census holds it."""
        frame = keys.rename("_key").to_frame()
        side = frame.join(self.table, on="_key", how="left", maintain_order="left")["_text"]
        body = (pl.col("_key") % _TEN12).cast(pl.String).str.zfill(12)
        plain = pl.lit(_LETTERS).gather((pl.col("_key") // _TEN12).clip(0, 25)) + body
        return frame.with_columns(side.alias("_side")).select(
            pl.when(pl.col("_key") < SIDE_BASE).then(plain).otherwise(pl.col("_side")).alias(keys.name))[keys.name]
