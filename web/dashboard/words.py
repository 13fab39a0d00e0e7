"""The dashboard's words in the page's language: ``_("…")`` translated, counts, yuan and people
written the page's way (one object handed to the tiles and to the charts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..charts import count, money
from ..i18n import gettext


@dataclass(frozen=True)
class Words:
    """Called with a message, its translation; ``n``, ``yuan`` and ``people`` write numbers."""

    lang: str

    def __call__(self, message: str) -> str:
        return gettext(self.lang, message)

    def n(self, value: Any) -> str:
        return count(value, self.lang)

    def yuan(self, value: Any) -> str:
        return money(value, self.lang)

    def people(self, value: Any) -> str:
        _ = self
        return f"{self.n(value)} {_('人')}"
