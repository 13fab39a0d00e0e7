"""Chinese capital numerals for money: known cases from finance, and a round trip through a parser."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.numerals import capital_yuan

KNOWN = [
    ("0", "零元整"),
    ("0.05", "伍分"),
    ("0.50", "伍角"),
    ("0.55", "伍角伍分"),
    ("1", "壹元整"),
    ("1.05", "壹元零伍分"),
    ("1.50", "壹元伍角"),
    ("10", "壹拾元整"),
    ("16", "壹拾陆元整"),
    ("100", "壹佰元整"),
    ("105", "壹佰零伍元整"),
    ("110", "壹佰壹拾元整"),
    ("600", "陆佰元整"),
    ("1500", "壹仟伍佰元整"),
    ("1005.50", "壹仟零伍元伍角"),
    ("1680.32", "壹仟陆佰捌拾元叁角贰分"),  # no 零 after 元 when 角 is written
    ("1001", "壹仟零壹元整"),
    ("10000", "壹万元整"),
    ("10010.01", "壹万零壹拾元零壹分"),
    ("10100", "壹万零壹佰元整"),
    ("100000", "壹拾万元整"),
    ("101000", "壹拾万零壹仟元整"),
    ("1000100", "壹佰万零壹佰元整"),
    ("107000.53", "壹拾万零柒仟元伍角叁分"),  # 《支付结算办法》 allows either 零; we write this one
    ("10000000", "壹仟万元整"),
    ("100000000", "壹亿元整"),
    ("100000001", "壹亿零壹元整"),
    ("100010000", "壹亿零壹万元整"),
    ("120000000", "壹亿贰仟万元整"),
    ("9999999999.99", "玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
]


@pytest.mark.parametrize(("amount", "words"), KNOWN)
def test_known_amounts_are_written_as_finance_writes_them(amount: str, words: str) -> None:
    assert capital_yuan(Decimal(amount)) == words


def test_ints_and_strings_are_accepted() -> None:
    assert capital_yuan(1500) == capital_yuan("1500.00") == "壹仟伍佰元整"


@pytest.mark.parametrize("bad", [Decimal("-1"), Decimal("0.001"), Decimal("1e12"), Decimal("NaN")])
def test_amounts_without_capital_numerals_are_refused(bad: Decimal) -> None:
    with pytest.raises(ValueError):
        capital_yuan(bad)


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        capital_yuan(1.5)  # type: ignore[arg-type]


DIGIT = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
PLACE = {"拾": 10, "佰": 100, "仟": 1000}


def _section(text: str) -> int:
    """壹仟零伍 → 1005: digits times their place; 零 only marks skipped places."""
    total, digit = 0, 0
    for ch in text:
        if ch in PLACE:
            total += digit * PLACE[ch]
            digit = 0
        elif ch in DIGIT:
            digit = DIGIT[ch]
        else:
            raise AssertionError(f"unexpected {ch!r} in {text!r}")
    return total + digit


def parse_capital(words: str) -> Decimal:
    whole_text, _, rest = words.partition("元") if "元" in words else ("", "", words)
    whole = 0
    for unit, scale in (("亿", 10**8), ("万", 10**4)):
        if unit in whole_text:
            head, whole_text = whole_text.split(unit, 1)
            whole += _section(head) * scale
    whole += _section(whole_text)
    jiao = re.search(r"(.)角", rest)
    fen = re.search(r"(.)分", rest)
    cents = (DIGIT[jiao.group(1)] * 10 if jiao else 0) + (DIGIT[fen.group(1)] if fen else 0)
    return Decimal(whole) + Decimal(cents) / 100


amounts = st.integers(min_value=0, max_value=10**12 - 1).map(lambda fen: Decimal(fen) / 100)


@given(amounts)
def test_capital_numerals_read_back_to_the_same_amount(amount: Decimal) -> None:
    assert parse_capital(capital_yuan(amount)) == amount


@given(amounts)
def test_capital_numerals_are_well_formed(amount: Decimal) -> None:
    words = capital_yuan(amount)
    assert "零零" not in words
    assert words.endswith("整") == (amount == amount.to_integral_value())
    assert not words.startswith("零") or words == "零元整"
    assert "零元" not in words or words == "零元整"
    assert "零万" not in words and "零亿" not in words and "亿万" not in words
    # 拾 always carries its digit, as on a voucher
    assert not words.startswith("拾") and "零拾" not in words


@given(st.integers(min_value=1, max_value=10**10 - 1))
def test_zeros_between_places_show_as_one_zero(yuan: int) -> None:
    words = capital_yuan(yuan)
    digits = str(yuan).rstrip("0")
    assert ("0" in digits) == ("零" in words)
