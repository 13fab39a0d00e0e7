"""Masking that cannot be undone (issue 14 §4): no masked ID number is shown beside the birth
date to those without need (API answers, pages, the 审批表), and the database's columns alone,
without the key, complete no ID number (``workflow.identity``)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from stdnum.cn import ric

from store.documents.issuing import issue
from store.models import Village

from .api_support import api_client
from .builders import add_admin, county, export_claim, id_number
from .builders import person as make_person
from .builders_reach import VILLAGE, claim_body
from .conftest import is_postgres
from .page_support import sign_in
from .test_documents import flat, pdf_text

BIRTH = date(1987, 6, 23)


def birth_texts(born: date = BIRTH) -> list[str]:
    """The ways a page, an answer or a PDF could write the birth date."""
    y, m, d = born.year, born.month, born.day
    return [
        born.isoformat(),
        f"{y}年{m}月{d}日",
        f"{y}年{m:02d}月{d:02d}日",
        f"{y}/{m}/{d}",
        f"{y}/{m:02d}/{d:02d}",
        f"{y}{m:02d}{d:02d}",
    ]


def shows_birth_date(page: str, born: date = BIRTH) -> bool:
    return any(t in page for t in birth_texts(born))


@pytest.fixture
def api(db, tmp_path):
    with api_client(db, tmp_path) as a:
        yield a


def test_an_agent_reads_the_age_never_the_birth_date(api) -> None:
    number = id_number(birth="19870623")
    body = {
        "name": "达娃",
        "id_number": number,
        "village_code": VILLAGE,
        "target_groups": ["poverty_alleviated"],
    }
    made = api.post("/api/v1/persons", json=body)
    assert made.status_code == 201, made.text
    person_id = made.json()["id"]
    answers = [
        made,
        api.get(f"/api/v1/persons/{person_id}"),
        api.post("/api/v1/persons/lookup", json={"id_number": number}),
        api.post("/api/v1/claims", json=claim_body(id_number=number)),
    ]
    filed = answers[-1]
    assert filed.status_code == 201, filed.text
    answers.append(api.get(f"/api/v1/claims/{filed.json()['id']}"))
    for r in answers:
        assert r.status_code in (200, 201), r.text
        assert number[:4] + "*" * 10 + number[-4:] in r.text  # the masked number is there…
        assert not shows_birth_date(r.text), r.text  # …and the birth date is not
        assert number not in r.text
    assert answers[1].json()["age"] == 39 and "birth_date" not in answers[1].json()


def test_the_approval_form_shows_the_age_not_the_birth_date(db, tmp_path) -> None:
    c = county(db)
    pid = make_person(db, c.village)
    with db.transaction() as s:
        s.execute(text("UPDATE person SET birth_date = :b WHERE id = :p"), {"b": BIRTH, "p": pid})
    claim = export_claim(db, c, pid)
    for actor in (c.hr, c.agent):
        shown = flat(pdf_text(issue(db, actor, "approval_form", claim.id).pdf, tmp_path))
        assert "年龄" in shown and "周岁" in shown
        assert "出生日期" not in shown and not shows_birth_date(shown)


@pytest.mark.parametrize(
    ("username", "sees"), [("village1", True), ("hr1", True), ("finance1", False), ("admin1", False)]
)
def test_the_birth_date_beside_a_masked_number_only_for_those_who_check_identity(db, username, sees) -> None:
    c = county(db)
    add_admin(db)
    pid = make_person(db, c.village)
    with db.transaction() as s:
        s.execute(text("UPDATE person SET birth_date = :b WHERE id = :p"), {"b": BIRTH, "p": pid})
    page = sign_in(db, username).get(f"/persons/{pid}").text
    assert re.search(r"\*{14}[0-9X]{4}", page)  # the masked number
    assert shows_birth_date(page) is sees
    assert "周岁" in page  # the age, for everyone


def test_the_database_columns_alone_complete_no_id_number(db, db_url) -> None:
    c = county(db)
    for _ in range(30):
        make_person(db, c.village)
    with db.transaction() as s:
        numbers = {
            pid: db.vault.decrypt(enc) for pid, enc in s.execute(text("SELECT id, id_number_enc FROM person"))
        }
        rows = [dict(r._mapping) for r in s.execute(text("SELECT * FROM person"))]
        villages = {v.id: v.code for v in s.query(Village)}
    assert len(numbers) == 30
    plain = {k for k in rows[0] if not k.endswith(("_enc", "_hash"))}  # the columns anyone reads
    completed = 0
    for row in rows:
        number = numbers[row["id"]]
        values = [str(v) for k, v in row.items() if k in plain and v is not None]
        assert all(number not in v and number[:17] not in v for v in map(str, row.values()))
        # Every four-character tail any column offers, on the area and birth date the row gives.
        area = villages[row["village_id"]][:6]
        born = str(row["birth_date"]).replace("-", "")[:8]
        tails = {m for v in values for m in re.findall(r"(?=([0-9]{3}[0-9X]))", v)}
        guesses = {area + born + t for t in tails if ric.is_valid(area + born + t)}
        completed += number in guesses
        assert number[-4:] not in values
    assert completed == 0


@pytest.mark.skipif(is_postgres(), reason="the bytes of a SQLite file")
def test_no_id_number_in_plain_text_in_the_database_file(db, db_url) -> None:
    c = county(db)
    for _ in range(10):
        make_person(db, c.village)
    with db.transaction() as s:
        numbers = [db.vault.decrypt(e) for (e,) in s.execute(text("SELECT id_number_enc FROM person"))]
    path = Path(db_url.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    for number in numbers:
        assert number.encode() not in raw and number[:17].encode() not in raw


@pytest.mark.skipif(is_postgres(), reason="a SQLite file of its own, from an older revision")
def test_an_older_database_loses_its_plain_tails_and_the_first_start_hashes_them(tmp_path) -> None:
    from alembic import command
    from sqlalchemy import create_engine, inspect, select

    from cli import alembic_config
    from store.db import Database
    from store.keys import ensure_keys
    from store.keys.models import KeyCheck
    from store.models import Person
    from store.people.tails import tail_hashes, tail_matches
    from workflow.pii import Vault

    from .conftest import TEST_SECRET

    url = f"sqlite:///{tmp_path / 'old.db'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "7a3f9c1e5b20")
    vault = Vault(TEST_SECRET)
    number = id_number(birth="19870623")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO township (id, code, name, county_code) "
                "VALUES (1, '533422101', '升平镇', '533422')"
            )
        )
        conn.execute(
            text("INSERT INTO village (id, township_id, code, name) VALUES (1, 1, '533422101001', '阿东村')")
        )
        conn.execute(
            text(
                "INSERT INTO person (id, name, id_number_enc, id_number_hash, id_last4, birth_date, sex, "
                "village_id, target_groups, labour_capacity, created_at) VALUES (1, '卓玛', :enc, :hash, "
                ":last4, '1987-06-23', '女', 1, 'relocated', 'full', '2026-01-01 00:00:00')"
            ),
            {"enc": vault.encrypt(number), "hash": vault.digest(number), "last4": number[-4:]},
        )
    command.upgrade(cfg, "head")
    assert "id_last4" not in {c["name"] for c in inspect(engine).get_columns("person")}
    engine.dispose()
    db = Database.connect(url, TEST_SECRET)
    ensure_keys(db)  # the first start: the check value, and the tails' keyed hashes
    with db.transaction() as s:
        assert s.get(KeyCheck, 1) is not None
        assert s.scalar(select(Person.id_tail_hash)) == vault.tail_digest(number[-4:])
        assert list(s.scalars(select(Person.id).where(tail_matches(tail_hashes(db.vault, number[-2:]))))) == [
            1
        ]
    db.engine.dispose()
