"""What pages and the API get by dependency injection: the database and the files root."""

from __future__ import annotations

from pathlib import Path

from litestar.datastructures import State
from litestar.di import Provide

from store.db import Database


def provide_db(state: State) -> Database:
    db: Database = state.db
    return db


def provide_files(state: State) -> Path:
    files: Path = state.files
    return files


# The same two for every router: handlers ask for ``db`` and ``files`` by name.
STORES = {
    "db": Provide(provide_db, sync_to_thread=False),
    "files": Provide(provide_files, sync_to_thread=False),
}
