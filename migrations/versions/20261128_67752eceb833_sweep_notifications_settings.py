"""The time-driven side: admin settings, notifications, the sweep's once-only marks and its
run log; a user's e-mail, a contract's monthly-subsidy mark, a background roster's state.

Revision ID: 67752eceb833
Revises: ef7e11f3a447
Create Date: 2026-11-28 12:19:53.632790
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '67752eceb833'
down_revision: str | None = 'ef7e11f3a447'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('setting',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_setting'))
    )
    op.create_table('sweep_event',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('subject_type', sa.String(length=20), nullable=True),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sweep_event'))
    )
    with op.batch_alter_table('sweep_event', schema=None) as batch_op:
        batch_op.create_index('ix_sweep_event_subject', ['subject_type', 'subject_id'], unique=False)

    op.create_table('sweep_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('runner', sa.String(length=60), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sweep_run'))
    )
    op.create_table('sweep_tally',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sweep_tally'))
    )
    with op.batch_alter_table('sweep_tally', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sweep_tally_task'), ['task'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=200), nullable=False),
    sa.Column('subject_type', sa.String(length=20), nullable=True),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('email_state', sa.String(length=10), nullable=True),
    sa.Column('emailed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_notification_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_email', ['email_state', 'id'], unique=False)
        batch_op.create_index('ix_notification_subject', ['subject_type', 'subject_id'], unique=False)
        batch_op.create_index('ix_notification_user_read', ['user_id', 'read_at', 'id'], unique=False)

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=120), nullable=True))

    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subsidy_through', sa.Date(), nullable=True))

    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stored', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('error', sa.String(length=200), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_column('error')
        batch_op.drop_column('stored')

    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_column('subsidy_through')

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('email')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user_read')
        batch_op.drop_index('ix_notification_subject')
        batch_op.drop_index('ix_notification_email')

    op.drop_table('notification')
    with op.batch_alter_table('sweep_tally', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sweep_tally_task'))

    op.drop_table('sweep_tally')
    op.drop_table('sweep_run')
    with op.batch_alter_table('sweep_event', schema=None) as batch_op:
        batch_op.drop_index('ix_sweep_event_subject')

    op.drop_table('sweep_event')
    op.drop_table('setting')
