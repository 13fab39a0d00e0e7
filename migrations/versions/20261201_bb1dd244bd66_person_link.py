"""Person links: an organisation that registered an already registered person (same name and
resident ID) may name that person by id in its claims.

Revision ID: bb1dd244bd66
Revises: 67752eceb833
Create Date: 2026-12-01 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'bb1dd244bd66'
down_revision: str | None = '9d676d3de2ad'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'person_link',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('linked_by', sa.Integer(), nullable=False),
        sa.Column('linked_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['linked_by'], ['app_user.id'],
                                name=op.f('fk_person_link_linked_by_app_user')),
        sa.ForeignKeyConstraint(['org_id'], ['organisation.id'],
                                name=op.f('fk_person_link_org_id_organisation')),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'],
                                name=op.f('fk_person_link_person_id_person')),
        sa.PrimaryKeyConstraint('person_id', 'org_id', name=op.f('pk_person_link')),
    )


def downgrade() -> None:
    op.drop_table('person_link')
