"""The result file of an uploaded list: every row with its original cells (ID and bank numbers
masked) and its outcome: 处理结果 / 申请编号 / 金额 / 错误代码 / 错误字段 / 错误说明 for a claim
list; another kind of list (the admin's imports) says what its outcome columns are in a
``ResultLayout``. Refused rows are filled red; a second sheet 汇总 gives the totals."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..sheet_text import safe, text_cell

ERROR_HEADERS = ("错误代码", "错误字段", "错误说明")
STATUS_LABELS = {
    "accepted": "已受理",
    "refused": "未受理",
    "valid": "校验通过（仅校验，未提交）",
}


@dataclass(frozen=True)
class ResultLayout:
    """What a kind of list reports of each row and in its totals."""

    statuses: Mapping[str, str]  # a row's status -> 处理结果
    values: tuple[tuple[str, str], ...]  # (header, key of the stored row) after 处理结果
    number: str  # what the list's number is called in 汇总
    modes: tuple[str, str]  # 处理方式: a dry run, a real one
    totals: tuple[tuple[str, str], ...]  # (label, status) counted in a real run
    dry_totals: tuple[tuple[str, str], ...]  # the same in a dry run
    dry_statuses: Mapping[str, str] = field(default_factory=dict)  # a dry run's own labels

    def label(self, status: str, dry_run: bool) -> str:
        return (dry_run and self.dry_statuses.get(status)) or self.statuses.get(status, status)


CLAIM_RESULT = ResultLayout(
    statuses=STATUS_LABELS,
    values=(("申请编号", "claim_id"), ("金额", "amount")),
    number="清单编号",
    modes=("仅校验（未提交申请）", "正式提交"),
    totals=(("已受理", "accepted"), ("未受理", "refused")),
    dry_totals=(("校验通过", "valid"), ("未受理", "refused")),
)
RESULT_HEADERS = ("处理结果", *(h for h, _ in CLAIM_RESULT.values), *ERROR_HEADERS)


def result_workbook_bytes(
    headers: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    *,
    filename: str,
    dry_run: bool,
    created_at: datetime | None,
    list_id: int | None = None,
    layout: ResultLayout = CLAIM_RESULT,
) -> bytes:
    """``rows``: the stored outcomes, each {row, cells, status, errors} and the layout's values
    (a claim list's: claim_id, amount)."""
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
    value_widths = [10 if key == "amount" else 12 for _, key in layout.values]
    widths = [8] + [max(10, 2 * len(h) + 2) for h in headers] + [14, *value_widths, 28, 14, 50]
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "B2"

    def head(value: str) -> Cell:
        cell: Cell = text_cell(ws, value, bold, head_fill)
        return cell

    outcome_headers = ("处理结果", *(h for h, _ in layout.values), *ERROR_HEADERS)
    ws.append([head("行号"), *(head(h) for h in headers), *(head(h) for h in outcome_headers)])
    for row in rows:
        errors = row.get("errors") or []
        cells = list(row.get("cells") or ())[: len(headers)]
        cells += [None] * (len(headers) - len(cells))
        values: list[Any] = [
            row["row"],
            *cells,
            layout.label(row["status"], dry_run),
            *(_value(ws, key, row.get(key)) for _, key in layout.values),
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
    counted = layout.dry_totals if dry_run else layout.totals
    summary.column_dimensions["A"].width = 16
    summary.column_dimensions["B"].width = 40
    for label, value in (
        (layout.number, list_id),
        ("文件名", filename),
        ("上传时间", created_at.strftime("%Y-%m-%d %H:%M") if created_at else None),
        ("处理方式", layout.modes[0] if dry_run else layout.modes[1]),
        ("总行数", len(rows)),
        *((name, sum(1 for r in rows if r["status"] == status)) for name, status in counted),
    ):
        summary.append([head(label), safe(summary, value)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _value(ws: Any, key: str, value: Any) -> Any:
    """A stored outcome value as its cell: money with two places, a list of names joined."""
    from openpyxl.cell import WriteOnlyCell

    if key == "amount":
        money = WriteOnlyCell(ws, value=Decimal(value) if value is not None else None)
        money.number_format = "0.00"
        return money
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value) or None
    return value
