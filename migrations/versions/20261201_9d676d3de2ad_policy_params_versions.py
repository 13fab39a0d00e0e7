"""Policy parameter sets as versions: each edit of a year makes a new set, claims point at the
one they were computed with, and every change is logged. Each existing year becomes its
version 1, and existing claims point at it.

Revision ID: 9d676d3de2ad
Revises: 67752eceb833
Create Date: 2026-12-01 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '9d676d3de2ad'
down_revision: str | None = '6bcc13e8c828'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('policy_params_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('confirmed', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['year'], ['policy_year.year'], name=op.f('fk_policy_params_version_year_policy_year'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_params_version'))
    )
    with op.batch_alter_table('policy_params_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_params_version_year'), ['year'], unique=False)

    op.create_table('policy_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=True),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('actor_name', sa.String(length=50), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['policy_params_version.id'], name=op.f('fk_policy_change_version_id_policy_params_version'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['year'], ['policy_year.year'], name=op.f('fk_policy_change_year_policy_year'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_change'))
    )
    with op.batch_alter_table('policy_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_change_year'), ['year'], unique=False)

    with op.batch_alter_table('policy_year', schema=None) as batch_op:
        batch_op.add_column(sa.Column('current_version_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_policy_year_current_version_id_policy_params_version'), 'policy_params_version', ['current_version_id'], ['id'])

    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.add_column(sa.Column('params_version_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_claim_params_version_id'), ['params_version_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_claim_params_version_id_policy_params_version'), 'policy_params_version', ['params_version_id'], ['id'])

    # Each year as it stands becomes its version 1; its claims were computed with it.
    # PostgreSQL reads an untyped literal in INSERT ... SELECT as text; SQLite has no JSON type.
    empty = "CAST('[]' AS JSON)" if op.get_bind().dialect.name == "postgresql" else "'[]'"
    op.execute("INSERT INTO policy_params_version (year, params, confirmed, created_at, created_by) "
               f"SELECT year, params, {empty}, created_at, 0 FROM policy_year")
    op.execute("UPDATE policy_year SET current_version_id = (SELECT v.id FROM policy_params_version v "
               "WHERE v.year = policy_year.year)")
    op.execute("UPDATE claim SET params_version_id = (SELECT y.current_version_id FROM policy_year y "
               "WHERE y.year = claim.policy_year)")


def downgrade() -> None:
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_claim_params_version_id_policy_params_version'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_claim_params_version_id'))
        batch_op.drop_column('params_version_id')

    with op.batch_alter_table('policy_year', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_policy_year_current_version_id_policy_params_version'), type_='foreignkey')
        batch_op.drop_column('current_version_id')

    with op.batch_alter_table('policy_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_change_year'))

    op.drop_table('policy_change')
    with op.batch_alter_table('policy_params_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_params_version_year'))

    op.drop_table('policy_params_version')
