"""Which organisations may act for a person they did not register themselves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base


class PersonLink(Base):
    """An organisation registered a person that was already registered (by someone else, or by
    staff): it gave the same name and full resident ID, so it may now name the person by id in
    its claims. Who linked and when is kept; a link is never removed."""

    __tablename__ = "person_link"
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    linked_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    linked_at: Mapped[datetime] = mapped_column(DateTime)
