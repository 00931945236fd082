"""Full-text search on PostgreSQL: each episode's text search configuration (its show's
language) and a GIN index over its title, summary and notes

Revision ID: 0016_episode_search
Revises: 0015_feed_page_size
Create Date: 2026-12-04 04:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import REGCONFIG

from podcast.services.search import search_config


# revision identifiers, used by Alembic.
revision = "0016_episode_search"
down_revision = "0015_feed_page_size"
branch_labels = None
depends_on = None

DOCUMENT = (
    "to_tsvector(search_config, coalesce(title, '') || ' ' || "
    "coalesce(summary, '') || ' ' || coalesce(description, ''))"
)


def upgrade():
    kind = sa.String(32).with_variant(REGCONFIG(), "postgresql")
    with op.batch_alter_table("episode") as batch_op:
        batch_op.add_column(
            sa.Column("search_config", kind, nullable=False, server_default="simple")
        )
    bind = op.get_bind()
    for show_id, language in bind.execute(sa.text("SELECT id, language FROM show")).all():
        config = search_config(language)
        if config != "simple":
            bind.execute(
                sa.text("UPDATE episode SET search_config = :config WHERE show_id = :show"),
                {"config": config, "show": show_id},
            )
    if bind.dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_episode_search ON episode USING gin ({DOCUMENT})")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_episode_search", table_name="episode")
    with op.batch_alter_table("episode") as batch_op:
        batch_op.drop_column("search_config")
