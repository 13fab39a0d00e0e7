"""The record of changes to staff accounts (user_change) and to public-welfare posts
(post_change), both append-only.

Revision ID: b4e1f0c2a9d7
Revises: 7a4618df9ed7
Create Date: 2026-12-03 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'b4e1f0c2a9d7'
down_revision: str | None = '7a4618df9ed7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table → (the row it records, the table that row is in)
TABLES = {'user_change': ('user_id', 'app_user'), 'post_change': ('post_id', 'post')}


def upgrade() -> None:
    for table, (column, parent) in TABLES.items():
        op.create_table(table,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column(column, sa.Integer(), nullable=False),
        *([sa.Column('action', sa.String(length=20), nullable=False)] if table == 'user_change' else []),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('actor_name', sa.String(length=50), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint([column], [f'{parent}.id'], name=op.f(f'fk_{table}_{column}_{parent}')),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}'))
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)
        # Append-only, like the other records of changes (the PostgreSQL function was created
        # by the core schema's migration).
        if op.get_bind().dialect.name == 'postgresql':
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION fuzhi_history_append_only()")
        else:
            for event in ('UPDATE', 'DELETE'):
                op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                           "BEGIN SELECT RAISE(ABORT, 'history is append-only'); END")


def downgrade() -> None:
    for table, (column, _parent) in TABLES.items():
        if op.get_bind().dialect.name == 'postgresql':
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        else:
            for event in ('update', 'delete'):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event}")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_{column}'))
        op.drop_table(table)
