"""Languages of the pages: Chinese by default, English from Babel message catalogues."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from jinja2 import pass_context

from workflow.labour import AGE_LABEL, WorkingAge
from workflow.money import yuan
from workflow.rules import limits
from workflow.rules.figures import COUNT, GROUPS, LIMITS, MONEY, Shown
from workflow.states import SUBSIDY_LABELS

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


def ages_text(language: str, ages: WorkingAge) -> str:
    """The working-age range as the page's language reads it (16–60周岁, aged 16–60)."""
    return gettext(language, AGE_LABEL, **ages.label_values())


def figure_text(language: str, shown: Shown) -> str:
    """A policy figure's value with its unit, in the page's language (``Shown.text`` is the
    Chinese the 审批表 and the command line print)."""
    f, value = shown.figure, shown.value
    if f.kind == MONEY:
        return gettext(language, N_("%(amount)s元"), amount=yuan(value))
    if f.kind == COUNT:
        return gettext(language, N_("%(n)s%(unit)s"), n=value, unit=gettext(language, f.unit))
    if f.kind == GROUPS:
        groups = [
            gettext(language, N_("、")).join(gettext(language, SUBSIDY_LABELS.get(t, t)) for t in members)
            for members in value.values()
        ]
        return gettext(language, N_("；")).join(groups) or gettext(language, N_("无"))
    if f.kind == LIMITS:
        parts = []
        for key, limit in value.items():
            label, unit = limits.label_of(f.name, key), limits.unit_of(f.name, key)
            amount = yuan(limit) if unit == "元" else int(limit)
            parts.append(
                gettext(
                    language,
                    N_("%(label)s %(limit)s%(unit)s"),
                    label=gettext(language, label),
                    limit=amount,
                    unit=gettext(language, unit),
                )
            )
        return gettext(language, N_("；")).join(parts) or gettext(language, N_("无"))
    return shown.text  # a rate: 15%


@pass_context
def template_ages_text(context: Any, ages: WorkingAge) -> str:
    return ages_text(context.get("lang") or DEFAULT, ages)


@pass_context
def template_figure_text(context: Any, shown: Shown) -> str:
    return figure_text(context.get("lang") or DEFAULT, shown)


def N_(message: str) -> str:
    """Marks a text for the catalogue where it is defined; it is translated where shown."""
    return message
