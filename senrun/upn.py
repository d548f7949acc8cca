"""The UPN check letter (SPEC §8), vectorised.

A UPN is a check letter then 12 digits.  The letter is ALPHABET[Σ digit_i × i mod 23] for
positions i = 2…13; a temporary UPN ends in a letter, which counts as its index in the
same alphabet.  Example: B801200005001 is valid.
"""

from __future__ import annotations

import polars as pl

ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"


def check_letter(body: str) -> str:
    """The check letter for the 12 characters after it (plain Python, for tests and samples).

    Digits count as themselves; a temporary UPN's final letter as its index in ALPHABET."""
    total = 0
    for i, ch in enumerate(body, start=2):
        total += int(ch) * i if ch.isdigit() else ALPHABET.index(ch) * i
    return ALPHABET[total % 23]


def upn_status(upn: pl.Expr) -> pl.Expr:
    """'ok', 'temporary' (valid, last character a letter), 'bad_letter', or 'malformed'."""
    shape_ok = upn.str.contains(f"^[{ALPHABET}]\\d{{11}}[0-9{ALPHABET}]$")
    total = pl.lit(0, dtype=pl.Int64)
    for pos in range(2, 14):
        ch = upn.str.slice(pos - 1, 1)
        digit = ch.cast(pl.Int64, strict=False)
        letter = pl.lit(ALPHABET).str.find(ch, literal=True).cast(pl.Int64)
        total = total + pos * pl.coalesce(digit, letter)
    expected = pl.lit(ALPHABET).str.slice(total % 23, 1)
    temporary = upn.str.slice(12, 1).str.contains(r"[A-Z]")
    return (pl.when(~shape_ok).then(pl.lit("malformed"))
            .when(upn.str.slice(0, 1) != expected).then(pl.lit("bad_letter"))
            .when(temporary).then(pl.lit("temporary"))
            .otherwise(pl.lit("ok")))
