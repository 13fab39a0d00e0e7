"""The audit log finds what a database user changes behind the application's back (issue 14
§6): an entry edited, deleted, reordered or the chain rebuilt; a history row's actor and
comment rewritten with the append-only trigger disabled; a payout line's account swapped for
another payee's ciphertext, or its amount changed. ``fuzhi audit verify`` names the first
broken entry, its position and the kind of change, and exits non-zero; a clean log passes."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from cli import main
from store import audit
from store.audit import chain
from store.audit.models import GENESIS
from store.payouts import batch_pool

from .builders import claim_in
from .builders_payouts import give_broker_an_account
from .test_payouts import transport_claim

pytestmark = pytest.mark.usefixtures("on_28_november_2026")

TRIGGERS = {
    "claim_history": ("claim_history_no_update", "claim_history_no_delete"),
    "audit_entry": ("audit_entry_no_update", "audit_entry_no_delete"),
}


def as_db_user(db, table, *statements, params=None):
    """Run ``statements`` on ``table`` as a database user could: its triggers disabled first
    (dropped on SQLite), nothing of the application's hooks in the way (a raw connection)."""
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        if db.dialect == "postgresql":
            cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            for name in TRIGGERS.get(table, ()):
                cur.execute(f"DROP TRIGGER IF EXISTS {name}")
        for sql in statements:
            cur.execute(sql, params or ())
        if db.dialect == "postgresql":
            cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        raw.commit()
    finally:
        raw.close()


def q(db, sql, **params):
    with db.engine.connect() as conn:
        return conn.execute(text(sql), params).all()


@pytest.fixture
def paid(db, c):
    """Claims through the whole workflow and a payout batch of lines paid to two payees."""
    give_broker_an_account(db, c)
    ids = [claim_in(db, c, "hr_reviewed").id, transport_claim(db, c)]
    batch = batch_pool.create_batch(db, c.finance, ids)
    return batch


def first(db, exported=None):
    report = audit.verify(db, exported)
    assert not report.ok
    return report.first


def entry_of(db, table, row_id):
    ((seq,),) = q(db, "SELECT seq FROM audit_entry WHERE row_table = :t AND row_id = :i", t=table, i=row_id)
    return seq


def test_a_clean_log_verifies_and_the_command_says_so(db, db_url, paid, monkeypatch, capsys):
    report = audit.verify(db)
    assert report.ok, report.breaks
    history = (
        q(db, "SELECT count(*) FROM claim_history")[0][0] + q(db, "SELECT count(*) FROM payout_history")[0][0]
    )
    lines = q(db, "SELECT count(*) FROM payout_line")[0][0]
    assert report.rows == history + lines == 9 and report.entries >= report.rows
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("FUZHI_SECRET_KEY", "cli-test-secret-0123456789")
    assert main(["audit", "verify"]) == 0
    assert "校验通过" in capsys.readouterr().out
    assert main(["audit", "head"]) == 0
    seq, digest = audit.parse_head(capsys.readouterr().out)
    assert (seq, digest) == report.head and digest != GENESIS


def test_an_edited_entry_is_named_with_its_position(db, db_url, paid, monkeypatch, capsys):
    as_db_user(db, "audit_entry", "UPDATE audit_entry SET username = 'someone' WHERE seq = 3")
    assert (first(db).position, first(db).kind) == (3, "edit")
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("FUZHI_SECRET_KEY", "cli-test-secret-0123456789")
    assert main(["audit", "verify"]) == 1
    assert "第一处断裂在条目 3，类型 edit" in capsys.readouterr().out


def test_a_deleted_entry_is_named(db, paid):
    as_db_user(db, "audit_entry", "DELETE FROM audit_entry WHERE seq = 4")
    assert (first(db).position, first(db).kind) == (4, "delete")


def test_the_last_entries_cut_off_are_found_by_the_head(db, paid):
    last = audit.current_head(db)[0]
    as_db_user(db, "audit_entry", f"DELETE FROM audit_entry WHERE seq >= {last - 1}")
    assert (first(db).position, first(db).kind) == (last - 1, "delete")


