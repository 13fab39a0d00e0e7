"""Bulk SQL for a list: many rows inserted at once (COPY on PostgreSQL), look-ups by a few
thousand values per ``IN (...)``, and telling a lost race from any other failure."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import JSON, insert, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

CHUNK = 10_000  # bound parameters per IN (...) look-up


def insert_many(
    session: Session, table: Any, rows: list[dict[str, Any]], *, returning: bool = True
) -> list[int]:
    """Insert rows in bulk and return their ids in order.

    SQLite: one multi-row INSERT ... RETURNING per thousand rows. PostgreSQL: ids taken from
    the table's sequence in one query, then COPY, which is several times faster than a
    multi-row INSERT of the same rows (psycopg re-parses each long statement).
    """
    if not rows:
        return []
    if session.get_bind().dialect.name != "postgresql":
        if not returning:
            session.execute(insert(table), rows)
            return []
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(session.scalars(stmt, rows).all())
    ids: list[int] = []
    if returning:
        ids = list(
            session.scalars(
                text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                {"t": table.name, "n": len(rows)},
            ).all()
        )
        rows = [{**row, "id": i} for row, i in zip(rows, ids, strict=True)]
    columns = [c for c in table.c if c.name in rows[0] or _scalar_default(c) is not None]
    defaults = {c.name: _scalar_default(c) for c in columns}
    json_columns = {c.name for c in columns if isinstance(c.type, JSON)}
    names = ", ".join(f'"{c.name}"' for c in columns)
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(
                [
                    json.dumps(row[c.name]) if c.name in json_columns else row.get(c.name, defaults[c.name])
                    for c in columns
                ]
            )
    return ids


def lost_race(exc: BaseException) -> bool:
    """A unique constraint met, or (PostgreSQL) a deadlock with another upload inserting the
    same keys in another order: from SQLAlchemy, or from psycopg itself under COPY."""
    if isinstance(exc, IntegrityError):
        return True
    orig = getattr(exc, "orig", None) or exc
    return getattr(orig, "sqlstate", None) in ("23505", "40P01")


def _scalar_default(column: Any) -> Any:
    default = column.default
    return default.arg if default is not None and default.is_scalar else None


def chunked(session: Session, query: Any, column: Any, values: Iterable[Any]) -> list[Any]:
    """``query`` filtered by ``column IN values``, a few thousand values per statement."""
    items = sorted(values)
    found: list[Any] = []
    for start in range(0, len(items), CHUNK):
        found += session.execute(query.where(column.in_(items[start : start + CHUNK]))).all()
    return found
