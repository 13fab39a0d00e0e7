"""Languages of the pages: Chinese by default, English from Babel message catalogues."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from jinja2 import pass_context

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT = "zh_CN"
LANGUAGES = {"zh_CN": "中文", "en": "English"}


@lru_cache(maxsize=8)
def translations(language: str) -> NullTranslations:
    """Message ids are the Chinese texts, so Chinese needs no catalogue; English has one."""
    if language == DEFAULT or language not in LANGUAGES:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [language], domain="messages")


def gettext(language: str, message: str, **values: Any) -> str:
    text = translations(language).gettext(message)
    return text % values if values else text


@pass_context
def template_gettext(context: Any, message: str, **values: Any) -> str:
    return gettext(context.get("lang") or DEFAULT, message, **values)


def N_(message: str) -> str:
    """Marks a text for the catalogue where it is defined; it is translated where shown."""
    return message