def test_two_entries_swapped_are_a_reorder(db, paid):
    as_db_user(
        db,
        "audit_entry",
        "UPDATE audit_entry SET seq = -5 WHERE seq = 5",
        "UPDATE audit_entry SET seq = 5 WHERE seq = 6",
        "UPDATE audit_entry SET seq = 6 WHERE seq = -5",
    )
    assert (first(db).position, first(db).kind) == (5, "reorder")


def test_a_chain_rebuilt_consistently_is_found_by_an_exported_head(db, paid):
    exported = audit.current_head(db)
    with db.engine.connect() as conn:  # typed as the application reads them
        rows = conn.execute(select(chain.ENTRY).order_by(chain.ENTRY.c.seq)).all()
    # The database user edits entry 2 and recomputes every hash after it, and the head.
    prev, rebuilt = GENESIS, []
    for row in rows:
        values = dict(row._mapping)
        if values["seq"] == 2:
            values["username"] = "someone"
        values["prev_hash"] = prev
        values["hash"] = prev = chain.entry_hash(values, prev)
        rebuilt.append((values["prev_hash"], values["hash"], values["username"], values["seq"]))
    statements = [
        f"UPDATE audit_entry SET prev_hash = '{p}', hash = '{h}', username = "
        + ("NULL" if u is None else f"'{u}'")
        + f" WHERE seq = {s}"
        for p, h, u, s in rebuilt
    ]
    as_db_user(db, "audit_entry", *statements, f"UPDATE audit_head SET hash = '{prev}' WHERE id = 1")
    assert audit.verify(db).ok  # consistent in itself: only the exported head tells
    found = first(db, exported)
    assert (found.position, found.kind) == (exported[0], "rebuild")


def test_an_approvals_actor_and_comment_rewritten_are_found(db, c, paid):
    ((row_id,),) = q(db, "SELECT id FROM claim_history WHERE trigger = 'approve' ORDER BY id LIMIT 1")
    as_db_user(
        db,
        "claim_history",
        f"UPDATE claim_history SET actor_id = {c.hr_finance.user_id if hasattr(c, 'hr_finance') else 999}, "
        f"actor_name = '他人', comment = '同意（改）' WHERE id = {row_id}",
    )
    found = first(db)
    assert (found.position, found.kind) == (entry_of(db, "claim_history", row_id), "edit")
    assert f"claim_history #{row_id}" in found.what


def test_a_deleted_history_row_is_found(db, paid):
    ((row_id,),) = q(db, "SELECT max(id) FROM claim_history")
    as_db_user(db, "claim_history", f"DELETE FROM claim_history WHERE id = {row_id}")
    assert (first(db).position, first(db).kind) == (entry_of(db, "claim_history", row_id), "delete")


def test_a_payout_lines_account_swapped_for_another_payees_is_found(db, paid):
    (one, other) = q(db, "SELECT id, account_enc FROM payout_line ORDER BY id")
    assert one.account_enc != other.account_enc
    as_db_user(
        db, "payout_line", f"UPDATE payout_line SET account_enc = '{other.account_enc}' WHERE id = {one.id}"
    )
    found = first(db)
    assert (found.position, found.kind) == (entry_of(db, "payout_line", one.id), "account_swap")


def test_a_payout_lines_amount_changed_is_found(db, paid):
    ((line_id,),) = q(db, "SELECT max(id) FROM payout_line")
    as_db_user(db, "payout_line", f"UPDATE payout_line SET amount = amount * 10 WHERE id = {line_id}")
    found = first(db)
    assert (found.position, found.kind) == (entry_of(db, "payout_line", line_id), "amount_change")


def test_a_history_row_written_past_the_application_is_found(db, c, paid):
    """A row inserted by hand is queued by the trigger but never sealed on PostgreSQL (another
    transaction's queue); on SQLite with its queue trigger dropped too, it is simply unsealed."""
    ((claim_id,),) = q(db, "SELECT min(claim_id) FROM claim_history")
    drop = [] if db.dialect == "postgresql" else ["DROP TRIGGER IF EXISTS claim_history_audit_queue"]
    as_db_user(
        db,
        "claim_history",
        *drop,
        "INSERT INTO claim_history "
        "(claim_id, trigger, from_state, to_state, actor_id, actor_name, role, at) "
        f"VALUES ({claim_id}, 'approve', 'village_verified', 'hr_reviewed', 1, 'x', 'hr', "
        "'2026-11-28 10:00:00')",
    )
    assert first(db).kind == "insert"
