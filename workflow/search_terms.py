"""What a search box's text asks for: a claim or contract number, the last digits of an ID
number, a whole ID number (found by its keyed hash, never shown or put in a URL), a list's
batch (``L12``), a payout batch (``FK2026-0001``), or a person's or an organisation's name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from .errors import ValidationFailed
from .identity import normalise_id_number


class Asks(StrEnum):
    DIGITS = "digits"  # up to 4 digits: a claim or contract number, or the ID number's last digits
    NUMBER = "number"  # 5 to 17 digits: a claim or contract number only
    ID_TAIL = "id_tail"  # the last digits of an ID number ending in X (e.g. 123X)
    FULL_ID = "full_id"  # a whole resident ID number
    LIST = "list"  # a bulk list's batch, L{list id}
    PAYOUT = "payout"  # a payout batch's reference
    NAME = "name"  # a person's name (its beginning) or an organisation's (any part)


@dataclass(frozen=True)
class Terms:
    asks: Asks
    text: str  # normalised; for FULL_ID the number itself, to be hashed and forgotten
    number: int | None = None  # DIGITS, NUMBER, LIST

    @property
    def shown(self) -> str:
        """What the page may say was searched for: a whole ID number only masked."""
        if self.asks is Asks.FULL_ID:
            return f"{self.text[:4]}{'*' * 10}{self.text[-4:]}"
        return self.text


MAX_LENGTH = 40
_FULL_ID = re.compile(r"[0-9]{17}[0-9X]")
_LIST = re.compile(r"L([0-9]{1,9})")
_PAYOUT = re.compile(r"FK[0-9]{4}-[0-9]{1,6}")
_TAIL_X = re.compile(r"[0-9]{0,3}X")


def looks_like_full_id(text: str) -> bool:
    """Whether the text is shaped as a whole ID number (18 characters once spaces are gone):
    such a text is searched only from a POSTed form, never from a URL."""
    return bool(_FULL_ID.fullmatch(re.sub(r"\s", "", text or "").upper()))


def parse(raw: str) -> Terms:
    """The search the text asks for, or a refusal saying what is missing."""
    text = (raw or "").strip()
    if not text:
        raise ValidationFailed("validation.search_empty", "请输入要查找的内容", field="q")
    if len(text) > MAX_LENGTH:
        raise ValidationFailed("validation.search_long", "查找内容过长", field="q")
    compact = re.sub(r"\s", "", text).upper()
    if looks_like_full_id(compact):
        return Terms(Asks.FULL_ID, normalise_id_number(compact, field="q"))
    if compact.isdigit():
        if len(compact) <= 4:
            return Terms(Asks.DIGITS, compact, int(compact))
        if len(compact) < 18:
            return Terms(Asks.NUMBER, compact, int(compact))
    if _TAIL_X.fullmatch(compact):
        return Terms(Asks.ID_TAIL, compact)
    if match := _LIST.fullmatch(compact):
        return Terms(Asks.LIST, f"L{int(match.group(1))}", int(match.group(1)))
    if _PAYOUT.fullmatch(compact):
        return Terms(Asks.PAYOUT, compact)
    if compact.isdigit() or (compact[:-1].isdigit() and compact.endswith("X")):
        raise ValidationFailed(
            "validation.search_digits",
            "请输入申请编号、身份证号末4位或完整的18位身份证号",
            field="q",
        )
    if len(text) < 2:
        # One character is a surname: a tenth of the county.
        raise ValidationFailed("validation.search", "按姓名查询请至少输入两个字", field="q")
    return Terms(Asks.NAME, text)
