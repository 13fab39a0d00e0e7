"""Labour force: a person's override flag (counted outside the working-age range) and the plan's
baseline per year, seeded with the 2026 plan's figures (12,344 low-income people, 4,006 labour
force). 无劳动力 ('none') needs no schema change: labour_capacity is a 10-character code.

Revision ID: 099ac5c7fd4b
Revises: 67752eceb833
Create Date: 2026-12-01 10:00:00
"""
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op


revision: str = '099ac5c7fd4b'
down_revision: str | None = 'bb1dd244bd66'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('labour_force_override', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
    baseline = op.create_table('plan_baseline',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('low_income_people', sa.Integer(), nullable=False),
    sa.Column('labour_force', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('labour_force >= 0 AND labour_force <= low_income_people',
                       name=op.f('ck_plan_baseline_labour_within_people')),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_plan_baseline'))
    )
    # The plan (秋季行动方案): 全县集中排查出来的低收入人口12344人，其中劳动力人口4006人.
    op.bulk_insert(baseline, [{'year': 2026, 'low_income_people': 12344, 'labour_force': 4006,
                               'updated_by': 0, 'updated_at': datetime(2026, 12, 1)}])


def downgrade() -> None:
    op.drop_table('plan_baseline')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('labour_force_override')
