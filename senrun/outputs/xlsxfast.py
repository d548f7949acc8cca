"""Many one-sheet workbooks of one shape, packaged quickly: the per-school returns.

An .xlsx file is a zip of XML parts.  A return's package has ten; seven of them — the
content types, the two relationship parts, the workbook part, the styles, the theme and the
app properties — are the same in every return, because every return is built by the same
code with the same formats registered in the same order.  XlsxWriter writes and
compresses all ten for every workbook: about 1.4 ms of a return's 2.3 ms.

`FastReturnPacker` lets XlsxWriter package the first return of a process as usual and keeps its
seven fixed parts, already compressed.  For every later return it has XlsxWriter write only
the three parts that differ — the sheet, the shared strings and the core properties (the
title names the school) — and zips them with the kept parts, in XlsxWriter's order and
with its fixed timestamps.  A workbook whose shape differs from the kept one (another
sheet, another set of formats, defined names) is packaged by XlsxWriter in full, so the
fast path can only ever give what XlsxWriter gives; tests/test_fast_paths.py checks every
part of every return of the sample against XlsxWriter's own output.

`fast_pack` is for one large workbook (the allocation workbook, simulate's): it has XlsxWriter
write every part, as `Workbook.close` does, then compresses the large parts on two threads
(zlib works outside Python's lock; at England scale compressing is a third of the
workbook's time) and zips them in XlsxWriter's order.  Both write the shared strings with
`QuickStrings`, which writes a string that needs no escaping (nearly every one) in one
join.  Byte for byte what `Workbook.close` writes (tests/test_fast_paths.py).

Kept free of Polars: the processes writing the returns use it.  This module reaches into
XlsxWriter's private classes; nothing imports it but `xlsxpack`, the door that checks it
against plain XlsxWriter first and falls back to plain XlsxWriter when it does not match.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from io import StringIO

from xlsxwriter.core import Core
from xlsxwriter.exceptions import FileSizeError
from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings, SharedStringTable
from xlsxwriter.workbook import Workbook

from .common import FIXED_CREATED, MADE_ON_UNIX

SHEET_PART = "xl/worksheets/sheet1.xml"
STRINGS_PART = "xl/sharedStrings.xml"
CORE_PART = "docProps/core.xml"
VARYING_PARTS = (SHEET_PART, STRINGS_PART, CORE_PART)

#: A package this large would need zip64 records, which XlsxWriter writes only when told to.
ZIP64_FROM = zipfile.ZIP64_LIMIT
#: Parts smaller than this are compressed on the calling thread: a thread costs more than they do.
THREAD_FROM = 1 << 16

#: Zip fields as XlsxWriter's in-memory files have them: deflate, 1 January 1980 00:00.
VERSION = 20
DEFLATED = 8
DOS_TIME = 0
DOS_DATE = (0 << 9) | (1 << 5) | 1
#: The system that "made" each member (Unix on every system, as `xlsxpack` has XlsxWriter record it)
#: and the file mode zipfile gives a member written from bytes (rw-------).
MADE_ON = MADE_ON_UNIX
MODE = 0o600 << 16


@dataclass(frozen=True)
class Member:
    """One compressed part, ready to be placed in a zip."""

    name: bytes
    crc: int
    size: int
    data: bytes  # raw deflate stream


#: glibc's malloc options (mallopt): give the top of the heap back to the system only past this size.
M_TRIM_THRESHOLD = -1
KEEP_HEAP = 4 << 20


def keep_freed_heap() -> None:
    """Let this process keep up to 4 MB of freed memory at the top of its heap (Linux, glibc).

    Each deflate stream allocates about 260 KB of tables, in blocks just under the size that
    glibc would map on its own, and frees them when it ends; glibc then gives the top of the
    heap (over 128 KB free) back to the system, and the next stream page-faults its tables in
    afresh.  That was ≈70 µs of system time per compressed part, three parts a return: more
    than the return's XML.  Kept, a part costs what zlib's work costs (≈5–40 µs)."""
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(M_TRIM_THRESHOLD, KEEP_HEAP)
    except (OSError, AttributeError, TypeError):
        pass  # another C library: compressing is only slower


def deflater():
    """A compressor as zipfile makes one for a member: zlib's default level, raw deflate."""
    return zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)


def compress(name: str, content: bytes) -> Member:
    """A part compressed as zipfile compresses it (`deflater`)."""
    packer = deflater()
    data = packer.compress(content) + packer.flush()
    return Member(name.encode("ascii"), zlib.crc32(content), len(content), data)


