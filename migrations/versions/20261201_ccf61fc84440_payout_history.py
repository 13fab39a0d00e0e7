"""The payout batch's history: one append-only row per step (made, exported, confirmed,
closed), as claims and contracts have, now that the batch is a workflow of the tables.

Existing batches get one row: their creation (``create``, into ``open``), by whom and when
the batch itself records (created_by, created_at). Their later steps are not invented: the
batch keeps only the last export and the closing time, never who confirmed it or when, so a
history made from them would look complete without being so.

Revision ID: ccf61fc84440
Revises: 5d2a9c41e7b3
Create Date: 2026-12-01 12:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'ccf61fc84440'
down_revision: str | None = '5d2a9c41e7b3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = 'payout_history'


def upgrade() -> None:
    op.create_table(TABLE,
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('actor_name', sa.String(length=50), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['payout_batch.id'],
                            name=op.f('fk_payout_history_batch_id_payout_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_history'))
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_history_batch_id'), ['batch_id'], unique=False)
    batch = sa.table('payout_batch', sa.column('id', sa.Integer()), sa.column('created_by', sa.Integer()),
                     sa.column('created_at', sa.DateTime()))
    user = sa.table('app_user', sa.column('id', sa.Integer()), sa.column('display_name', sa.String()))
    history = sa.table(TABLE, *(sa.column(c) for c in (
        'batch_id', 'trigger', 'from_state', 'to_state', 'actor_id', 'actor_name', 'role', 'at')))
    name = sa.func.coalesce(user.c.display_name, sa.cast(batch.c.created_by, sa.String()))
    op.execute(history.insert().from_select(
        ['batch_id', 'trigger', 'from_state', 'to_state', 'actor_id', 'actor_name', 'role', 'at'],
        sa.select(batch.c.id, sa.literal('create'), sa.null(), sa.literal('open'), batch.c.created_by,
                  name, sa.literal('finance'), batch.c.created_at)
        .select_from(batch.outerjoin(user, user.c.id == batch.c.created_by))))
    # Append-only like the other histories (the PostgreSQL function is the core schema's).
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
                   "FOR EACH ROW EXECUTE FUNCTION fuzhi_history_append_only()")
    else:
        for event in ('UPDATE', 'DELETE'):
            op.execute(f"CREATE TRIGGER {TABLE}_no_{event.lower()} BEFORE {event} ON {TABLE} "
                       "BEGIN SELECT RAISE(ABORT, 'history is append-only'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}")
    else:
        for event in ('update', 'delete'):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{event}")
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_history_batch_id'))
    op.drop_table(TABLE)
