"""The template agents download and fill in: one sheet 申报清单 with every column and a
补贴类型 column, an example row, dropdowns; a second sheet 填写说明 explains each column.

The example row is valid for a county like the demo one (village 533422101001, a labour
broker, HR service agency or village committee filing 有组织劳务输出 for 2026) except for
its ID number, which is a made-up one: a row that keeps it is refused with
``validation.example_row`` so that an example left in the sheet never becomes a claim.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from ..states import SUBSIDY_LABELS
from .columns import BY_FIELD, COLUMNS, HEADER_OF, Column

if TYPE_CHECKING:  # openpyxl is imported only when a template is made
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.worksheet import Worksheet

SHEET = "申报清单"
HELP_SHEET = "填写说明"
EXAMPLE_ID = BY_FIELD["id_number"].example
TEXT_COLUMNS = ("id_number", "bank_account", "village_code", "phone", "household_no", "course_id")
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
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    required = Font(bold=True, color="C00000")
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    example_font = Font(italic=True, color="7F7F7F")
    for i, col in enumerate(COLUMNS, 1):
        letter = get_column_letter(i)
        cell = ws.cell(row=1, column=i, value=col.header)
        cell.font = required if col.required else bold
        cell.fill = head_fill
        cell.alignment = Alignment(horizontal="center")
        note = col.help + (f"\n可填：{_choices(col)}" if col.choices else "")
        cell.comment = Comment(("必填。" if col.required else "") + note, "扶智")
        ws.column_dimensions[letter].width = max(10, 2 * len(col.header) + 4)
        if col.field in TEXT_COLUMNS:
            ws.column_dimensions[letter].number_format = "@"  # keep long numbers as text
        example = ws.cell(row=2, column=i, value=col.example)
        example.font = example_font
        if col.field in TEXT_COLUMNS:
            example.number_format = "@"
        elif col.kind == "date":
            example.number_format = "yyyy-mm-dd"
            ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
    for name in ("id_number", "bank_account", "subsidy_type"):
        ws.column_dimensions[_letter(name)].width = 22 if name != "subsidy_type" else 30
    ws.freeze_panes = "A2"

    for name in (
        "subsidy_type",
        "destination",
        "labour_capacity",
        "labour_force_override",
        "course_completed",
        "operating_normally",
    ):
        col = BY_FIELD[name]
        values = list(col.choices.values()) if col.choices else ["是", "否"]
        dv = DataValidation(
            type="list", formula1='"' + ",".join(values) + '"', allow_blank=True, showErrorMessage=False
        )  # codes typed by hand are accepted too
        dv.prompt, dv.promptTitle = col.help[:250], col.header
        dv.showInputMessage = True
        dv.add(f"{_letter(name)}2:{_letter(name)}{DROPDOWN_ROWS}")
        ws.add_data_validation(dv)

    _help_sheet(wb.create_sheet(HELP_SHEET), bold, head_fill)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _letter(field: str) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(next(i for i, c in enumerate(COLUMNS, 1) if c.field == field)))


def _help_sheet(ws: Worksheet, bold: Font, fill: PatternFill) -> None:
    from openpyxl.styles import Alignment

    wrap = Alignment(wrap_text=True, vertical="top")
    ws.append(["列名", "是否必填", "说明", "可填的值（名称或代码）", "字段代码"])
    for cell in ws[1]:
        cell.font, cell.fill = bold, fill
    for col in COLUMNS:
        must = "必填" if col.required else ("新登记人员必填" if col.field == "village_code" else "")
        ws.append([col.header, must, col.help, _choices(col), col.field])
    ws.append([])
    ws.append(["补贴类型", "代码", "还须填写的列"])
    for cell in ws[ws.max_row]:
        cell.font, cell.fill = bold, fill
    for code, label in SUBSIDY_LABELS.items():
        ws.append([label, code, "、".join(HEADER_OF[f] for f in NEEDS[code])])
    ws.append([])
    ws.append(["注意事项"])
    ws[ws.max_row][0].font = bold
    for i, note in enumerate(NOTES, 1):
        ws.append([f"{i}. {note}"])
    for letter, width in zip("ABCDE", (16, 14, 60, 50, 20), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows():
        for cell in row:
            cell.alignment = wrap
