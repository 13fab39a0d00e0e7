"""The bank file finance sends and the return file the bank sends back (layout: docs/bank-file.md)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from workflow.errors import ValidationFailed
from workflow.lists.limits import DEFAULT as LIMITS
from workflow.lists.limits import checked_xlsx, sheet_columns, sheet_rows
from workflow.sheet_text import neutral_row, text_cell

HEADERS = ("序号", "收款人", "收款账号", "金额", "附言")
RETURN_HEADERS = (*HEADERS, "状态", "银行流水号")
# Columns a bank may add: why a payment failed, and the day it was paid (else the day the
# import form gives).
RETURN_OPTIONAL = ("失败原因", "交易日期")
FAILED_STATUSES = frozenset({"失败", "退回", "退票", "failed", "FAILED"})
FORMATS = ("xlsx", "csv")


@dataclass(frozen=True)
class BankRow:
    seq: int
    payee: str
    account: str  # in full: the bank needs it
    amount: Decimal
    reference: str  # the claim number


@dataclass(frozen=True)
class ReturnRow:
    row: int  # the row number in the file, header being row 1
    payee: str
    account: str
    amount: Decimal | None  # None: unreadable
    reference: str
    status: str
    bank_serial: str
    reason: str = ""  # 失败原因, when the bank gives one
    paid_on: date | None = None  # 交易日期, when the bank gives one
    date_text: str = ""  # 交易日期 as written: set and paid_on None means unreadable

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES


def write(rows: Iterable[BankRow], fmt: str, title: str) -> bytes:
    if fmt == "csv":
        return _write_csv(rows)
    if fmt == "xlsx":
        return _write_xlsx(rows, title)
    raise ValidationFailed("validation.format", "银行文件格式只能是 xlsx 或 csv", field="fmt")


def cells(r: BankRow) -> tuple[str, str, str, str, str]:
    """A line's cells, every one text: the numbers exactly as the bank reads them (the account's
    digits with its leading zeros, the amount with two places), and the payee and the reference
    as they are, for the writer to pass through the formula rule (``workflow.sheet_text``: it
    never changes a number checked here). A number that is not plain digits or an amount below
    zero is a line no bank file may carry: refused, not neutralised."""
    amount = f"{r.amount:.2f}"
    if not (r.account.isascii() and r.account.isdigit()):
        raise ValueError(f"line {r.seq}: the account is not plain digits")
    if not r.amount.is_finite() or r.amount < 0:
        raise ValueError(f"line {r.seq}: the amount {amount} is not a payment")
    return str(r.seq), r.payee, r.account, amount, r.reference


def _write_csv(rows: Iterable[BankRow]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(neutral_row(HEADERS))
    for r in rows:
        writer.writerow(neutral_row(cells(r)))
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")  # the BOM tells Excel it is UTF-8


def _write_xlsx(rows: Iterable[BankRow], title: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31] or "银行文件")
    ws.append([text_cell(ws, h) for h in HEADERS])
    for r in rows:
        # Every cell text (format @): as a number Excel would show an account as 6.217E+18
        # and lose digits, and an amount's exact figure is the bank's to read.
        row = [text_cell(ws, value) for value in cells(r)]
        for cell in row:
            cell.number_format = "@"
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_return(filename: str, content: bytes) -> list[ReturnRow]:
    """The bank's return file, xlsx or csv (UTF-8 with or without BOM, or GB18030)."""
    name = filename.lower()
    table: Sequence[Sequence[object]]
    if name.endswith(".xlsx"):
        table = _xlsx_rows(content)
    elif name.endswith(".csv"):
        table = _csv_rows(content)
    else:
        raise ValidationFailed("validation.format", "回单文件须为 .xlsx 或 .csv", field="file")
    if not table:
        raise ValidationFailed("validation.empty_file", "回单文件是空的", field="file")
    header = [str(h or "").strip() for h in table[0]]
    missing = [h for h in RETURN_HEADERS if h not in header and h != "序号"]
    if missing:
        raise ValidationFailed(
            "validation.columns", f"回单文件缺少列：{'、'.join(missing)}", field="file", missing=missing
        )
    at = {h: header.index(h) for h in (*RETURN_HEADERS, *RETURN_OPTIONAL) if h in header}
    out = []
    for n, cells in enumerate(table[1:], start=2):
        if not any(str(c or "").strip() for c in cells):
            continue
        v = {h: _text(cells[i]) if i < len(cells) else "" for h, i in at.items()}
        day = cells[at["交易日期"]] if "交易日期" in at and at["交易日期"] < len(cells) else None
        out.append(
            ReturnRow(
                n,
                v["收款人"],
                v["收款账号"],
                _amount(v["金额"]),
                v["附言"],
                v["状态"],
                v["银行流水号"],
                v.get("失败原因", ""),
                _date(day),
                v.get("交易日期", ""),
            )
        )
    return out


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("gb18030")


def _csv_rows(content: bytes) -> list[list[object]]:
    """The records, refused past the limits of any uploaded list (``workflow.lists.limits``)."""
    table: list[list[object]] = []
    for number, record in enumerate(csv.reader(io.StringIO(_decode(content))), 1):
        if number > LIMITS.rows:
            raise sheet_rows(number, LIMITS)
        if len(record) > LIMITS.columns and any(c.strip() for c in record[LIMITS.columns :]):
            raise sheet_columns(len(record), LIMITS)
        table.append(list(record[: LIMITS.columns]))
    return table


def _xlsx_rows(content: bytes) -> list[list[object]]:
    """The first sheet's rows, the workbook checked first (``checked_xlsx``: members, sizes,
    rows, columns, cells) and read from the copy it repacked, no further than its content."""
    import openpyxl

    unreadable = ValidationFailed("validation.file", "无法读取该 Excel 文件", field="file")
    try:
        packed, extents = checked_xlsx(content, LIMITS)
    except ValidationFailed as exc:
        if exc.code == "validation.list_format":  # no zip, a broken one: as the bank file says it
            raise unreadable from None
        raise
    last_row = max((e.last_row for e in extents.values()), default=0)
    last_column = max((e.last_column for e in extents.values()), default=0)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(packed), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise unreadable from None
    try:
        sheet = wb.worksheets[0]
        if not last_row or not hasattr(sheet, "iter_rows"):
            return []
        rows = sheet.iter_rows(max_row=last_row, max_col=max(last_column, 1), values_only=True)
        return [list(r) for r in rows]
    finally:
        wb.close()


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def _date(value: object) -> date | None:
    """A date cell (xlsx) or text such as 2026-11-27, 2026/11/27 or 20261127; None if unreadable."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).split(" ")[0].replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _amount(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None  # compared exactly: 300 == 300.00
