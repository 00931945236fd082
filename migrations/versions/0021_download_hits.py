"""Raw download hits, the daily listener keys and the log ingest's progress

Revision ID: 0021_download_hits
Revises: 0020_feed_import
Create Date: 2026-12-04 19:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0021_download_hits"
down_revision = "0020_feed_import"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "download_hit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("show_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("listener", sa.String(length=32), nullable=False),
        sa.Column("app", sa.String(length=64), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("byte_start", sa.BigInteger(), nullable=False),
        sa.Column("byte_count", sa.BigInteger(), nullable=False),
        sa.Column("needed", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("processed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index(
        "ix_download_hit_listener", "download_hit", ["episode_id", "day", "listener"]
    )
    op.create_index("ix_download_hit_processed", "download_hit", ["processed"])
    op.create_table(
        "analytics_key",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "analytics_ingest",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("broken", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("source", name="uq_analytics_ingest_source"),
    )


def downgrade():
    op.drop_table("analytics_ingest")
    op.drop_table("analytics_key")
    op.drop_index("ix_download_hit_processed", table_name="download_hit")
    op.drop_index("ix_download_hit_listener", table_name="download_hit")
    op.drop_table("download_hit")
