"""Hostile workbooks made by hand with zipfile (no spreadsheet library would write them): a cell
twenty million rows down, a sheet that inflates to a gigabyte, thousands of members, a lying
``<dimension>``, a flood of shared strings, a member whose deflate stream runs past its size."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">'
    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
    '<sheets><sheet name="申报清单" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">'
    f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
HEADERS = ("姓名", "身份证号", "补贴类型")


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_row() -> str:
    return '<row r="1">' + "".join(cell(f"{'ABC'[i]}1", h) for i, h in enumerate(HEADERS)) + "</row>"


def sheet(rows: str, dimension: str = "") -> bytes:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{dim}'
        f"<sheetData>{header_row()}{rows}</sheetData></worksheet>"
    ).encode()


def workbook(sheet_xml: bytes, extra: Iterable[tuple[str, bytes]] = ()) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        for name, data in extra:
            z.writestr(name, data)
    return out.getvalue()


def far_row(row: int = 20_000_000) -> bytes:
    """One cell on row 20,000,000 (about 1.6 KB): read as a dense block, gigabytes."""
    return workbook(sheet(f'<row r="{row}">{cell(f"A{row}", "扎西")}</row>', dimension="A1:C2"))


def lying_dimension(rows: int = 30_000) -> bytes:
    """``<dimension ref="A1:C2">`` over a sheet whose content goes on to row ``rows``."""
    body = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(2, rows + 1))
    return workbook(sheet(body, dimension="A1:C2"))


def far_column() -> bytes:
    return workbook(sheet(f'<row r="2">{cell("A2", "扎西")}{cell("XFD2", "备注")}</row>'))


def inflating(gigabytes: float = 1.0) -> bytes:
    """About 3 MB that inflates to ``gigabytes`` of cells (written in pieces, never held whole)."""
    piece = b"<row><c><v>1</v></c><c><v>1</v></c><c><v>1</v></c></row>" * 20_000
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, text in (
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", ROOT_RELS),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ):
            z.writestr(name, text)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>'.encode())
            for _ in range(int(gigabytes * 1024**3 // len(piece))):
                f.write(piece)
            f.write(b"</sheetData></worksheet>")
    return out.getvalue()


def many_members(count: int = 5_000) -> bytes:
    return workbook(sheet(""), extra=[(f"xl/media/p{n}.xml", b"<x/>") for n in range(count)])


def shared_strings(count: int = 1_200_000) -> bytes:
    body = b"".join(b"<si><t>%d</t></si>" % n for n in range(count))  # distinct: an honest ratio
    xml = f'<?xml version="1.0"?><sst xmlns="{MAIN}" count="{count}" uniqueCount="{count}">'.encode()
    return workbook(sheet(""), extra=[("xl/sharedStrings.xml", xml + body + b"</sst>")])


def understated_size() -> bytes:
    """A sheet whose directory says 2 KB (with the CRC of those 2 KB) while its deflate stream
    inflates to some 50 MB: a reader trusting the stream would read it all."""
    real = sheet("<row><c><v>1</v></c></row>" * 2_000_000)
    data = bytearray(workbook(real))
    name = b"xl/worksheets/sheet1.xml"
    small = len(real[:2048]), zlib.crc32(real[:2048])
    local = data.find(name)
    central = data.find(name, local + 1)
    struct.pack_into("<I", data, local - 16, small[1])  # the local header's CRC, then its size
    struct.pack_into("<I", data, local - 8, small[0])
    struct.pack_into("<I", data, central - 30, small[1])  # the central directory's
    struct.pack_into("<I", data, central - 22, small[0])
    return bytes(data)
