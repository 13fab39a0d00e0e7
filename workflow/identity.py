"""Resident ID numbers and social credit codes: validation with python-stdnum, and masking."""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric
from stdnum.util import isdigits

from . import credit_code
from .errors import ValidationFailed
from .text_input import plain_number


def normalise_id_number(raw: str, field: str = "id_number") -> str:
    """A valid 18-character 居民身份证号 (GB 11643 check digit), upper-case X, or an error."""
    number = plain_number(raw, "id_number", field, "身份证号")
    try:
        return validate_ric(number.strip().upper())
    except stdnum_errors.InvalidChecksum:
        raise ValidationFailed("validation.id_number_checksum", "身份证号校验位不正确", field=field) from None
    except stdnum_errors.ValidationError:
        raise ValidationFailed(
            "validation.id_number", "身份证号格式不正确（应为18位）", field=field
        ) from None


def validate_ric(number: str) -> str:
    """``stdnum.cn.ric.validate``, step by step with stdnum's own pieces and errors, except
    that the birth-place look-up is kept per area code and birth year: stdnum searches its
    place table on every call (about half a millisecond, the largest part of filing a claim's
    CPU), and a county's IDs share a handful of areas; and that a number already compact is
    not compacted again (``_compact``)."""
    number = _compact(number)
    if len(number) != 18:
        raise stdnum_errors.InvalidLength()
    if not isdigits(number[:-1]):
        raise stdnum_errors.InvalidFormat()
    if number[-1] != ric.calc_check_digit(number):
        raise stdnum_errors.InvalidChecksum()
    born = _born(number)  # raises InvalidComponent for a date that does not exist
    if not _birth_place_known(number[:6], born.year):
        raise stdnum_errors.InvalidComponent()
    return number


# 18 ASCII digits, or 17 and a final X: the compact form, which stdnum's ``compact`` leaves as
# it is (its character map touches no digit and no letter). It walks the string character by
# character twice, for every ID of a list; a number typed plainly skips it.
_COMPACT = re.compile(r"[0-9]{17}[0-9X]")


def _compact(number: str) -> str:
    return number if _COMPACT.fullmatch(number) else ric.compact(number)


def _born(number: str) -> date:
    """``ric.get_birth_date`` of a compact number whose first 17 characters are digits."""
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise stdnum_errors.InvalidComponent() from None


@cache
def _birth_place_known(area: str, year: int) -> bool:
    """Whether stdnum knows the area code as a county at the time of the birth year."""
    try:
        ric.get_birth_place(f"{area}{year:04d}0101000")  # only the area and the year are read
    except stdnum_errors.ValidationError:
        return False
    return True


def birth_date(id_number: str) -> date:
    return _born(id_number) if _COMPACT.fullmatch(id_number) else ric.get_birth_date(id_number)


def sex(id_number: str) -> str:
    return "男" if int(id_number[16]) % 2 else "女"


def normalise_credit_code(raw: str, field: str = "credit_code") -> str:
    """A valid 统一社会信用代码 of any registration authority GB 32100 allows (see
    ``workflow.credit_code`` for why stdnum's own ``validate`` is not enough)."""
    code = plain_number(raw, "credit_code", field, "统一社会信用代码")
    try:
        return credit_code.validate(code)
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


# Masking that cannot be undone
# ------------------------------
# A resident ID number is 6 digits of area (the county, which a village names), 8 of birth
# date, 3 of sequence and a check character. Its last four hold the whole sequence and the
# check: beside the birth date and the village they complete the number. Hence:
#
# * The last four are kept only encrypted, with a keyed hash to search by them
#   (``Person.id_tail_hash``): from the database's columns alone (birth date, village) each
#   number lacks its three sequence digits, a thousand candidates with nothing to test them on.
# * A masked number is never shown with the birth date, except to those whose work is to check
#   a person against their papers: HR and the village verifier (their own residents). Agents,
#   finance, the admin, lists, exports and the 审批表 see the age in whole years (周岁) instead,
#   which leaves month and day unknown: some 730 dates times the county digits the first four
#   do not give, less a tenth for the check character — no single number.
# * The mask stays first four + last four. The first four (province and prefecture) say less
#   than the village already does, so cutting them to three would hide nothing; the last four
#   are what lets staff tell two people of one name apart. The birth date is the part that
#   must go, and it goes (above).
BIRTH_DATE_ROLES = frozenset({"hr", "village"})


def shows_birth_date(roles: frozenset[str] | set[str]) -> bool:
    """Whether someone with these roles may see a birth date beside a masked number."""
    return bool(BIRTH_DATE_ROLES & {str(r) for r in roles})


def mask(value: str | None, head: int = 4, tail: int = 4) -> str:
    """``5334**********123X``: enough to recognise, not enough to use."""
    if not value:
        return ""
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]


def mask_tail(last4: str | None, length: int = 18) -> str:
    """``**************123X``: a number known only by its last digits, masked to its length."""
    if not last4:
        return ""
    return "*" * max(length - len(last4), 4) + last4


def normalise_bank_account(raw: str, field: str = "bank_account") -> str:
    digits = "".join(plain_number(raw, "bank_account", field, "银行账号").split())
    if not (digits.isascii() and digits.isdigit()) or not 12 <= len(digits) <= 30:
        raise ValidationFailed("validation.bank_account", "银行账号应为12至30位数字", field=field)
    return digits