#: A member as the zip holds it: its local header, name and data; its central record up to the
#: offset of its local header; its name.
Entry = tuple[bytes, bytes, bytes]


def zip_entry(m: Member) -> Entry:
    """A member's pieces of the zip (all but its offset, which depends on the members before it)."""
    header = struct.pack("<4s5H3L2H", b"PK\x03\x04", VERSION, 0, DEFLATED, DOS_TIME, DOS_DATE,
                         m.crc, len(m.data), m.size, len(m.name), 0)
    central = struct.pack("<4s4B4HL2L5HL", b"PK\x01\x02", VERSION, MADE_ON, VERSION, 0, 0,
                          DEFLATED, DOS_TIME, DOS_DATE, m.crc, len(m.data), m.size, len(m.name),
                          0, 0, 0, 0, MODE)
    return b"".join((header, m.name, m.data)), central, m.name


def zip_bytes(members: list[Member]) -> bytes:
    """A zip of compressed members, in order (under 2 GiB in all: no zip64 records)."""
    return zip_entries([zip_entry(m) for m in members])


def zip_entries(entries: list[Entry]) -> bytes:
    """A zip of members given as their pieces (zip_entry), in order."""
    directory = []
    offset = 0
    for local, central, name in entries:
        directory.append(b"".join((central, offset.to_bytes(4, "little"), name)))
        offset += len(local)
    central = b"".join(directory)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), offset, 0)
    return b"".join([local for local, _, _ in entries] + [central, end])


def shape(book: Workbook) -> tuple:
    """What the fixed parts are made from: the sheets and what becomes a defined name, the
    formats in use and their order, the document properties but the title, and whether there
    is anything beyond cells (charts, images, comments, tables, dynamic arrays)."""
    sheets = tuple((ws.name, ws.hidden, ws.autofilter_area, ws.print_area_range, ws.repeat_row_range,
                    ws.repeat_col_range, ws.has_vml, ws.has_header_vml, bool(ws.tables), bool(ws.images),
                    bool(ws.charts), ws.has_dynamic_arrays, ws.embedded_images is not None)
                   for ws in book.worksheets())
    properties = tuple(sorted((k, str(v)) for k, v in book.doc_properties.items() if k != "title"))
    return (sheets, tuple((f.xf_index, f.dxf_index) for f in book.formats), tuple(book.defined_names),
            properties, len(book.charts), book.vba_project is not None, book.str_table.count > 0)


class FastReturnPacker:
    """Packages one-sheet workbooks of one shape; one per process (see the module's text)."""

    def __init__(self) -> None:
        self._shape: tuple | None = None
        self._parts: list[tuple[str, Member | None]] = []  # in order; None where the part varies

    def pack(self, book: Workbook, buffer: io.BytesIO) -> bytes:
        """The workbook's .xlsx bytes (`buffer` is the one the workbook was made with)."""
        key = shape(book)
        if key != self._shape or len(book.worksheets()) != 1:
            book.close()
            data = buffer.getvalue()
            if len(book.worksheets()) == 1:
                self._keep(key, data)
            return data
        sheet = book.worksheets()[0]
        sheet.selected = sheet.active = 1  # as XlsxWriter marks the only sheet when it closes
        book.str_table._sort_string_data()
        varying = {SHEET_PART: _xml(sheet), STRINGS_PART: _strings_xml(book), CORE_PART: _core_xml(book)}
        book.fileclosed = True  # packaged here: the workbook must not be closed again
        return zip_bytes([m if m is not None else compress(name, varying[name]) for name, m in self._parts])

    def _keep(self, key: tuple, data: bytes) -> None:
        """Keep the fixed parts of a package XlsxWriter has just written."""
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = z.namelist()
            if not set(VARYING_PARTS) <= set(names):
                return
            self._parts = [(n, None if n in VARYING_PARTS else compress(n, z.read(n))) for n in names]
        self._shape = key


def _xml(part) -> bytes:
    """A part XlsxWriter assembles, written to a string."""
    text = StringIO()
    part._set_xml_writer(text)
    part._assemble_xml_file()
    return text.getvalue().encode("utf-8")


def _strings_xml(book: Workbook) -> bytes:
    return strings_xml(book.str_table)


def _core_xml(book: Workbook) -> bytes:
    return core_xml(book.doc_properties)


