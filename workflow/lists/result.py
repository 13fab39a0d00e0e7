"""The result file of an uploaded list: every row with its original cells (ID and bank numbers
masked) and its outcome: 处理结果 / 申请编号 / 金额 / 错误代码 / 错误字段 / 错误说明.
Refused rows are filled red; a second sheet 汇总 gives the totals."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..sheet_text import safe, text_cell

RESULT_HEADERS = ("处理结果", "申请编号", "金额", "错误代码", "错误字段", "错误说明")
STATUS_LABELS = {
    "accepted": "已受理",
    "refused": "未受理",
    "valid": "校验通过（仅校验，未提交）",
}


def result_workbook_bytes(
    headers: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    *,
    filename: str,
    dry_run: bool,
    created_at: datetime | None,
    list_id: int | None = None,
) -> bytes:
    """``rows``: the stored outcomes, each {row, cells, status, claim_id, amount, errors}."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import Cell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("处理结果")
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    refused_fill = PatternFill("solid", fgColor="FFC7CE")
    wrap = Alignment(wrap_text=True, vertical="top")
    widths = [8] + [max(10, 2 * len(h) + 2) for h in headers] + [14, 10, 10, 28, 14, 50]
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "B2"

    def head(value: str) -> Cell:
        cell: Cell = text_cell(ws, value, bold, head_fill)
        return cell

    ws.append([head("行号"), *(head(h) for h in headers), *(head(h) for h in RESULT_HEADERS)])
    for row in rows:
        errors = row.get("errors") or []
        amount = row.get("amount")
        cells = list(row.get("cells") or ())[: len(headers)]
        cells += [None] * (len(headers) - len(cells))
        money = WriteOnlyCell(ws, value=Decimal(amount) if amount is not None else None)
        money.number_format = "0.00"
        values: list[Any] = [
            row["row"],
            *cells,
            STATUS_LABELS.get(row["status"], row["status"]),
            row.get("claim_id"),
            money,
            "\n".join(e[1] for e in errors) or None,
            "\n".join(e[0] or "（整行）" for e in errors) or None,
            "\n".join(e[2] for e in errors) or None,
        ]
        # What the agent typed is written back: as text, never as a formula (a cell reading
        # "=HYPERLINK(...)" in the upload stays those characters in the result).
        values = [safe(ws, value) for value in values]
        if row["status"] == "refused":
            styled = []
            for value in values:
                cell = value if isinstance(value, Cell) else WriteOnlyCell(ws, value=value)
                cell.fill = refused_fill
                cell.alignment = wrap
                styled.append(cell)
            ws.append(styled)
        else:
            ws.append(values)

    summary = wb.create_sheet("汇总")
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in STATUS_LABELS}
    total = sum(counts.values())
    summary.column_dimensions["A"].width = 16
    summary.column_dimensions["B"].width = 40
    for label, value in (
        ("清单编号", list_id),
        ("文件名", filename),
        ("上传时间", created_at.strftime("%Y-%m-%d %H:%M") if created_at else None),
        ("处理方式", "仅校验（未提交申请）" if dry_run else "正式提交"),
        ("总行数", total),
        ("校验通过" if dry_run else "已受理", counts["valid"] if dry_run else counts["accepted"]),
        ("未受理", counts["refused"]),
    ):
        summary.append([head(label), safe(summary, value)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
