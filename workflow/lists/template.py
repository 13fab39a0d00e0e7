"""The template agents download and fill in: one sheet 申报清单 with every column and a
补贴类型 column, an example row, dropdowns; a second sheet 填写说明 explains each column.
``sheet_template`` writes the same workbook for any kind of list (the admin's imports too).

The example row is valid for a county like the demo one (village 533422101001, a labour
broker, HR service agency or village committee filing 有组织劳务输出 for 2026) except for
its ID number, which is a made-up one: a row that keeps it is refused with
``validation.example_row`` so that an example left in the sheet never becomes a claim.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from ..sheet_text import neutral, neutral_row
from ..states import SUBSIDY_LABELS
from .columns import BY_FIELD, CLAIM_COLUMNS, HEADER_OF, Column, ColumnSet

if TYPE_CHECKING:  # openpyxl is imported only when a template is made
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.worksheet import Worksheet

SHEET = CLAIM_COLUMNS.sheet
HELP_SHEET = "填写说明"
EXAMPLE_ID = BY_FIELD["id_number"].example
TEXT_COLUMNS = CLAIM_COLUMNS.text_fields
DROPDOWN_ROWS = 20_001

# Which fact columns each subsidy type needs (the rules say why; this tells the agent what).
NEEDS: dict[str, tuple[str, ...]] = {
    "labour_export_service": ("destination", "employment_start"),
    "transport_subsidy": ("destination", "employment_start", "fare"),
    "migrant_work_reward": ("destination", "employment_start"),
    "employment_base_reward": ("employment_start",),
    "startup_subsidy": ("employment_start", "wages_paid", "operating_normally"),
    "workshop_reward": ("employment_start", "wages_paid"),
    "work_for_training": ("employment_start", "training_months"),
    "public_welfare_post": ("contract_id", "month"),
    "training_allowance": ("course_id", "course_days", "course_end", "course_completed"),
}

NOTES = (
    "每行是一名人员的一项补贴申请；同一人员申请多项补贴时写多行。",
    "第2行是示例（其身份证号为虚构号码），上传前请删除或改为实际人员，保留示例身份证号的行不予受理。",
    "已在系统中登记的人员按身份证号查找，只核对姓名；新人员按本行的行政村代码、帮扶对象类别等登记。",
    "同一人员同一年度的同类补贴只能申请一次，无论由哪个单位申报；重复上传同一清单不会重复申请。",
    "可以先选择“仅校验”上传，确认无误后再正式提交；处理结果文件会逐行列出受理情况和原因。",
    "也可上传CSV（UTF-8或GBK编码）文件，第一行为列名。一份清单最多20000行、10MB。",
)


def _choices(col: Column) -> str:
    if not col.choices:
        return ""
    return "；".join(f"{label}（{code}）" for code, label in col.choices.items())


def template_workbook() -> bytes:
    """The claim list's template: every column, and which columns each subsidy type needs."""
    return sheet_template(CLAIM_COLUMNS, NOTES, must={"village_code": "新登记人员必填"}, extra=_subsidy_types)


def sheet_template(
    columns: ColumnSet,
    notes: Sequence[str],
    *,
    must: Mapping[str, str] | None = None,
    extra: Callable[[Worksheet, Font, PatternFill], None] | None = None,
) -> bytes:
    """A list's template: the sheet ``columns.sheet`` with every column (required headers red,
    each explained in a comment), an example row, dropdowns for coded and yes/no columns; the
    sheet 填写说明 with every column, ``extra`` and the ``notes``. ``must``: what the help says
    of a column that is required only sometimes."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = columns.sheet
    required = Font(bold=True, color="C00000")
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    example_font = Font(italic=True, color="7F7F7F")
    for i, col in enumerate(columns.columns, 1):
        letter = get_column_letter(i)
        cell = ws.cell(row=1, column=i, value=neutral(col.header))
        cell.font = required if col.required else bold
        cell.fill = head_fill
        cell.alignment = Alignment(horizontal="center")
        note = col.help + (f"\n可填：{_choices(col)}" if col.choices else "")
        cell.comment = Comment(("必填。" if col.required else "") + note, "扶智")
        ws.column_dimensions[letter].width = _width(col)
        if col.field in columns.text_fields:
            ws.column_dimensions[letter].number_format = "@"  # keep long numbers as text
        example = ws.cell(row=2, column=i, value=neutral_row([col.example])[0])
        example.font = example_font
        if col.field in columns.text_fields:
            example.number_format = "@"
        elif col.kind == "date":
            example.number_format = "yyyy-mm-dd"
            ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
        if col.kind in ("choice", "flag"):
            values = list(col.choices.values()) if col.choices else ["是", "否"]
            dv = DataValidation(
                type="list", formula1='"' + ",".join(values) + '"', allow_blank=True, showErrorMessage=False
            )  # codes typed by hand are accepted too
            dv.prompt, dv.promptTitle = col.help[:250], col.header
            dv.showInputMessage = True
            dv.add(f"{letter}2:{letter}{DROPDOWN_ROWS}")
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"

    _help_sheet(wb.create_sheet(HELP_SHEET), columns, notes, must or {}, bold, head_fill, extra)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _width(col: Column) -> int:
    if col.kind in ("id_number", "bank"):
        return 22
    if col.kind == "choice" and col.choices:
        return min(30, max(10, 2 * len(col.header) + 4, 2 * max(map(len, col.choices.values())) + 2))
    return max(10, 2 * len(col.header) + 4)


def _help_sheet(
    ws: Worksheet,
    columns: ColumnSet,
    notes: Sequence[str],
    must: Mapping[str, str],
    bold: Font,
    fill: PatternFill,
    extra: Callable[[Worksheet, Font, PatternFill], None] | None,
) -> None:
    from openpyxl.styles import Alignment

    wrap = Alignment(wrap_text=True, vertical="top")
    ws.append(neutral_row(["列名", "是否必填", "说明", "可填的值（名称或代码）", "字段代码"]))
    for cell in ws[1]:
        cell.font, cell.fill = bold, fill
    for col in columns.columns:
        ws.append(
            neutral_row(
                [
                    col.header,
                    "必填" if col.required else must.get(col.field, ""),
                    col.help,
                    _choices(col),
                    col.field,
                ]
            )
        )
    if extra is not None:
        extra(ws, bold, fill)
    ws.append([])
    ws.append(["注意事项"])
    ws[ws.max_row][0].font = bold
    for i, note in enumerate(notes, 1):
        ws.append(neutral_row([f"{i}. {note}"]))
    for letter, width in zip("ABCDE", (16, 14, 60, 50, 20), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows():
        for cell in row:
            cell.alignment = wrap


def _subsidy_types(ws: Worksheet, bold: Font, fill: PatternFill) -> None:
    ws.append([])
    ws.append(neutral_row(["补贴类型", "代码", "还须填写的列"]))
    for cell in ws[ws.max_row]:
        cell.font, cell.fill = bold, fill
    for code, label in SUBSIDY_LABELS.items():
        ws.append(neutral_row([label, code, "、".join(HEADER_OF[f] for f in NEEDS[code])]))
