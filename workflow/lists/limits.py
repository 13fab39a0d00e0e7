"""An uploaded workbook's size checked before any parser sees it: the zip's directory (members,
each member's declared size, their total, the compression ratio), then every worksheet streamed
in chunks, counting rows, cells and the farthest cell with content, stopping at the first limit
passed; the shared strings counted. What passes is repacked (members stored, uncompressed) from
exactly the bytes that were counted, so the parser never inflates more than was checked: a
member whose deflate stream runs on past its declared size is cut at that size (and fails its
CRC unless forged, which changes nothing: the rest is never read).

The sheet's ``<dimension ref>`` is not trusted (a writer may omit it, a hostile file may lie):
the stream is the truth, and counting it is cheap (regular expressions in C over the bytes).
A cell with content is one with children (``<v>``, ``<is>``, ``<f>``); a formatted empty cell
(``<c r="A9" s="1"/>``) far down is ignored, and the reader reads no further than the farthest
cell with content (``Extent``). A refusal is ``LimitExceeded`` (HTTP 413) with a stable code and
a Chinese message naming the limit.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
from dataclasses import dataclass

from ..errors import ValidationFailed

UNREADABLE = "无法读取该Excel文件，请确认是.xlsx格式并可在Excel中正常打开"
MB = 1024 * 1024
CHUNK = 1 * MB


class LimitExceeded(ValidationFailed):
    """An upload larger than the server reads: refused before it is parsed."""

    status = 413


@dataclass(frozen=True)
class Limits:
    rows: int = 21_000  # the last sheet row a cell with content may sit in (data rows are capped apart)
    columns: int = 52  # A..AZ
    cells: int = 1_000_000  # cells with content, every worksheet together
    unpacked: int = 64 * MB  # every member together, as declared
    members: int = 200
    ratio: int = 100  # unpacked / packed, for a member larger than RATIO_FROM
    shared_strings: int = 1_000_000
    elements: int = 2_000_000  # rows and cells, empty or not, every worksheet together


RATIO_FROM = 1 * MB
EARLY = 1 * MB  # a workbook this small is counted whole before it takes a worker (milliseconds)
DEFAULT = Limits()


@dataclass(frozen=True)
class Extent:
    """Where the content of one worksheet ends (1-based; 0 for an empty sheet)."""

    last_row: int
    last_column: int
    cells: int


def refuse(code: str, message: str, limit: int) -> LimitExceeded:
    return LimitExceeded(f"validation.{code}", message, field="file", limit=limit)


def too_many_members(count: int, limits: Limits) -> LimitExceeded:
    message = f"工作簿中有{count}个部件，最多允许{limits.members}个"
    return refuse("list_zip_members", message, limits.members)


def unreadable() -> ValidationFailed:
    return ValidationFailed("validation.list_format", UNREADABLE, field="file")


def refuse_early(content: bytes, limits: Limits = DEFAULT) -> None:
    """What can be refused cheaply, in the request's own thread, so that most bombs never take
    a worker process: the zip's directory (members, declared sizes, ratio: nothing inflated)
    and, for a workbook that declares at most ``EARLY`` bytes in all, every sheet counted too.
    A file that is no zip, or a broken one, is left to the reader to refuse."""
    if not content.startswith(b"PK\x03\x04"):
        return
    members = declared_members(content)
    if members > limits.members:
        raise too_many_members(members, limits)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError):
        return
    _check_directory(infos, limits)
    if sum(i.file_size for i in infos) <= EARLY:
        checked_xlsx(content, limits)


def checked_xlsx(content: bytes, limits: Limits = DEFAULT) -> tuple[bytes, dict[str, Extent]]:
    """The workbook repacked from the bytes counted, and each worksheet part's extent; or the
    refusal of the first limit it passes (``LimitExceeded``) or of a broken zip."""
    members = declared_members(content)
    if members > limits.members:
        raise too_many_members(members, limits)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            infos = z.infolist()
            _check_directory(infos, limits)
            sheets = _worksheet_names(z)
            out = io.BytesIO()
            extents: dict[str, Extent] = {}
            cells = 0
            with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as packed:
                for info in infos:
                    if info.is_dir():
                        continue
                    scan = SheetScan(limits, cells) if info.filename in sheets else None
                    strings = info.filename.endswith("sharedStrings.xml")
                    data = _read(z, info, scan, limits if strings else None)
                    if scan is not None:
                        extents[info.filename] = scan.extent()
                        cells = scan.cells
                    packed.writestr(info.filename, data)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, KeyError, ValueError):
        raise unreadable() from None
    except NotImplementedError:  # an unknown compression method
        raise unreadable() from None
    return out.getvalue(), extents


def declared_members(content: bytes) -> int:
    """The member count the end-of-central-directory record declares, read before ``zipfile``
    builds an object per member; a Zip64 workbook (never needed under the upload's size) counts
    as too many. A file without the record is left to ``zipfile`` to refuse."""
    end = content.rfind(b"PK\x05\x06", max(0, len(content) - 65_557))
    if end < 0 or end + 22 > len(content):
        return 0
    total = struct.unpack_from("<H", content, end + 10)[0]
    return 1 << 20 if total == 0xFFFF else int(total)


def _check_directory(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(infos) > limits.members:
        raise too_many_members(len(infos), limits)
    total = 0
    cap = limits.unpacked // MB
    for info in infos:
        total += info.file_size
        if total > limits.unpacked:
            message = f"工作簿解压后超过{cap}MB，请分成几份上传"
            raise refuse("list_unpacked_too_large", message, limits.unpacked)
        if info.file_size > RATIO_FROM and info.file_size > limits.ratio * max(info.compress_size, 1):
            raise refuse(
                "list_compression_ratio",
                f"工作簿中的“{info.filename[-60:]}”压缩比超过{limits.ratio}倍，不像正常的Excel文件",
                limits.ratio,
            )


_RELS = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_ATTR = re.compile(rb'\b(Type|Target)="([^"]*)"')


def _worksheet_names(z: zipfile.ZipFile) -> set[str]:
    """Every member a worksheet may be read from: those the workbook's relationships name (as
    calamine resolves them) and anything under ``xl/worksheets/``."""
    names = {n for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")}
    try:
        info = z.getinfo("xl/_rels/workbook.xml.rels")
    except KeyError:
        return names
    if info.file_size > MB:
        raise refuse("list_unpacked_too_large", "工作簿的关系部件超过1MB", MB)
    for rel in _RELS.findall(z.read(info)):
        attrs = dict(_ATTR.findall(rel))
        if attrs.get(b"Type", b"").endswith(b"/worksheet"):
            target = attrs.get(b"Target", b"").decode("utf-8", "replace")
            if target.startswith("/"):
                names.add(target[1:])
            else:
                names.add(target if target.startswith("xl/") else posixpath.normpath(f"xl/{target}"))
    return names


def _read(z: zipfile.ZipFile, info: zipfile.ZipInfo, scan: SheetScan | None, strings: Limits | None) -> bytes:
    """One member's bytes, at most its declared size, each chunk counted as it comes."""
    parts: list[bytes] = []
    count = 0
    tail = b""
    with z.open(info) as stream:
        while chunk := stream.read(CHUNK):
            parts.append(chunk)
            if scan is not None:
                scan.feed(chunk)
            if strings is not None:
                block = tail + chunk
                count += block.count(b"<si>") + block.count(b"<si ")
                tail = block[-3:]
                count -= tail.count(b"<si")  # counted again with the next chunk, if it closes
                if count > strings.shared_strings:
                    raise refuse(
                        "list_shared_strings",
                        f"工作簿中的共享文本超过{strings.shared_strings}条",
                        strings.shared_strings,
                    )
    if scan is not None:
        scan.finish()
    return b"".join(parts)


