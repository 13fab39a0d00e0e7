"""The declarative base every area's models build on: one metadata, one naming convention.

The tables of all areas are gathered only by ``all_models`` (for Alembic and ``fuzhi db
check``); an area's models import this module and the models they point at, nothing more.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

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


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, Decimal: Money}

    if TYPE_CHECKING:
        # SQLAlchemy types it as any FromClause (a class may be mapped to a join or a select);
        # every model here is mapped to its own table, so Core statements can use it as one.
        __table__: ClassVar[Table]
