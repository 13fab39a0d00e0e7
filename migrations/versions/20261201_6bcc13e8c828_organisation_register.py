"""The register of organisations: recognition document and date, contact, and an append-only
record of every change.

Revision ID: 6bcc13e8c828
Revises: 67752eceb833
Create Date: 2026-12-01 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '6bcc13e8c828'
down_revision: str | None = '67752eceb833'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = 'organisation_history'


def upgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recognition_doc_no', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('recognised_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('contact_name', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=20), nullable=True))
    op.create_table(TABLE,
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('actor_name', sa.String(length=50), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                            name=op.f('fk_organisation_history_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_history'))
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_history_organisation_id'),
                              ['organisation_id'], unique=False)
    # The record of changes is append-only, like the claims' and contracts' histories
    # (the PostgreSQL function was created by the core schema's migration).
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
        batch_op.drop_index(batch_op.f('ix_organisation_history_organisation_id'))
    op.drop_table(TABLE)
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('contact_phone')
        batch_op.drop_column('contact_name')
        batch_op.drop_column('recognised_on')
        batch_op.drop_column('recognition_doc_no')
