"""The declarative base every area's models build on: one metadata, one naming convention.

The tables of all areas are gathered only by ``all_models`` (for Alembic and ``fuzhi db
check``); an area's models import this module and the models they point at, nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from sqlalchemy import JSON, MetaData, Numeric, Table
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(12, 2)
M = TypeVar("M", bound="Base")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, Decimal: Money}

    if TYPE_CHECKING:
        # SQLAlchemy types it as any FromClause (a class may be mapped to a join or a select);
        # every model here is mapped to its own table, so Core statements can use it as one.
        __table__: ClassVar[Table]


def as_written(model: type[M], values: Mapping[str, Any]) -> M:
    """An object of ``model`` holding the values a statement has just written (or returned),
    in no session and with nothing to flush: filled the way the ORM's loader fills a row it
    reads, without the change events (one per attribute) a constructor fires. What a hot path
    (filing a claim, registering a person) hands back to its caller to read."""
    obj: M = model.__mapper__.class_manager.new_instance()
    obj.__dict__.update(values)
    return obj
