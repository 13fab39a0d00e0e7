"""Sign-in throttling and look-up limits in a shared table, and the staff's second factor (TOTP)
with the sign-in challenge a password opens.

Revision ID: b7c2e0f4d913
Revises: e2b7d4c91f35
Create Date: 2026-12-02 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'b7c2e0f4d913'
down_revision: str | None = 'e2b7d4c91f35'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'throttle_bucket',
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.Column('window_start', sa.DateTime(), nullable=False),
        sa.Column('blocked_until', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_throttle_bucket')),
    )
    op.create_table(
        'user_totp',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('secret_enc', sa.Text(), nullable=True),
        sa.Column('pending_enc', sa.Text(), nullable=True),
        sa.Column('last_step', sa.BigInteger(), nullable=True),
        sa.Column('confirmed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_user_totp_user_id_app_user')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_user_totp')),
    )
    op.create_table(
        'sign_in_challenge',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ['user_id'], ['app_user.id'], name=op.f('fk_sign_in_challenge_user_id_app_user')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_challenge')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_sign_in_challenge_token_hash')),
    )
    op.create_index(
        op.f('ix_sign_in_challenge_user_id'), 'sign_in_challenge', ['user_id'], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_sign_in_challenge_user_id'), table_name='sign_in_challenge')
    op.drop_table('sign_in_challenge')
    op.drop_table('user_totp')
    op.drop_table('throttle_bucket')
