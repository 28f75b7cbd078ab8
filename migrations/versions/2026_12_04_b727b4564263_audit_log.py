"""The audit log: who changed what in the admin, when, before and after.

Revision ID: b727b4564263
Revises: 8a5b6c7d8e9f
Create Date: 2026-12-04 02:42:19.581565

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

# revision identifiers, used by Alembic.
revision: str = 'b727b4564263'
down_revision: Union[str, Sequence[str], None] = '8a5b6c7d8e9f'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create the audit log."""
    op.create_table('journeykit_audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=300), nullable=True),
    sa.Column('before', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('after', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeykit_audit_log'))
    )
    with op.batch_alter_table('journeykit_audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journeykit_audit_log_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_journeykit_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_journeykit_audit_log_target'), ['target'], unique=False)


def downgrade() -> None:
    """Drop the audit log."""
    # Dropping a table drops its indexes (MySQL refuses to drop one a foreign key still needs).
    op.drop_table('journeykit_audit_log')
