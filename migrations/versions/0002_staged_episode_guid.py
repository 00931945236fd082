"""media_asset.episode_guid: the episode a file was stored for, a column instead of a key part

Revision ID: 0002_staged_episode_guid
Revises: 0006_jobs
Create Date: 2026-12-02 12:00:00

Audio staged ahead of a new episode's form carries the guid the episode then takes; until now
that guid was parsed back out of the object key (episodes/<guid>/audio-<token>.mp3). Existing
episode files get theirs from their key, once, here.
"""
from alembic import op
import sqlalchemy as sa


revision = "0002_staged_episode_guid"
down_revision = "0006_jobs"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("media_asset") as batch:
        batch.add_column(sa.Column("episode_guid", sa.String(length=64), nullable=True))
    assets = sa.table(
        "media_asset", sa.column("id", sa.Integer), sa.column("key", sa.String),
        sa.column("episode_guid", sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(assets.c.id, assets.c.key).where(assets.c.key.like("episodes/%")))
    for asset_id, key in rows.all():
        parts = key.split("/")
        if len(parts) == 3:
            bind.execute(
                assets.update().where(assets.c.id == asset_id).values(episode_guid=parts[1])
            )


def downgrade():
    with op.batch_alter_table("media_asset") as batch:
        batch.drop_column("episode_guid")
