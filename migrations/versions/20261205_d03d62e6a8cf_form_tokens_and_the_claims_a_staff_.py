"""Staff forms' one-time tokens (a form sent twice is answered with its first outcome), and the
index of the claims a staff member acted on ("我办理的": claim_history by actor, claim, id).

Revision ID: d03d62e6a8cf
Revises: 4b7e2c9d1a05
Create Date: 2026-12-02 06:09:36.657660
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'd03d62e6a8cf'
down_revision: str | None = '4b7e2c9d1a05'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'form_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('location', sa.String(length=500), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('content_type', sa.String(length=60), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_form_token_user_id_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_form_token')),
        sa.UniqueConstraint('user_id', 'token', name='uq_form_token_user_token'),
    )
    # Not in batch mode: the history table keeps its append-only triggers (no table rebuild).
    op.create_index('ix_claim_history_actor_claim', 'claim_history', ['actor_id', 'claim_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_claim_history_actor_claim', table_name='claim_history')
    op.drop_table('form_token')
