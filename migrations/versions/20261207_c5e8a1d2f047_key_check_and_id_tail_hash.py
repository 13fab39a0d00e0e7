"""Keys that cannot be lost silently, masking that cannot be undone: the key check value kept
with the data (and a rotation's progress), and the plain last four digits of every ID number
replaced by a keyed hash of them.

The hashes need the master key, which a migration never sees: ``store.keys.check`` fills
``id_tail_hash`` (and writes the check value) on the first start after this migration, before
the server answers anything. The plain ``id_last4`` column is dropped here; the digits are
still in ``id_number_enc``.

Revision ID: c5e8a1d2f047
Revises: a0d17c4a1b60
Create Date: 2026-12-02 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'c5e8a1d2f047'
down_revision: str | None = 'a0d17c4a1b60'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'key_check',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key_id', sa.String(length=16), nullable=False),
        sa.Column('check_mac', sa.String(length=64), nullable=False),
        sa.Column('check_token', sa.Text(), nullable=False),
        sa.Column('next_key_id', sa.String(length=16), nullable=True),
        sa.Column('next_check_mac', sa.String(length=64), nullable=True),
        sa.Column('next_check_token', sa.Text(), nullable=True),
        sa.Column('cursor', sa.String(length=80), nullable=True),
        sa.Column('written_at', sa.DateTime(), nullable=False),
        sa.Column('rotated_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_key_check')),
    )
    with op.batch_alter_table('person') as batch:
        batch.add_column(sa.Column('id_tail_hash', sa.String(length=64), nullable=True))
        batch.create_index(batch.f('ix_person_id_tail_hash'), ['id_tail_hash'], unique=False)
        batch.drop_index(batch.f('ix_person_id_last4'))
        batch.drop_column('id_last4')


def downgrade() -> None:
    # The plain digits cannot be written back without the key: the column returns empty.
    with op.batch_alter_table('person') as batch:
        batch.add_column(sa.Column('id_last4', sa.String(length=4), nullable=False, server_default=''))
        batch.create_index(batch.f('ix_person_id_last4'), ['id_last4'], unique=False)
        batch.drop_index(batch.f('ix_person_id_tail_hash'))
        batch.drop_column('id_tail_hash')
    op.drop_table('key_check')
