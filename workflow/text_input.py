"""Typed text checked in one place: numbers in plain digits (NFKC), names without invisible marks.

Numbers (resident ID, bank account, USCC, phone). The raw characters may be ASCII or their
full-width forms (U+FF01–U+FF5E, as a Chinese input method in full-width mode types them) and
spaces; NFKC then makes them ASCII, which is what is stored. Every other character is refused
*before* NFKC, because NFKC also turns superscripts (¹²³), circled (①) and mathematical digits
into ASCII, and Python's ``str.isdigit`` accepts Arabic-Indic (٠-٩) and Devanagari (०-९)
digits as they are: a number typed in any of those is refused, not silently rewritten.

Names and free text (person and organisation names, display names, contacts, comments). A name
is refused when it holds a direction control (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F,
U+061C: a right-to-left override makes the screen show another text than the one stored) or
any other invisible format character (Unicode category Cf: zero-width space, ZWJ/ZWNJ, BOM,
soft hyphen…) or control character, since two names that look alike must be the same name;
free text is refused for direction controls and when it is nothing but invisible characters
(an emoji's ZWJ inside a comment is fine). Names are checked, not rewritten: NFKC would turn the
full-width brackets of an organisation name（…）into ASCII ones and change what is on file.
The middle dot of Tibetan and other transcribed names (·, U+00B7) is an ordinary character.
"""

from __future__ import annotations

import unicodedata

from .errors import ValidationFailed

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_FULL_WIDTH = range(0xFF01, 0xFF5F)  # ！ to ～: the full-width forms of printable ASCII
_SPACES = frozenset(" \u3000\u00a0\t")  # ASCII, ideographic and no-break spaces


def _number_char(ch: str) -> bool:
    return (" " <= ch <= "~") or ord(ch) in _FULL_WIDTH or ch in _SPACES


def plain_number(raw: object, kind: str, field: str, label: str) -> str:
    """``raw`` as NFKC text of ASCII characters, or ``validation.<kind>_digits`` (kind: id_number,
    bank_account, credit_code, phone) for ``field``; ``label`` names it in the message."""
    text = str(raw)
    if not all(_number_char(ch) for ch in text):
        raise ValidationFailed(
            f"validation.{kind}_digits",
            f"“{label}”只能使用半角或全角的阿拉伯数字0-9，不能含有其他文字的数字、上标数字或看不见的字符",
            field=field,
        )
    return unicodedata.normalize("NFKC", text)


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cf", "Cc", "Zl", "Zp") or ch in BIDI_CONTROLS


def visible(text: str) -> str:
    """``text`` without its invisible characters and without surrounding spaces."""
    return "".join(ch for ch in text if not _invisible(ch)).strip()


def checked_name(raw: str | None, field: str, label: str) -> str:
    """A name stripped of surrounding spaces ('' when none was typed); refused
    (``validation.bidi_control`` / ``validation.invisible_character``) when it holds a
    direction control or any other invisible character, a name of nothing else included."""
    text = (raw or "").strip()
    if any(ch in BIDI_CONTROLS for ch in text):
        raise _bidi(field, label)
    if any(_invisible(ch) for ch in text):
        raise ValidationFailed(
            "validation.invisible_character",
            f"“{label}”含有看不见的字符（如零宽空格），请删除后重新输入",
            field=field,
        )
    return text


def checked_text(raw: str | None, field: str, label: str) -> str:
    """Free text stripped ('' when none was typed); refused when it holds a direction control
    (``validation.bidi_control``) or shows nothing but was not empty (``validation.invisible_only``)."""
    text = (raw or "").strip()
    if any(ch in BIDI_CONTROLS for ch in text):
        raise _bidi(field, label)
    if text and not visible(text):
        raise ValidationFailed(
            "validation.invisible_only",
            f"“{label}”只有看不见的字符，请填写内容",
            field=field,
        )
    return text


def _bidi(field: str, label: str) -> ValidationFailed:
    return ValidationFailed(
        "validation.bidi_control",
        f"“{label}”含有改变文字方向的控制字符，显示的内容会与实际内容不同，请删除后重新输入",
        field=field,
    )
