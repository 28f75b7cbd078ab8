"""Indexes for the storefront's reads, proven by EXPLAIN on PostgreSQL (tests/test_explain.py).

- Reviews: one index per storefront order (pinned first, then newest,
  highest, lowest or most helpful), so a page of a product's reviews is read
  in order from the index and stops after the page, instead of sorting all
  of the product's published reviews per request.  "newest" also serves
  every lookup by (product, status), so it replaces the old listing index
  (product, status, published_at, id), which no order used any more since
  pinned reviews come first.  "lowest" holds the stars descending: read
  backwards, they ascend while the rest descends.
- Testimonials: the wall's order (pin rank up, then newest) was an
  expression (``coalesce(position, UNPINNED)``), which MariaDB cannot
  index, so every wall page sorted all published testimonials.  The rank is
  now a stored column, kept by the model whenever the position changes, and
  indexed with status and the rest of the order; it replaces the old
  (status, published_at, id) index.
- Webhook deliveries: an endpoint's newest deliveries (the owner's
  webhooks pages) come from an (endpoint, id) index in order; the
  endpoint-only index it replaces made PostgreSQL fetch and sort all of the
  endpoint's deliveries, which are kept for good.
- People: the (stage time, previous stage time) "wait" indexes of the
  later stages are dropped.  The time between stages now reads per-day
  histograms (journeykit_stage_waits, revision 8d3f5b2c0e14), so no read
  asks for people by when they reached consideration, purchase, retention
  or advocacy any more, while every stage change still paid to update them.
  (The advocacy one no longer fitted anyway: advocacy is timed from
  purchase, and it paired the advocacy time with the retention time.)

Revision ID: 9e4a6c3d1f25
Revises: 8d3f5b2c0e14
Create Date: 2026-12-04 17:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '9e4a6c3d1f25'
down_revision: Union[str, Sequence[str], None] = '8d3f5b2c0e14'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UNPINNED = 2**31 - 1
#: The later stages' wait indexes as revision 7f4a5b6c7d8e made them: (stage time, previous stage's time).
WAITS = {'consideration': 'awareness', 'purchase': 'consideration', 'retention': 'purchase', 'advocacy': 'retention'}
REVIEW_ORDERS = {
    'ix_journeykit_reviews_newest': ['product_id', 'status', 'pinned', 'published_at', 'id'],
    'ix_journeykit_reviews_highest': ['product_id', 'status', 'pinned', 'rating', 'published_at', 'id'],
    'ix_journeykit_reviews_lowest': ['product_id', 'status', 'pinned', sa.text('rating DESC'), 'published_at', 'id'],
    'ix_journeykit_reviews_helpful': ['product_id', 'status', 'pinned', 'helpful_count', 'published_at', 'id'],
}


def upgrade() -> None:
    """An index per storefront order of reviews, a stored indexed pin rank, and no unread people wait indexes."""
    for name, columns in REVIEW_ORDERS.items():
        op.create_index(name, 'journeykit_reviews', columns, unique=False)
    op.drop_index('ix_journeykit_reviews_listing', table_name='journeykit_reviews')
    op.add_column('journeykit_testimonials', sa.Column('pin_rank', sa.Integer(), nullable=False,
                                                       server_default=sa.text(str(UNPINNED))))
    op.execute('UPDATE journeykit_testimonials SET pin_rank = position WHERE position IS NOT NULL')
    op.create_index('ix_journeykit_testimonials_wall', 'journeykit_testimonials',
                    ['status', sa.text('pin_rank DESC'), 'published_at', 'id'], unique=False)
    op.drop_index('ix_journeykit_testimonials_listing', table_name='journeykit_testimonials')
    op.create_index('ix_journeykit_webhook_deliveries_latest', 'journeykit_webhook_deliveries',
                    ['endpoint_id', 'id'], unique=False)
    op.drop_index('ix_journeykit_webhook_deliveries_endpoint_id', table_name='journeykit_webhook_deliveries')
    for later in WAITS:
        op.drop_index(f'ix_journeykit_people_{later}_wait', table_name='journeykit_people')


def downgrade() -> None:
    """Back to one listing index each for reviews and testimonials, the computed pin rank and the wait indexes."""
    for later, earlier in WAITS.items():
        op.create_index(f'ix_journeykit_people_{later}_wait', 'journeykit_people',
                        [f'reached_{later}_at', f'reached_{earlier}_at'], unique=False)
    op.create_index('ix_journeykit_webhook_deliveries_endpoint_id', 'journeykit_webhook_deliveries',
                    ['endpoint_id'], unique=False)
    op.drop_index('ix_journeykit_webhook_deliveries_latest', table_name='journeykit_webhook_deliveries')
    op.create_index('ix_journeykit_testimonials_listing', 'journeykit_testimonials',
                    ['status', 'published_at', 'id'], unique=False)
    op.drop_index('ix_journeykit_testimonials_wall', table_name='journeykit_testimonials')
    with op.batch_alter_table('journeykit_testimonials') as batch_op:
        batch_op.drop_column('pin_rank')
    op.create_index('ix_journeykit_reviews_listing', 'journeykit_reviews',
                    ['product_id', 'status', 'published_at', 'id'], unique=False)
    for name in REVIEW_ORDERS:
        op.drop_index(name, table_name='journeykit_reviews')
