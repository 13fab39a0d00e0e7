"""The staff forms' one-time tokens: each form a user sent, with its first outcome."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base


class FormToken(Base):
    """A form a staff member sent, by the token the page put in it: taken before the form is
    handled (``status`` 0), then its outcome (a redirect's ``location`` or a page's ``body``), so
    that the same form sent again by the same user is answered with that outcome, not done twice."""

    __tablename__ = "form_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    token: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    location: Mapped[str | None] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, default="")
    content_type: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (UniqueConstraint("user_id", "token", name="uq_form_token_user_token"),)
