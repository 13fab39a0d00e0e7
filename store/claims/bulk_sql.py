"""Bulk SQL for a list: ids reserved for many rows in one query, the rows inserted at once
(COPY on PostgreSQL), look-ups by a few thousand values per ``IN (...)``, and telling a lost
race from any other failure."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import JSON, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

CHUNK = 10_000  # bound parameters per IN (...) look-up


def reserve_ids(session: Session, table: Any, n: int) -> list[int]:
    """n ids for rows about to be inserted into ``table``, in one query: from the table's
    sequence on PostgreSQL; on SQLite the next ones after the largest, which no one else can
    take meanwhile (the upload holds the database's write lock from its first write on)."""
    if n == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return list(
            session.scalars(
                text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                {"t": table.name, "n": n},
            ).all()
        )
    last = session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
    return list(range(last + 1, last + 1 + n))


def insert_many(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows (with their ids, ``reserve_ids``) in bulk, on the driver itself: SQLite,
    one ``executemany`` of the values as SQLAlchemy's own column types convert them (through
    SQLAlchemy, turning each row's dict into parameters cost ten times the insert);
    PostgreSQL, ``COPY``, several times faster than a multi-row INSERT of the same rows
    (psycopg re-parses each long statement). A column a row leaves out gets its scalar
    default, as SQLAlchemy's insert would give it."""
    if not rows:
        return
    columns = [c for c in table.c if c.name in rows[0] or _scalar_default(c) is not None]
    defaults = [_scalar_default(c) for c in columns]
    names = ", ".join(f'"{c.name}"' for c in columns)
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        by_column = []
        for c, d in zip(columns, defaults, strict=True):
            convert = c.type.dialect_impl(dialect).bind_processor(dialect)
            values = [row.get(c.name, d) for row in rows]
            if convert is not None:
                first = values[0]  # one time for every row (created, due): converted once
                same = all(v is first for v in values)
                values = [convert(first)] * len(values) if same else list(map(convert, values))
            by_column.append(values)
        marks = ", ".join("?" * len(columns))
        session.connection().exec_driver_sql(
            f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', list(zip(*by_column, strict=True))
        )
        return
    json_columns = {c.name for c in columns if isinstance(c.type, JSON)}
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(
                [
                    json.dumps(row[c.name]) if c.name in json_columns else row.get(c.name, d)
                    for c, d in zip(columns, defaults, strict=True)
                ]
            )


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
