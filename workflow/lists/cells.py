"""One cell of a bulk list read by its column's kind: text, ID and bank numbers, coded choices,
flags (是/否), dates, months, money and whole numbers, as Excel, a CSV or JSON gives them; and
the cells as they may be stored (JSON-safe, ID and bank numbers masked).

A coded column accepts the Chinese label or the code (补贴类型 “一次性外出务工交通补助” or
``transport_subsidy``). Every error names the column by its Chinese header.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal

from ..errors import ValidationFailed
from ..identity import mask, normalise_bank_account, normalise_id_number
from ..money import parse_yuan
from ..text_input import checked_name, checked_text, plain_number
from .columns import CLAIM_COLUMNS, Column, ColumnSet
from .headers import field_of

FLAG_TRUE = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "t"})
FLAG_FALSE = frozenset({"否", "n", "no", "false", "0", "×", "x", "f"})

# Excel keeps 15 significant digits of a number: a number cell of 16 or more digits (an ID or
# bank number typed as a number) has lost its last ones; below that an integral float (how
# calamine gives every number: 3000.0, 13988887777.0) is exactly the number the cell shows.
# A float in an ID column is refused whatever its size (no number is an 18-character ID).
EXACT_DIGITS = 1e15

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Text safe to store and to write into a workbook: control characters (which neither
    PostgreSQL nor .xlsx accept, and nobody types on purpose) removed, lone surrogates
    (which no encoding can write) replaced by U+FFFD, refused later where a value is read."""
    if text.isprintable():
        return text
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", text))


def cell_text(value: object) -> str | None:
    """A cell as text, or None when empty (whole floats lose their ``.0``)."""
    if type(value) is str:  # most cells: asked first
        return value.strip().lstrip("'").strip() or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "、".join(t for v in value if (t := cell_text(v))) or None
    text = str(value).strip().lstrip("'").strip()
    return text or None


def _fail(col: Column, code: str, message: str) -> ValidationFailed:
    return ValidationFailed(code, message, field=col.header)


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_SPACES = re.compile(r"\s+")
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")


