"""Downloads per episode, UTC day, app and country: the rollup that counts and charts read

Revision ID: 0019_download_daily
Revises: 0018_user_name
Create Date: 2026-12-04 19:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0019_download_daily"
down_revision = "0018_user_name"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "download_daily",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "show_id", sa.Integer(), sa.ForeignKey("show.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "episode_id",
            sa.Integer(),
            sa.ForeignKey("episode.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("app", sa.String(length=64), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.UniqueConstraint("episode_id", "day", "app", "country", name="uq_download_daily"),
    )
    op.create_index("ix_download_daily_show_day", "download_daily", ["show_id", "day"])
    op.create_index("ix_download_daily_episode_day", "download_daily", ["episode_id", "day"])


def downgrade():
    op.drop_index("ix_download_daily_episode_day", table_name="download_daily")
    op.drop_index("ix_download_daily_show_day", table_name="download_daily")
    op.drop_table("download_daily")
