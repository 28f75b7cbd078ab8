"""The owner's settings over the config, for every capability; the friend's reward each referral code's Stripe
promotion code gives.

Loyalty's earning rules move from ``journeykit_loyalty_rules`` (by rule name)
into ``journeykit_settings`` (by config key), keeping the owner's values.

Revision ID: 5b1e0c7d9a42
Revises: 0dc0306c8d3e
Create Date: 2026-12-04 13:50:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

# revision identifiers, used by Alembic.
revision: str = '5b1e0c7d9a42'
down_revision: Union[str, Sequence[str], None] = '0dc0306c8d3e'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

#: Loyalty's rule names and the config keys they are (as journeykit.core.config_checks.EARNING_RULES was at this revision).
RULES = {
    "points_per_unit": "JOURNEYKIT_POINTS_PER_UNIT",
    "signup": "JOURNEYKIT_POINTS_SIGNUP",
    "review": "JOURNEYKIT_POINTS_REVIEW",
    "birthday": "JOURNEYKIT_POINTS_BIRTHDAY",
    "referral": "JOURNEYKIT_POINTS_REFERRAL",
    "pending_days": "JOURNEYKIT_POINTS_PENDING_DAYS",
}
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
_WHEN = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb')


def _table(name: str, key: str, length: int) -> sa.Table:
    return sa.table(name, sa.column(key, sa.String(length)), sa.column('value', _JSON),
                    sa.column('updated_by', sa.String(254)), sa.column('updated_at', _WHEN))


def _copy(source: sa.Table, source_key: str, target: sa.Table, target_key: str, names: dict[str, str]) -> None:
    """Copy the rows whose key ``names`` maps, renaming the key (one INSERT … SELECT: offline ``--sql`` works too)."""
    key = source.c[source_key]
    renamed = sa.case(*((key == old, sa.literal(new)) for old, new in names.items()))
    rows = sa.select(renamed, source.c.value, source.c.updated_by, source.c.updated_at).where(key.in_(list(names)))
    op.execute(target.insert().from_select([target_key, 'value', 'updated_by', 'updated_at'], rows))


def _create(name: str, key: str, length: int) -> sa.Table:
    return op.create_table(name,
    sa.Column(key, sa.String(length=length), nullable=False),
    sa.Column('value', _JSON, nullable=False),
    sa.Column('updated_by', sa.String(length=254), nullable=False),
    sa.Column('updated_at', _WHEN, nullable=False),
    sa.PrimaryKeyConstraint(key, name=op.f(f'pk_{name}'))
    )


def upgrade() -> None:
    """Create the settings, move the earning rules into them, and add the referral codes' reward key."""
    settings = _create('journeykit_settings', 'key', 80)
    _copy(_table('journeykit_loyalty_rules', 'name', 40), 'name', settings, 'key', RULES)
    op.drop_table('journeykit_loyalty_rules')
    with op.batch_alter_table('journeykit_referral_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('friend_reward_key', sa.String(length=16), nullable=True))


def downgrade() -> None:
    """Put the earning rules back in their own table (other settings are lost) and drop the reward key."""
    with op.batch_alter_table('journeykit_referral_codes', schema=None) as batch_op:
        batch_op.drop_column('friend_reward_key')
    rules = _create('journeykit_loyalty_rules', 'name', 40)
    _copy(_table('journeykit_settings', 'key', 80), 'key', rules, 'name', {key: name for name, key in RULES.items()})
    op.drop_table('journeykit_settings')
