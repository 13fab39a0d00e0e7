"""A contract's termination date (有序退岗): the last day on the post, so that no month after it
is paid and the month it falls in pays days up to it.

Contracts already terminated take the day the termination was recorded (their history), kept
within their term: that is when their subsidy stopped before this column existed.

Revision ID: 5d2a9c41e7b3
Revises: 67752eceb833
Create Date: 2026-12-01 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '5d2a9c41e7b3'
down_revision: str | None = '5e0c7a91b2d4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.add_column(sa.Column('terminated_on', sa.Date(), nullable=True))
    contract = sa.table('contract', sa.column('id', sa.Integer()), sa.column('state', sa.String()),
                        sa.column('start_date', sa.Date()), sa.column('end_date', sa.Date()),
                        sa.column('terminated_on', sa.Date()))
    history = sa.table('contract_history', sa.column('contract_id', sa.Integer()),
                       sa.column('trigger', sa.String()), sa.column('at', sa.DateTime()))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(contract.c.id, contract.c.start_date, contract.c.end_date,
                  sa.func.max(history.c.at, type_=sa.DateTime()))
        .join(history, history.c.contract_id == contract.c.id)
        .where(contract.c.state == 'terminated', history.c.trigger == 'terminate')
        .group_by(contract.c.id, contract.c.start_date, contract.c.end_date)).all()
    for cid, start, end, at in rows:
        day = min(max(at.date(), start), end)
        conn.execute(contract.update().where(contract.c.id == cid).values(terminated_on=day))


def downgrade() -> None:
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_column('terminated_on')
