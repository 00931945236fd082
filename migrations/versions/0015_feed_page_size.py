"""A show's feed page size: how many episodes the main feed carries (empty: all), the rest on
RFC 5005 pages

Revision ID: 0015_feed_page_size
Revises: 0014_embed_origins
Create Date: 2026-12-04 04:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015_feed_page_size"
down_revision = "0014_embed_origins"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("show") as batch_op:
        batch_op.add_column(sa.Column("feed_page_size", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("show") as batch_op:
        batch_op.drop_column("feed_page_size")
