"""The audit log: hash-chained entries, the one-row chain head, and the queue of protected
rows (history rows and payout lines) a trigger fills for the transaction that wrote them.

Revision ID: a0d17c4a1b60
Revises: b7c2e0f4d913
Create Date: 2026-12-02 09:55:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'a0d17c4a1b60'
down_revision: str | None = 'b7c2e0f4d913'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROTECTED = ('claim_history', 'contract_history', 'payout_history', 'payout_line')


def upgrade() -> None:
    op.create_table(
        'audit_entry',
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('username', sa.String(length=50), nullable=True),
        sa.Column('role', sa.String(length=60), nullable=True),
        sa.Column('client', sa.String(length=64), nullable=True),
        sa.Column('action', sa.String(length=60), nullable=False),
        sa.Column('target_kind', sa.String(length=30), nullable=True),
        sa.Column('target_id', sa.String(length=40), nullable=True),
        sa.Column('outcome', sa.String(length=10), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('row_table', sa.String(length=30), nullable=True),
        sa.Column('row_id', sa.Integer(), nullable=True),
        sa.Column('row_digest', sa.String(length=64), nullable=True),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_entry')),
    )
    op.create_index('ix_audit_entry_at', 'audit_entry', ['at'])
    op.create_index('ix_audit_entry_user_id', 'audit_entry', ['user_id', 'seq'])
    op.create_index('ix_audit_entry_action', 'audit_entry', ['action', 'seq'])
    op.create_index('ix_audit_entry_target', 'audit_entry', ['target_kind', 'target_id'])
    op.create_index('ix_audit_entry_row', 'audit_entry', ['row_table', 'row_id'])
    head = op.create_table(
        'audit_head',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('floors', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head')),
    )
    op.create_table(
        'audit_pending',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('row_table', sa.String(length=30), nullable=False),
        sa.Column('row_id', sa.Integer(), nullable=False),
        sa.Column('tx', sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_pending')),
    )
    bind = op.get_bind()
    # Rows written before the log began were never sealed: verify starts above them.
    floors = {t: bind.execute(sa.text(f"SELECT COALESCE(MAX(id), 0) FROM {t}")).scalar() for t in PROTECTED}
    op.bulk_insert(head, [{'id': 1, 'seq': 0, 'hash': '0' * 64, 'floors': floors}])
    if bind.dialect.name == 'postgresql':
        op.execute(
            "CREATE OR REPLACE FUNCTION fuzhi_audit_queue() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN INSERT INTO audit_pending (row_table, row_id, tx) "
            "VALUES (TG_TABLE_NAME, NEW.id, txid_current()); RETURN NULL; END $$"
        )
        for table in PROTECTED:
            op.execute(f"CREATE TRIGGER {table}_audit_queue AFTER INSERT ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION fuzhi_audit_queue()")
        op.execute("CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
                   "FOR EACH ROW EXECUTE FUNCTION fuzhi_history_append_only()")
    else:
        for table in PROTECTED:
            op.execute(f"CREATE TRIGGER {table}_audit_queue AFTER INSERT ON {table} BEGIN "
                       f"INSERT INTO audit_pending (row_table, row_id) VALUES ('{table}', NEW.id); END")
        for event in ('UPDATE', 'DELETE'):
            op.execute(f"CREATE TRIGGER audit_entry_no_{event.lower()} BEFORE {event} ON audit_entry "
                       "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry")
        for table in PROTECTED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_audit_queue ON {table}")
        op.execute("DROP FUNCTION IF EXISTS fuzhi_audit_queue()")
    else:
        for event in ('update', 'delete'):
            op.execute(f"DROP TRIGGER IF EXISTS audit_entry_no_{event}")
        for table in PROTECTED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_audit_queue")
    op.drop_table('audit_pending')
    op.drop_table('audit_head')
    for name in ('ix_audit_entry_row', 'ix_audit_entry_target', 'ix_audit_entry_action',
                 'ix_audit_entry_user_id', 'ix_audit_entry_at'):
        op.drop_index(name, table_name='audit_entry')
    op.drop_table('audit_entry')