def read_date(col: Column, value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if text is None:
        return None
    text = re.split(r"[ T]", text, maxsplit=1)[0]
    if m := _DATE.match(text):
        y, mo, d = (int(g) for g in m.groups())
    elif re.fullmatch(r"\d{8}", text):
        y, mo, d = int(text[:4]), int(text[4:6]), int(text[6:])
    else:
        y = mo = d = 0
    try:
        return date(y, mo, d)
    except ValueError:
        raise _fail(col, "validation.date", f"“{col.header}”须为日期（YYYY-MM-DD）") from None


def read_month(col: Column, value: object) -> str | None:
    if isinstance(value, date):  # a datetime too
        return f"{value.year:04d}-{value.month:02d}"
    text = cell_text(value)
    if text is None:
        return None
    m = _MONTH.match(text) or re.fullmatch(r"(\d{4})(\d{2})", text)
    if m is None:
        try:  # a whole date names its month
            day = read_date(col, text)
        except ValidationFailed:
            day = None
        if day is not None:
            return f"{day.year:04d}-{day.month:02d}"
    if m is None or not 1 <= int(m.group(2)) <= 12:
        raise _fail(col, "validation.month", f"“{col.header}”格式须为YYYY-MM")
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"


def read_int(col: Column, value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = cell_text(value)
        if text is None:
            return None
        text = re.sub(r"(个月|月|天|日|年度|年)$", "", text)
        if not re.fullmatch(r"\d{1,12}", text):
            raise _fail(col, "validation.integer", f"“{col.header}”须为整数")
        number = int(text)
    if number < 0:
        raise _fail(col, "validation.integer", f"“{col.header}”须为整数")
    if col.max_value is not None and number > col.max_value:
        raise _fail(col, "validation.too_large", f"“{col.header}”不能大于{col.max_value}")
    return number


def read_choice(col: Column, value: object) -> str | None:
    text = cell_text(value)
    if text is None:
        return None
    key = _SPACES.sub("", text)
    for code, label in col.choices.items():
        if key in (code, label):
            return code
    options = "、".join(col.choices.values())
    code = {
        "subsidy_type": "validation.subsidy_type",
        "destination": "validation.destination",
        "labour_capacity": "validation.labour_capacity",
    }.get(col.field, "validation.choice")
    raise _fail(col, code, f"“{col.header}”不认识“{text}”，应为：{options}")


def read_groups(col: Column, value: object) -> tuple[str, ...]:
    text = cell_text(value)
    if text is None:
        return ()
    found: list[str] = []
    for part in re.split(r"[、,，;；/\s]+", text):
        if not part:
            continue
        code = next((c for c, label in col.choices.items() if part in (c, label)), None)
        if code is None:
            raise _fail(
                col,
                "validation.target_group",
                f"未知的帮扶对象类别“{part}”，应为：{'、'.join(col.choices.values())}",
            )
        if code not in found:
            found.append(code)
    return tuple(found)


def read_flag(col: Column, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = cell_text(value)
    if text is None:
        return False
    if text.lower() in FLAG_TRUE:
        return True
    if text.lower() in FLAG_FALSE:
        return False
    raise _fail(col, "validation.flag", f"“{col.header}”须填“是”或“否”")


def read_money(col: Column, value: object) -> Decimal | None:
    if isinstance(value, float):
        value = repr(value)
    text = cell_text(value)
    if text is None:
        return None
    return parse_yuan(text.removesuffix("元"), col.header)


def read_year(col: Column, value: object) -> int | None:
    year = read_int(col, value)
    if year is not None and not 2000 <= year <= 2100:
        raise _fail(col, "validation.policy_year", f"“{col.header}”须为四位年份，如2026")
    return year


def read_text(col: Column, value: object) -> str | None:
    if isinstance(value, float) and math.isfinite(value) and abs(value) >= EXACT_DIGITS:
        raise _fail(
            col,
            "validation.digits_lost",
            f"“{col.header}”被Excel存成了数字，超过15位的部分已经丢失；请把该列设为“文本”格式后重新填写",
        )
    text = cell_text(value)
    if text is not None and "\ufffd" in text:
        raise _fail(col, "validation.bad_character", f"“{col.header}”含有无法识别的字符（文件编码可能有误）")
    if text is not None and col.max_len is not None and len(text) > col.max_len:
        raise _fail(col, "validation.too_long", f"“{col.header}”不能超过{col.max_len}个字")
    return None if text is None else _checked(col, text)


def _checked(col: Column, text: str) -> str:
    """Names without invisible or direction characters, phones in plain digits, other text
    without direction characters (``workflow.text_input``)."""
    if col.field == "phone":
        return plain_number(text, "phone", col.header, col.header)
    if col.field == "name" or col.field.endswith("_name"):
        return checked_name(text, col.header, col.header)
    return checked_text(text, col.header, col.header)


def read_id_number(col: Column, value: object) -> str | None:
    if isinstance(value, float):
        raise _fail(
            col,
            "validation.id_number",
            "身份证号被Excel存成了数字，后几位已经丢失；请把该列设为“文本”格式后重新填写",
        )
    text = cell_text(value)
    return None if text is None else normalise_id_number(text, field=col.header)


def read_bank(col: Column, value: object) -> str | None:
    if isinstance(value, float) and value >= EXACT_DIGITS:
        raise _fail(
            col,
            "validation.bank_account",
            "银行账号被Excel存成了数字，后几位已经丢失；请把该列设为“文本”格式后重新填写",
        )
    text = cell_text(value)
    return None if text is None else normalise_bank_account(text, field=col.header)


READERS = {
    "text": read_text,
    "id_number": read_id_number,
    "bank": read_bank,
    "choice": read_choice,
    "groups": read_groups,
    "flag": read_flag,
    "date": read_date,
    "month": read_month,
    "money": read_money,
    "int": read_int,
    "year": read_year,
}


_PLAIN = (bool, int, str)  # stored as they are (a tuple: ``bool | int | str`` is built at each use)
_PLAIN_TYPES = frozenset(_PLAIN)


def _storable(value: object) -> object:
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, float):  # NaN and infinities (JSON allows them) as text
        return int(value) if value.is_integer() else value if math.isfinite(value) else str(value)
    return cell_text(value)


def cell_masker(
    headers: Sequence[object], columns: ColumnSet = CLAIM_COLUMNS
) -> Callable[[Sequence[object]], list[object]]:
    """Cells as they may be stored and shown back: JSON-safe, ID and bank numbers masked. A
    resident ID keeps no digit of its tail: the person's birth date is kept in plaintext and the
    row's village code names the county, so a stored last four would complete the number
    (issue 14 §4); the row number and the name tell the rows apart."""
    fields = {i: field_of(h, columns) for i, h in enumerate(headers)}
    sensitive = [i for i, f in fields.items() if f in columns.sensitive]

    def masked(cells: Sequence[object]) -> list[object]:
        out = [v if v is None or type(v) in _PLAIN_TYPES else _storable(v) for v in cells]
        for i in sensitive:
            if i < len(cells):
                text = cell_text(cells[i])
                tail = 0 if fields[i] == "id_number" else 4
                out[i] = mask(text, tail=tail) if text else None
        return out

    return masked
