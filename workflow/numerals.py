"""Money in Chinese capital numerals, as finance writes it on vouchers (壹仟零伍元伍角)."""

from __future__ import annotations

from decimal import Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("", "拾", "佰", "仟")
GROUPS = ("", "万", "亿")  # every four places; enough for NUMERIC(12, 2)
LIMIT = Decimal(10) ** (4 * len(GROUPS))


def capital_yuan(amount: Decimal | int | str) -> str:
    """``Decimal("10010.01")`` → 壹万零壹拾元零壹分.

    One 零 stands for a run of zeros between non-zero places (across 万 and 亿 too), none for
    trailing zeros; 拾 is always written with its digit (壹拾); 整 closes an amount with no
    角 or 分; 零 before 分 when 角 is zero and there are whole yuan.
    """
    if isinstance(amount, float):
        raise TypeError("money must not be a float")
    value = Decimal(amount)
    if not value.is_finite() or value < 0 or value >= LIMIT:
        raise ValueError(f"no capital numerals for {amount!r}")
    fen_total = value * 100
    if fen_total != fen_total.to_integral_value():
        raise ValueError(f"{amount!r} is not a whole number of fen")
    whole, fen = divmod(int(fen_total), 100)
    jiao, fen = divmod(fen, 10)
    text = _integer(whole) + "元" if whole else ""
    if jiao:
        text += DIGITS[jiao] + "角"
    if fen:
        text += ("零" if whole and not jiao else "") + DIGITS[fen] + "分"
    if not jiao and not fen:
        text = (text or "零元") + "整"
    return text


def _integer(n: int) -> str:
    digits = str(n)
    out: list[str] = []
    pending_zero = False
    group_has_digit = False
    for i, ch in enumerate(digits):
        place = len(digits) - 1 - i
        d = int(ch)
        if d:
            if pending_zero:
                out.append("零")
            out.append(DIGITS[d] + PLACES[place % 4])
            pending_zero = False
            group_has_digit = True
        elif out:
            pending_zero = True
        if place % 4 == 0 and place:
            if group_has_digit:
                out.append(GROUPS[place // 4])
            group_has_digit = False
    return "".join(out)