def strings_xml(table: SharedStringTable) -> bytes:
    """The shared-strings part of a string table whose strings are sorted (`_sort_string_data`)."""
    strings = QuickStrings()
    strings.string_table = table
    return _xml(strings)


def core_xml(properties: dict) -> bytes:
    """The core-properties part (title, author, dates) of a workbook with these properties."""
    core = Core()
    core._set_properties(properties)
    return _xml(core)


def fast_pack(book: Workbook, buffer: io.BytesIO, threads: int = 2) -> bytes:
    """The workbook's .xlsx bytes, as `book.close()` would write them into `buffer`, its parts
    compressed on `threads` threads: each sheet as it is written (DeflatingText, on a thread of
    its own), the other large parts side by side once all are written.  A workbook with a VBA
    project or zip64 switched on is left to XlsxWriter."""
    if book.vba_project or book.allow_zip64:
        book.close()
        return buffer.getvalue()
    with ThreadPoolExecutor(max_workers=1) as deflating, ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        parts = _parts(book, deflating if threads > 1 else None)
        if sum(data.size if isinstance(data, Member) else len(data) for _, data in parts) >= ZIP64_FROM:
            raise FileSizeError("Filesize would require ZIP64 extensions. Use workbook.use_zip64().")  # as XlsxWriter
        members: list[Member | None] = [data if isinstance(data, Member) else None if len(data) >= THREAD_FROM
                                        else compress(name, data) for name, data in parts]
        large = [i for i, member in enumerate(members) if member is None]
        for i, member in zip(large, pool.map(lambda i: compress(*parts[i]), large)):
            members[i] = member
    return zip_bytes(members)


def _parts(book: Workbook, deflating: ThreadPoolExecutor | None = None) -> list[tuple[str, bytes | Member]]:
    """Every part of the package, named and in order, made as `Workbook._store_workbook` makes them
    (XlsxWriter 3), for a workbook written in memory; each sheet compressed as it is written
    (a Member) when given a thread to do it on (`deflating`), or with none, compressed on this one."""
    packager = QuickPackager()
    packager.deflating = deflating
    if not book.worksheets():
        book.add_worksheet()
    if book.worksheet_meta.activesheet == 0:
        book.worksheets_objs[0].selected = 1
        book.worksheets_objs[0].hidden = 0
    for sheet in book.worksheets():
        if sheet.index == book.worksheet_meta.activesheet:
            sheet.active = 1
    book._prepare_sst_string_data()
    book._prepare_vml()
    book._prepare_defined_names()
    book._prepare_drawings()
    book._add_chart_data()
    book._prepare_tables()
    book._prepare_metadata()
    packager._add_workbook(book)
    packager._set_tmpdir(book.tmpdir)
    packager._set_in_memory(True)
    files = packager._create_package()
    book.fileclosed = True
    parts: list[tuple[str, bytes | Member]] = []
    for data, name, binary in files:
        parts.append((name, data.member() if isinstance(data, DeflatingText)
                      else data.getvalue() if binary else data.getvalue().encode("utf-8")))
        data.close()  # each part's text let go once it is bytes: they are never all held twice
    return parts


class DeflatingText(StringIO):
    """A sheet part being written, compressed as it comes (to `member()`) rather than kept: a
    sheet of 100,000 rows is 40 MB of XML, which as a StringIO, its value and its UTF-8 bytes
    would be held three times over.  The text is gathered into pieces of about BATCH characters,
    each compressed on `deflating` (one thread, so in order) while the next is written, at most
    AHEAD pieces waiting.  Deflate's output does not depend on how its input is cut, so the
    member is exactly what compressing the whole part at once gives (`compress`)."""

    BATCH = 1 << 20
    AHEAD = 2

    def __init__(self, name: str, deflating: ThreadPoolExecutor):
        super().__init__()
        self._name, self._deflating = name, deflating
        self._texts: list[str] = []
        self._gathered = 0
        self._waiting: deque[Future] = deque()
        self._packer = deflater()
        self._crc = self._size = 0
        self._out: list[bytes] = []

    def write(self, text: str) -> int:
        self._texts.append(text)
        self._gathered += len(text)
        if self._gathered >= self.BATCH:
            self._send()
        return len(text)

    def getvalue(self) -> str:
        raise TypeError("a DeflatingText keeps no text: take its member()")

    def member(self) -> Member:
        """The part, compressed."""
        self._send()
        while self._waiting:
            self._waiting.popleft().result()
        self._out.append(self._packer.flush())
        return Member(self._name.encode("ascii"), self._crc, self._size, b"".join(self._out))

    def _send(self) -> None:
        if self._texts:
            data = "".join(self._texts).encode("utf-8")
            self._texts.clear()
            self._gathered = 0
            self._waiting.append(self._deflating.submit(self._deflate, data))
        while len(self._waiting) > self.AHEAD:
            self._waiting.popleft().result()

    def _deflate(self, data: bytes) -> None:
        self._crc = zlib.crc32(data, self._crc)
        self._size += len(data)
        self._out.append(self._packer.compress(data))


