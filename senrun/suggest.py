""""Did you mean …?" for a school ID that is not in the schools input (issue 13, point 5).

A mistyped ID is usually one or two characters off (9262401 for 9262041), or the school's name
or its DfE number was typed where the LA's ID was wanted: the nearest IDs by spelling, and
schools whose name matches, are suggested with their names.
"""

from __future__ import annotations

import difflib
import errno
import unicodedata

import polars as pl

MAX_SUGGESTED = 3


def nearest_schools(value: str, ids: pl.Series, names: pl.Series | None = None) -> str:
    """' — did you mean 9262041 (Ashford Primary) or 9262014 (…)?', or '' when nothing is close."""
    id_list = [str(i) for i in ids.to_list() if i is not None]
    name_of = dict(zip(id_list, [str(n) for n in names.to_list()])) if names is not None else {}
    text = str(value).strip()
    found = difflib.get_close_matches(text, id_list, n=MAX_SUGGESTED, cutoff=0.6)
    if name_of and len(found) < MAX_SUGGESTED:
        by_name = {n.lower(): i for i, n in name_of.items()}
        for name in difflib.get_close_matches(text.lower(), list(by_name), n=MAX_SUGGESTED, cutoff=0.6):
            if by_name[name] not in found:
                found.append(by_name[name])
    if not found:
        return ""
    shown = [f"{i} ({name_of[i]})" if name_of.get(i) and name_of[i] != i else i for i in found[:MAX_SUGGESTED]]
    return " — did you mean " + (" or ".join(shown) if len(shown) < 3 else ", ".join(shown[:-1]) + " or "
                                 + shown[-1]) + "?"


def missing_file_hint(path, written: str | None = None) -> str:
    """For an input that does not exist: where it was looked for (input paths are relative to the
    config file) and the nearest names in that folder, e.g. school.xlsx for schools.xlsx.  A path
    `written` with backslashes (as Windows shows paths) is told to use /, which works everywhere."""
    from pathlib import Path

    path = Path(path)
    if written and (said := typed_unseen(written)):
        try:
            if not path.exists():
                return said
        except OSError:  # (a path too long for the system: said by the message itself)
            pass
    if written and "\\" in written and not path.exists():
        return (f" (paths in the config are written with /, which works on Windows too: write "
                f"'{written.replace(chr(92), '/')}')")
    try:
        if path.exists() or path.is_symlink():  # (a link to nothing: the message says where it points)
            return ""
        text = f" (looked for {path}: input paths are relative to the config file"
        folder = path.parent
        if not folder.is_dir():
            alike = folder.parent.is_dir() and looks_the_same(folder.name, [p.name for p in folder.parent.iterdir()
                                                                              if p.is_dir()])
            return text + (f"; the folder {folder} does not exist: {alike})" if alike else
                           f"; the folder {folder} does not exist either)")
        names = sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
        if alike := looks_the_same(path.name, names):
            return f"{text}: {alike})"
    except PermissionError:  # a folder on the way that this user may not open
        return f" (looked for {path}: a folder on the way to it cannot be opened by this user: permission denied)"
    except OSError as exc:  # (a path too long: the message says so, and the path is no help)
        return "" if exc.errno == errno.ENAMETOOLONG else f" (looked for {path}: {exc.strerror or exc})"
    close = difflib.get_close_matches(path.name, names, n=MAX_SUGGESTED, cutoff=0.6)
    return text + (f"; did you mean {' or '.join(close)}?)" if close else ")")


#: What YAML's double quotes make of a backslash and the letter after it, back as typed with / (a Windows path).
_ESCAPED = {"\n": "/n", "\t": "/t", "\r": "/r", "\a": "/a", "\b": "/b", "\f": "/f", "\v": "/v", "\x1b": "/e",
            "\x00": "/0", "\x85": "/N", "\u2028": "/L", "\u2029": "/P"}
#: Characters that look like a space, or like nothing, in a path: (the character, its name).
_UNSEEN = {"\u00a0": "a non-breaking space (U+00A0)", "\u200b": "a zero-width space (U+200B)",
           "\ufeff": "a zero-width no-break space (U+FEFF)", "\u2009": "a thin space (U+2009)",
           "\u202f": "a narrow no-break space (U+202F)", "\u200e": "a left-to-right mark (U+200E)"}


def typed_unseen(written: str, what: str = "path") -> str:
    """For a path in the config that holds what cannot be seen: a line break or tab that YAML's double quotes made of
    a backslash (`"N:\\new.csv"` is `N:`, a line break and `ew.csv`), or a character that looks like a space or like
    nothing (pasted from Word or an e-mail); "" when it holds neither."""
    if any(ch in written for ch in _ESCAPED):
        if what != "path":  # (a sheet's name: Excel allows no / or \\ in one)
            return (f" (the {what} in the config holds a line break or a tab: in YAML's double quotes a backslash "
                    "starts an escape, \\n a line break and \\t a tab: write the name in single quotes)")
        typed = "".join(_ESCAPED.get(ch, ch) for ch in written).replace("\\", "/")
        return (" (the path holds a line break or a tab: in YAML's double quotes a backslash starts an escape, \\n a "
                "line break and \\t a tab, so a Windows path loses its backslashes: write it with /, "
                f"'{typed}', or in single quotes)")
    found = [name for ch, name in _UNSEEN.items() if ch in written]
    if found:
        return (f" (the {what} holds {' and '.join(found)}, pasted from Word or an e-mail: type the name again in "
                "the config, with plain spaces)")
    return ""


def looks_the_same(wanted: str, names: list[str]) -> str:
    """Words on a name among `names` that a person would take for `wanted`, and how it differs ("" if none): the
    same but for capitals (Windows and a Mac take either; this system does not), for how its accents are stored
    (a Mac stores `é` as `e` and an accent, Windows as one letter: they look alike, and are two names here), or
    for a space or a dot at its end (which Windows drops, and a file copied from elsewhere may keep)."""
    def nfc(name: str) -> str:
        return unicodedata.normalize("NFC", name)
    for name in names:
        if nfc(name) == nfc(wanted):
            return (f"'{name}' is there, which looks the same, but its accented letters are stored another way (as a "
                    "Mac stores them): type the name again, in the config or in the folder, so that the two match")
        if name.rstrip(" .") == wanted.rstrip(" .") and name != wanted:
            if len(name) > len(wanted):
                return (f"'{name}' is there, its name ending in {_tail(name)} that the config's does not have (Windows "
                        "cannot open such a name): rename the file without it")
            return f"'{name}' is there: the config's name ends in {_tail(wanted)} that the file's does not; take it out"
        if nfc(name).casefold() == nfc(wanted).casefold():
            return (f"'{name}' is there, in other capitals: this system tells names apart by their capitals (Windows "
                    f"does not): write '{name}' in the config")
    return ""


def _tail(name: str) -> str:
    """The spaces and dots at the end of `name`, in words: "a space", "a dot", or quoted."""
    tail = name[len(name.rstrip(" .")):]
    return {" ": "a space", ".": "a dot"}.get(tail, repr(tail))
