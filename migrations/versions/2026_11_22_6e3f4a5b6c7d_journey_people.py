"""People, stage transitions and metric rollups.

Revision ID: 6e3f4a5b6c7d
Revises: 5d2e3f4a5b6c
Create Date: 2026-11-22 12:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision: str = '6e3f4a5b6c7d'
down_revision: Union[str, Sequence[str], None] = '5d2e3f4a5b6c'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create the people table, their active weeks and the metric rollups."""
    op.create_table('journeykit_people',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('visitor_id', sa.String(length=64), nullable=True),
    sa.Column('stage', sa.Enum('awareness', 'consideration', 'purchase', 'retention', 'advocacy', name='stage', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('reached_awareness_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True),
    sa.Column('reached_consideration_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True),
    sa.Column('reached_purchase_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True),
    sa.Column('reached_retention_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True),
    sa.Column('reached_advocacy_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True),
    sa.Column('paid_orders', sa.Integer(), nullable=False),
    sa.Column('first_widget', sa.String(length=64), nullable=True),
    sa.Column('referral_code', sa.String(length=64), nullable=True),
    sa.Column('last_active_week', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.CheckConstraint('(customer_id IS NULL) <> (visitor_id IS NULL)', name=op.f('ck_journeykit_people_one_identity')),
    sa.ForeignKeyConstraint(['customer_id'], ['journeykit_customers.id'], name=op.f('fk_journeykit_people_customer_id_journeykit_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeykit_people')),
    sa.UniqueConstraint('customer_id', name=op.f('uq_journeykit_people_customer_id')),
    sa.UniqueConstraint('visitor_id', name=op.f('uq_journeykit_people_visitor_id'))
    )
    for stage in ('awareness', 'consideration', 'purchase', 'retention', 'advocacy'):
        column = f'reached_{stage}_at'
        op.create_index(op.f(f'ix_journeykit_people_{column}'), 'journeykit_people', [column], unique=False)
    op.create_table('journeykit_person_weeks',
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['journeykit_people.id'], name=op.f('fk_journeykit_person_weeks_person_id_journeykit_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'week', name=op.f('pk_journeykit_person_weeks'))
    )
    op.create_table('journeykit_stage_days',
    sa.Column('stage', sa.Enum('awareness', 'consideration', 'purchase', 'retention', 'advocacy', name='stage', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('previous_day', sa.Date(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('stage', 'day', 'previous_day', name=op.f('pk_journeykit_stage_days'))
    )
    op.create_index('ix_journeykit_stage_days_day', 'journeykit_stage_days', ['day'], unique=False)
    op.create_table('journeykit_cohort_stages',
    sa.Column('cohort_week', sa.Date(), nullable=False),
    sa.Column('stage', sa.Enum('awareness', 'consideration', 'purchase', 'retention', 'advocacy', name='stage', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('cohort_week', 'stage', name=op.f('pk_journeykit_cohort_stages'))
    )
    op.create_table('journeykit_cohort_activity',
    sa.Column('cohort_week', sa.Date(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('cohort_week', 'week', name=op.f('pk_journeykit_cohort_activity'))
    )


def downgrade() -> None:
    """Drop the people, their weeks and the rollups (stages live on in the event log)."""
    # Dropping a table drops its indexes (MySQL refuses to drop one a foreign key still needs).
    op.drop_table('journeykit_cohort_activity')
    op.drop_table('journeykit_cohort_stages')
    op.drop_table('journeykit_stage_days')
    op.drop_table('journeykit_person_weeks')
    op.drop_table('journeykit_people')