# One start tag of a row or a cell: its reference when it comes first (as every writer puts it),
# its other attributes, whether it closes itself, and whether the next bytes close it at once
# (an empty cell either way).
_TAG = re.compile(
    rb'<(?:[A-Za-z_][\w.-]*:)?(row|c)\b(?:\s+r="([A-Z]{0,3})([0-9]{0,8})")?([^>]*?)(/?)>(</(?:[A-Za-z_][\w.-]*:)?c>)?'
)
_REF = re.compile(rb'\br="([A-Z]{0,3})([0-9]{0,8})"')
KEEP = 64  # bytes a tag may need past a chunk's last "<" (its lookahead for "</c>")


class SheetScan:
    """A worksheet's XML fed chunk by chunk: rows and cells numbered as a reader numbers them
    (by ``r`` where given, else next in line), refused at the first cell with content past a
    limit."""

    def __init__(self, limits: Limits, cells: int = 0) -> None:
        self.limits = limits
        self.cells = cells  # with content, this sheet and those before it
        self.own = 0
        self.elements = 0
        self.row = 0
        self.column = 0
        self.last_row = 0
        self.last_column = 0
        self.buffer = b""

    def feed(self, chunk: bytes) -> None:
        self.buffer += chunk
        cut = self.buffer.rfind(b"<", 0, max(0, len(self.buffer) - KEEP))
        if cut <= 0:
            return
        self._scan(self.buffer, cut)
        self.buffer = self.buffer[cut:]

    def finish(self) -> None:
        self._scan(self.buffer, len(self.buffer))
        self.buffer = b""

    def extent(self) -> Extent:
        return Extent(self.last_row, self.last_column, self.own)

    def _scan(self, data: bytes, upto: int) -> None:
        limits = self.limits
        for m in _TAG.finditer(data):
            if m.start() >= upto:
                break
            kind, letters, digits, attrs, closed, empty = m.groups()
            self.elements += 1
            if self.elements > limits.elements:
                raise refuse(
                    "list_too_many_cells",
                    f"工作表中的行和单元格（含空白带格式的）超过{limits.elements}个，请删除多余的行列或分成几份上传",
                    limits.elements,
                )
            if letters is None and b'r="' in attrs and (found := _REF.search(attrs)):
                letters, digits = found.groups()
            if kind == b"row":
                self.row = int(digits) if digits else self.row + 1
                self.column = 0
                continue
            self.column = column_number(letters) if letters else self.column + 1
            if digits:
                self.row = int(digits)
            if closed or empty:
                continue  # formatting only: nothing to read
            self._content_at(self.row, self.column, limits)

    def _content_at(self, row: int, column: int, limits: Limits) -> None:
        self.cells += 1
        self.own += 1
        if row > limits.rows:
            raise sheet_rows(row, limits)
        if column > limits.columns:
            raise sheet_columns(column, limits)
        if self.cells > limits.cells:
            message = f"工作簿中有内容的单元格超过{limits.cells}个，请分成几份上传"
            raise refuse("list_too_many_cells", message, limits.cells)
        self.last_row = max(self.last_row, row)
        self.last_column = max(self.last_column, column)


def sheet_rows(row: int, limits: Limits = DEFAULT) -> LimitExceeded:
    message = f"第{row}行有内容，超出上限：内容最多到第{limits.rows}行，请删除多余的行或分成几份上传"
    return refuse("list_too_many_rows", message, limits.rows)


def sheet_columns(column: int, limits: Limits = DEFAULT) -> LimitExceeded:
    at, last = column_letters(column), column_letters(limits.columns)
    message = f"第{column}列（{at}列）有内容，超出上限：最多{limits.columns}列（到{last}列）"
    return refuse("list_too_many_columns", message, limits.columns)


def column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def column_letters(n: int) -> str:
    out = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out
