"""Money is Decimal yuan with two places (fen); never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import ValidationFailed

FEN = Decimal("0.01")
MAX_YUAN = Decimal("1e10")  # the database keeps money as NUMERIC(12, 2)


def yuan(value: Decimal | int | str) -> Decimal:
    """Exact yuan rounded half-up to the fen; floats are refused because they are not exact."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def parse_yuan(raw: object, field: str) -> Decimal:
    """Read an amount someone typed: a number of yuan, at most two decimals, not negative."""
    text = str(raw).strip().replace(",", "").replace("，", "")
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValidationFailed(
            "validation.not_a_number", f"“{field}”须为金额数字（元）", field=field
        ) from None
    if not value.is_finite():
        raise ValidationFailed("validation.not_a_number", f"“{field}”须为金额数字（元）", field=field)
    if value >= MAX_YUAN:
        raise ValidationFailed("validation.amount_too_large", f"“{field}”金额过大", field=field)
    if value < 0:
        raise ValidationFailed("validation.negative_amount", f"“{field}”不能为负数", field=field)
    if value != value.quantize(FEN):
        raise ValidationFailed("validation.too_many_decimals", f"“{field}”最多精确到分", field=field)
    return value.quantize(FEN)


def to_fen(amount: Decimal) -> int:
    return int(yuan(amount) * 100)


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(FEN)
