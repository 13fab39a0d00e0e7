"""Resident ID numbers and social credit codes: validation with python-stdnum, and masking."""

from __future__ import annotations

from datetime import date

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

from . import credit_code
from .errors import ValidationFailed


def normalise_id_number(raw: str, field: str = "id_number") -> str:
    """A valid 18-character 居民身份证号 (GB 11643 check digit), upper-case X, or an error."""
    try:
        return str(ric.validate(str(raw).strip().upper()))
    except stdnum_errors.InvalidChecksum:
        raise ValidationFailed("validation.id_number_checksum", "身份证号校验位不正确", field=field) from None
    except stdnum_errors.ValidationError:
        raise ValidationFailed(
            "validation.id_number", "身份证号格式不正确（应为18位）", field=field
        ) from None


def birth_date(id_number: str) -> date:
    return ric.get_birth_date(id_number)


def sex(id_number: str) -> str:
    return "男" if int(id_number[16]) % 2 else "女"


def normalise_credit_code(raw: str, field: str = "credit_code") -> str:
    """A valid 统一社会信用代码 of any registration authority GB 32100 allows (see
    ``workflow.credit_code`` for why stdnum's own ``validate`` is not enough)."""
    try:
        return credit_code.validate(raw)
    except credit_code.CreditCodeError as exc:
        code, message = CREDIT_CODE_ERRORS[exc.reason]
        raise ValidationFailed(code, message, field=field) from None


CREDIT_CODE_ERRORS = {
    "length": ("validation.credit_code", "统一社会信用代码应为18位"),
    "charset": ("validation.credit_code", "统一社会信用代码只能由数字和大写字母（不含I、O、S、V、Z）组成"),
    "authority": (
        "validation.credit_code_authority",
        "统一社会信用代码第1位（登记管理部门代码）不是国家标准规定的代码",
    ),
    "category": (
        "validation.credit_code_category",
        "统一社会信用代码第2位（机构类别代码）与登记管理部门不符",
    ),
    "region": ("validation.credit_code", "统一社会信用代码第3至8位（登记管理机关行政区划码）应为数字"),
    "checksum": ("validation.credit_code_checksum", "统一社会信用代码校验位不正确"),
}


def mask(value: str | None, head: int = 4, tail: int = 4) -> str:
    """``5334**********123X``: enough to recognise, not enough to use."""
    if not value:
        return ""
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]


def normalise_bank_account(raw: str, field: str = "bank_account") -> str:
    digits = "".join(str(raw).split())
    if not digits.isdigit() or not 12 <= len(digits) <= 30:
        raise ValidationFailed("validation.bank_account", "银行账号应为12至30位数字", field=field)
    return digits
