"""Referrals: codes, the visitors each brought (attribution), and the referrals converted by friends' orders.

Revision ID: 0dc0306c8d3e
Revises: 78a36cf97b7f
Create Date: 2026-12-04 10:56:44.752488

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision: str = '0dc0306c8d3e'
down_revision: Union[str, Sequence[str], None] = '78a36cf97b7f'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create the codes, attributions, clicks and referrals."""
    op.create_table('journeykit_referral_codes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('vanity', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.Column('disabled_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True),
    sa.Column('flagged_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True),
    sa.Column('flag_reason', sa.String(length=200), nullable=True),
    sa.Column('stripe_promotion_code_id', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['journeykit_customers.id'], name=op.f('fk_journeykit_referral_codes_customer_id_journeykit_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeykit_referral_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_journeykit_referral_codes_code'))
    )
    with op.batch_alter_table('journeykit_referral_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journeykit_referral_codes_customer_id'), ['customer_id'], unique=False)

    op.create_table('journeykit_referral_attributions',
    sa.Column('visitor_id', sa.String(length=64), nullable=False),
    sa.Column('code_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('clicked_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.ForeignKeyConstraint(['code_id'], ['journeykit_referral_codes.id'], name=op.f('fk_journeykit_referral_attributions_code_id_journeykit_referral_codes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('visitor_id', name=op.f('pk_journeykit_referral_attributions'))
    )
    with op.batch_alter_table('journeykit_referral_attributions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journeykit_referral_attributions_code_id'), ['code_id'], unique=False)

    op.create_table('journeykit_referral_click_days',
    sa.Column('code_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('clicks', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['code_id'], ['journeykit_referral_codes.id'], name=op.f('fk_journeykit_referral_click_days_code_id_journeykit_referral_codes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('code_id', 'day', name=op.f('pk_journeykit_referral_click_days'))
    )
    op.create_table('journeykit_referral_clicks',
    sa.Column('code_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('visitor_id', sa.String(length=64), nullable=False),
    sa.Column('clicked_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.ForeignKeyConstraint(['code_id'], ['journeykit_referral_codes.id'], name=op.f('fk_journeykit_referral_clicks_code_id_journeykit_referral_codes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('code_id', 'day', 'visitor_id', name=op.f('pk_journeykit_referral_clicks'))
    )
    op.create_table('journeykit_referrals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('checkout_session_id', sa.String(length=255), nullable=False),
    sa.Column('code_text', sa.String(length=64), nullable=False),
    sa.Column('code_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('referrer_customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('friend_customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('status', sa.Enum('review', 'held', 'rewarded', 'denied', 'unknown_code', 'reversed', name='referral_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('risk_score', sa.SmallInteger(), nullable=False),
    sa.Column('risk_reasons', sa.JSON(), nullable=False),
    sa.Column('amount_total', sa.BigInteger(), nullable=False),
    sa.Column('amount_reversed', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.Column('reward_due_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True),
    sa.Column('rewarded_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True),
    sa.Column('decided_by', sa.String(length=254), nullable=True),
    sa.Column('referrer_coupon_code', sa.String(length=64), nullable=True),
    sa.Column('referrer_promotion_code_id', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['code_id'], ['journeykit_referral_codes.id'], name=op.f('fk_journeykit_referrals_code_id_journeykit_referral_codes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['friend_customer_id'], ['journeykit_customers.id'], name=op.f('fk_journeykit_referrals_friend_customer_id_journeykit_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['referrer_customer_id'], ['journeykit_customers.id'], name=op.f('fk_journeykit_referrals_referrer_customer_id_journeykit_customers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeykit_referrals')),
    sa.UniqueConstraint('checkout_session_id', name=op.f('uq_journeykit_referrals_checkout_session_id'))
    )
    with op.batch_alter_table('journeykit_referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journeykit_referrals_code_id'), ['code_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journeykit_referrals_friend_customer_id'), ['friend_customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journeykit_referrals_referrer_customer_id'), ['referrer_customer_id'], unique=False)
        batch_op.create_index('ix_journeykit_referrals_status_created_at', ['status', 'created_at'], unique=False)



def downgrade() -> None:
    """Drop the referrals, attributions and codes (the friends' promotion codes stay in Stripe)."""
    op.drop_table('journeykit_referrals')
    op.drop_table('journeykit_referral_clicks')
    op.drop_table('journeykit_referral_click_days')
    op.drop_table('journeykit_referral_attributions')
    op.drop_table('journeykit_referral_codes')
