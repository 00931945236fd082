"""A partial index of the episodes the public may see, per show in release order (issue 14)

The newest public episode of each show (the network page) and a show's public list read it
backwards and stop at the first row: on PostgreSQL the full (show_id, publish_at, id) index
left a filter on status and audio that the planner guessed to be rare, so it read and sorted
every episode of every show (7 ms at 20 shows of 500; 0.3 ms with this index).

Revision ID: 0012_episode_public_index
Revises: 0011_user_locale
Create Date: 2026-12-03 14:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012_episode_public_index"
down_revision = "0011_user_locale"
branch_labels = None
depends_on = None

PUBLIC = sa.text("status IN ('published', 'scheduled') AND audio_id IS NOT NULL")


def upgrade():
    op.create_index(
        "ix_episode_public",
        "episode",
        ["show_id", "publish_at", "id"],
        postgresql_where=PUBLIC,
        sqlite_where=PUBLIC,
    )


def downgrade():
    op.drop_index("ix_episode_public", table_name="episode")
