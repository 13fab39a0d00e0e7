"""The same evidence file uploaded 60 times at once: every upload is kept (2xx), the file is stored
once under its SHA-256, whole, and no temporary file is left behind. (A temporary name shared by
every writer of the same content made 2 of 60 uploads fail with a 500: one writer renamed the
other's half-written or already-moved ``.part`` file.)"""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from store.claims.evidence import add_evidence, path_for, store_bytes
from store.models import Evidence

from .api_support import api_client
from .builders import county, export_claim, person

AT_ONCE = 60
# A PDF of 6 MB: writing it takes long enough for the writers to overlap.
PDF = b"%PDF-1.4\n" + hashlib.sha256(b"fuzhi").digest() * 200000 + b"\n%%EOF\n"


def stored_once_and_whole(files, digest: str) -> None:
    path = path_for(files, digest)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert [p.name for p in path.parent.iterdir()] == [digest]  # no temporary file left


def test_sixty_writers_of_one_file_at_once(tmp_path):
    """Where the race was: storing the bytes, outside any transaction (on PostgreSQL the uploads'
    transactions overlap; SQLite's one writer at a time hid it)."""
    barrier = threading.Barrier(AT_ONCE)

    def write(_: int) -> str:
        barrier.wait()
        return store_bytes(tmp_path, PDF).sha256

    with ThreadPoolExecutor(AT_ONCE) as pool:
        digests = set(pool.map(write, range(AT_ONCE)))
    assert digests == {hashlib.sha256(PDF).hexdigest()}
    stored_once_and_whole(tmp_path, digests.pop())


def test_sixty_identical_uploads_at_once_in_the_store(db, tmp_path):
    c = county(db)
    claim = export_claim(db, c, person(db, c.village)).id
    barrier = threading.Barrier(AT_ONCE)

    def upload(n: int) -> int:
        barrier.wait()
        return add_evidence(db, tmp_path, c.agent, claim, f"证明{n}.pdf", PDF).id

    with ThreadPoolExecutor(AT_ONCE) as pool:
        ids = list(pool.map(upload, range(AT_ONCE)))
    assert len(set(ids)) == AT_ONCE
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Evidence).where(Evidence.claim_id == claim)) == 60
    stored_once_and_whole(tmp_path, hashlib.sha256(PDF).hexdigest())


def test_sixty_identical_uploads_at_once_through_the_api(db, tmp_path):
    files = tmp_path / "files"
    with api_client(db, files) as api:
        claim = export_claim(db, api.county, person(db, api.county.village)).id
        barrier = threading.Barrier(AT_ONCE)

        def upload(n: int) -> int:
            barrier.wait()
            r = api.post(
                f"/api/v1/claims/{claim}/evidence",
                files={"file": (f"证明{n}.pdf", PDF, "application/pdf")},
                data={"kind": "income_proof"},
            )
            return r.status_code

        with ThreadPoolExecutor(AT_ONCE) as pool:
            statuses = list(pool.map(upload, range(AT_ONCE)))
        assert statuses == [201] * AT_ONCE, statuses
        listed = api.get(f"/api/v1/claims/{claim}/evidence").json()
        assert len(listed) == AT_ONCE
    stored_once_and_whole(files, hashlib.sha256(PDF).hexdigest())
