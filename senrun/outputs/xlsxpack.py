"""The one door to XlsxWriter's internals, with a way out.

Packaging the returns and the large workbooks reuses XlsxWriter's private classes
(`xlsxfast`; and `xlsxtemplate`, which writes a return, or a cluster pack, from a template
without building an XlsxWriter workbook for it).  Private classes can change in any
release, so before a process uses them it checks, once:

- XlsxWriter is the major version senrun is tested with (`TESTED_MAJOR`; pyproject pins it);
- the private classes import and have what `xlsxfast` calls;
- reference workbooks packaged by the fast paths, and reference returns and workbooks of several
  sheets written from a template, are byte-identical to XlsxWriter's own.

If any check fails (or `SENRUN_PLAIN_XLSX` is set), every workbook of the process is
written by plain XlsxWriter (`Workbook.close`): the same files, a little slower.  The run
never fails for it; the command says so in one line (`fallback_reason`).
"""

from __future__ import annotations

import importlib
import io
import os
import zipfile
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from functools import cache
from typing import Any

import xlsxwriter.workbook
from xlsxwriter.workbook import Workbook

from .common import MADE_ON_UNIX


class UnixZipInfo(zipfile.ZipInfo):
    """A zip member recorded as made on Unix whatever system writes it (SPEC §6: the same bytes on
    Windows as elsewhere): each part of a workbook XlsxWriter writes, which it makes as `ZipInfo`, set to
    this below; `xlsxfast` writes its parts so too."""

    __slots__ = ()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.create_system = MADE_ON_UNIX


xlsxwriter.workbook.ZipInfo = UnixZipInfo  # (the name `Workbook._store_workbook` makes each part with)

#: The XlsxWriter major version whose internals `xlsxfast` was written and tested against.
TESTED_MAJOR = 3
#: Set (to anything) to write every workbook with plain XlsxWriter.
PLAIN_ENV = "SENRUN_PLAIN_XLSX"


@cache
def fallback_reason() -> str | None:
    """Why this process writes workbooks with plain XlsxWriter, or None when the fast paths are used."""
    if os.environ.get(PLAIN_ENV):
        return f"{PLAIN_ENV} is set"
    try:
        import xlsxwriter

        version = getattr(xlsxwriter, "__version__", "0")
        if version.split(".")[0] != str(TESTED_MAJOR):
            return f"XlsxWriter {version} is not the major version senrun is tested with ({TESTED_MAJOR}.x)"
        fast = importlib.import_module(f"{__package__}.xlsxfast")  # through sys.modules, so a test can block it
        template = importlib.import_module(f"{__package__}.xlsxtemplate")
        return fast.self_check() or template.self_check()
    except Exception as exc:  # noqa: BLE001 — any failure of the internals means: do not use them
        return f"XlsxWriter's internals are not as senrun expects ({type(exc).__name__})"


def close_plain(book: Workbook, buffer: io.BytesIO) -> bytes:
    """The workbook's bytes as plain XlsxWriter writes them."""
    book.close()
    return buffer.getvalue()


class BookPacker:
    """Packages the drawn workbooks of one shape of one process — the returns, or the cluster packs
    (one packer each): from a template (`xlsxtemplate`), else through `xlsxfast.FastReturnPacker`,
    when the fast paths checked out; else with plain XlsxWriter."""

    def __init__(self) -> None:
        self._fast = None
        self._template = None  # the process's template; False when the first workbook did not give one
        self.from_template = 0  # how many workbooks were written from it

    def pack(self, book: Workbook, buffer: io.BytesIO) -> bytes:
        """The workbook's .xlsx bytes (`buffer` is the one the workbook was made with)."""
        if fallback_reason() is not None:
            return close_plain(book, buffer)
        if self._fast is None:
            from .xlsxfast import FastReturnPacker

            self._fast = FastReturnPacker()
        return self._fast.pack(book, buffer)

    def pack_drawn(self, title: str, draw: Callable[[Any, Any], None],
                   new_book: Callable[[str], tuple[Workbook, io.BytesIO, Any, Any]]) -> bytes:
        """The .xlsx bytes of a workbook titled `title` whose sheets `draw(sheets, formats)` draws;
        `new_book(title)` makes the workbook XlsxWriter would write: (book, buffer, its sheet — or a
        list of its sheets —, formats).  Written from the process's template when the sheets are
        ones it covers; else by XlsxWriter (`pack`), and the first such workbook of the process
        teaches the template."""
        return self.pack_all([(title, draw)], new_book)[0]

    def pack_all(self, drawings: list[tuple[str, Callable[[Any, Any], None]]],
                 new_book: Callable[[str], tuple[Workbook, io.BytesIO, Any, Any]]) -> list[bytes]:
        """`pack_drawn` for each (title, draw), in order.  The sheets from the template are all
        written before any is compressed: zlib's tables and the drawing's objects then stay in the
        processor's caches in turn (about a fifth less CPU than one workbook after the other)."""
        out: list[bytes | None] = []
        written = []  # (where, the varying parts' XML)
        for title, draw in drawings:
            parts = self._template.render_parts(title, draw) if self._template and fallback_reason() is None else None
            if parts is None:
                out.append(self._pack_with_xlsxwriter(title, draw, new_book))
                continue
            written.append((len(out), parts))
            out.append(None)
        for at, parts in written:
            out[at] = self._template.zip(parts)
        self.from_template += len(written)
        return out

    def _pack_with_xlsxwriter(self, title: str, draw: Callable[[Any, Any], None],
                              new_book: Callable[[str], tuple[Workbook, io.BytesIO, Any, Any]]) -> bytes:
        """The workbook drawn with XlsxWriter and packed (`pack`); the process's first teaches the template."""
        book, buffer, sheets, formats = new_book(title)
        numbered = is_dataclass(formats) and all(getattr(formats, f.name).xf_index is not None for f in fields(formats))
        draw(sheets, formats)
        data = self.pack(book, buffer)
        if self._template is None and fallback_reason() is None:
            from .xlsxfast import keep_freed_heap
            from .xlsxtemplate import Unusual, learn

            keep_freed_heap()
            try:
                single = not isinstance(sheets, list)
                self._template = learn(book, formats, data, title, draw, single, numbered) or False
            except Unusual:
                pass  # a sheet the template cannot take: learn from a later one
        return data


def pack(book: Workbook, buffer: io.BytesIO) -> bytes:
    """One large workbook's .xlsx bytes: compressed on two threads when the fast path checked out."""
    if fallback_reason() is not None:
        return close_plain(book, buffer)
    from .xlsxfast import fast_pack

    return fast_pack(book, buffer)