#: What XlsxWriter changes or marks in a shared string: control characters, the characters XML
#: escapes, text that looks like its own `_xHHHH_` escapes, the non-characters U+FFFE and U+FFFF,
#: leading or trailing white space (and a rich string, which begins with "<r>").  A string
#: with none of these is written exactly as it is.
NEEDS_CARE = re.compile(r'[\x00-\x1f"&<>\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$')


class QuickStrings(SharedStrings):
    """XlsxWriter's shared-strings part, written ≈10× faster: a string that needs no escaping (nearly
    every one) is written in one join; any other goes through XlsxWriter's own `_write_si`."""

    def _write_sst_strings(self) -> None:
        care = NEEDS_CARE.search
        plain: list[str] = []
        for string in self.string_table.string_array:
            if care(string) is None:
                plain.append(string)
                continue
            self.fh.write("".join(f"<si><t>{s}</t></si>" for s in plain))
            plain.clear()
            self._write_si(string)
        self.fh.write("".join(f"<si><t>{s}</t></si>" for s in plain))


def si_xml(string: str) -> str:
    """One shared string's `<si>` element, as XlsxWriter's shared-strings part writes it."""
    if NEEDS_CARE.search(string) is None:
        return f"<si><t>{string}</t></si>"
    part, out = SharedStrings(), StringIO()
    part._set_xml_writer(out)
    part._write_si(string)
    return out.getvalue()


class QuickPackager(Packager):
    """XlsxWriter's packager with the shared strings written by QuickStrings, and, given a thread
    to compress on (`deflating`), each sheet compressed as it is written (DeflatingText)."""

    deflating: ThreadPoolExecutor | None = None

    def _filename(self, xml_filename: str):
        if self.deflating is None or not xml_filename.startswith("xl/worksheets/"):
            return super()._filename(xml_filename)
        text = DeflatingText(xml_filename, self.deflating)
        self.filenames.append((text, xml_filename, False))
        return text

    def _write_shared_strings_file(self) -> None:
        if not self.workbook.str_table.count:
            return
        strings = QuickStrings()
        strings.string_table = self.workbook.str_table
        strings._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        strings._assemble_xml_file()


def _reference_book(title: str) -> tuple[Workbook, io.BytesIO]:
    """A small workbook with what returns and the large workbooks use: registered formats, a
    title, widths, strings that need escaping and strings that do not, numbers, a print setup."""
    buffer = io.BytesIO()
    book = Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    book.set_properties({"title": title, "author": "senrun", "created": FIXED_CREATED})
    money = book.add_format({"num_format": "£#,##0.00", "bold": True})
    plain = book.add_format({"text_wrap": True})
    sheet = book.add_worksheet("Return")
    sheet.set_column(0, 1, 20)
    sheet.write_string(0, 0, title, plain)
    sheet.write_string(1, 0, "A & B <school>", plain)
    sheet.write_string(2, 0, " padded ", plain)
    sheet.write_number(1, 1, 1234.5, money)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    return book, buffer


def self_check() -> str | None:
    """None when the fast paths give exactly XlsxWriter's bytes on reference workbooks (two
    returns of one shape through `FastReturnPacker`, one through `fast_pack`); else what differed."""
    packer = FastReturnPacker()
    for title in ("first", "second"):
        fast, fast_buffer = _reference_book(title)
        plain, plain_buffer = _reference_book(title)
        plain.close()
        if packer.pack(fast, fast_buffer) != plain_buffer.getvalue():
            return f"the {title} return packaged differently from XlsxWriter's own"
    fast, fast_buffer = _reference_book("large")
    plain, plain_buffer = _reference_book("large")
    plain.close()
    if fast_pack(fast, fast_buffer) != plain_buffer.getvalue():
        return "a workbook packaged differently from XlsxWriter's own"
    return None
