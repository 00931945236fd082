"""Narrow downloads summaries (per show, day and app; per show, day and country; per episode
and day), kept equal to download_daily by triggers, so that the pages read thousands of rows
rather than every app and country of every episode

Revision ID: 0020_download_summaries
Revises: 0019_download_daily
Create Date: 2026-12-04 19:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0020_download_summaries"
down_revision = "0019_download_daily"
branch_labels = None
depends_on = None

# A frozen copy of podcast/analytics/summary_sql.py as of this revision.
SQLITE_TRIGGERS = [
    'CREATE TRIGGER download_daily_insert AFTER INSERT ON download_daily FOR EACH ROW BEGIN\n  INSERT INTO download_show_app_daily (show_id, day, app, downloads) VALUES (NEW.show_id, NEW.day, NEW.app, NEW.downloads) ON CONFLICT (show_id, day, app) DO UPDATE SET downloads = download_show_app_daily.downloads + excluded.downloads;\n  INSERT INTO download_show_country_daily (show_id, day, country, downloads) VALUES (NEW.show_id, NEW.day, NEW.country, NEW.downloads) ON CONFLICT (show_id, day, country) DO UPDATE SET downloads = download_show_country_daily.downloads + excluded.downloads;\n  INSERT INTO download_episode_daily (episode_id, day, downloads) VALUES (NEW.episode_id, NEW.day, NEW.downloads) ON CONFLICT (episode_id, day) DO UPDATE SET downloads = download_episode_daily.downloads + excluded.downloads;\nEND',
    'CREATE TRIGGER download_daily_update AFTER UPDATE ON download_daily FOR EACH ROW BEGIN\n  UPDATE download_show_app_daily SET downloads = downloads - OLD.downloads WHERE show_id = OLD.show_id AND day = OLD.day AND app = OLD.app;\n  INSERT INTO download_show_app_daily (show_id, day, app, downloads) VALUES (NEW.show_id, NEW.day, NEW.app, NEW.downloads) ON CONFLICT (show_id, day, app) DO UPDATE SET downloads = download_show_app_daily.downloads + excluded.downloads;\n  UPDATE download_show_country_daily SET downloads = downloads - OLD.downloads WHERE show_id = OLD.show_id AND day = OLD.day AND country = OLD.country;\n  INSERT INTO download_show_country_daily (show_id, day, country, downloads) VALUES (NEW.show_id, NEW.day, NEW.country, NEW.downloads) ON CONFLICT (show_id, day, country) DO UPDATE SET downloads = download_show_country_daily.downloads + excluded.downloads;\n  UPDATE download_episode_daily SET downloads = downloads - OLD.downloads WHERE episode_id = OLD.episode_id AND day = OLD.day;\n  INSERT INTO download_episode_daily (episode_id, day, downloads) VALUES (NEW.episode_id, NEW.day, NEW.downloads) ON CONFLICT (episode_id, day) DO UPDATE SET downloads = download_episode_daily.downloads + excluded.downloads;\nEND',
    'CREATE TRIGGER download_daily_delete AFTER DELETE ON download_daily FOR EACH ROW BEGIN\n  UPDATE download_show_app_daily SET downloads = downloads - OLD.downloads WHERE show_id = OLD.show_id AND day = OLD.day AND app = OLD.app;\n  UPDATE download_show_country_daily SET downloads = downloads - OLD.downloads WHERE show_id = OLD.show_id AND day = OLD.day AND country = OLD.country;\n  UPDATE download_episode_daily SET downloads = downloads - OLD.downloads WHERE episode_id = OLD.episode_id AND day = OLD.day;\nEND',
]
POSTGRESQL_TRIGGERS = [
    "CREATE FUNCTION download_daily_summaries() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  IF TG_OP IN ('UPDATE', 'DELETE') THEN\n  UPDATE download_show_app_daily SET downloads = downloads - OLD.downloads WHERE show_id = OLD.show_id AND day = OLD.day AND app = OLD.app;\n  UPDATE download_show_country_daily SET downloads = downloads - OLD.downloads WHERE show_id = OLD.show_id AND day = OLD.day AND country = OLD.country;\n  UPDATE download_episode_daily SET downloads = downloads - OLD.downloads WHERE episode_id = OLD.episode_id AND day = OLD.day;\n  END IF;\n  IF TG_OP IN ('INSERT', 'UPDATE') THEN\n  INSERT INTO download_show_app_daily (show_id, day, app, downloads) VALUES (NEW.show_id, NEW.day, NEW.app, NEW.downloads) ON CONFLICT (show_id, day, app) DO UPDATE SET downloads = download_show_app_daily.downloads + excluded.downloads;\n  INSERT INTO download_show_country_daily (show_id, day, country, downloads) VALUES (NEW.show_id, NEW.day, NEW.country, NEW.downloads) ON CONFLICT (show_id, day, country) DO UPDATE SET downloads = download_show_country_daily.downloads + excluded.downloads;\n  INSERT INTO download_episode_daily (episode_id, day, downloads) VALUES (NEW.episode_id, NEW.day, NEW.downloads) ON CONFLICT (episode_id, day) DO UPDATE SET downloads = download_episode_daily.downloads + excluded.downloads;\n  END IF;\n  RETURN NULL;\nEND $$",
    'CREATE TRIGGER download_daily_summaries AFTER INSERT OR UPDATE OR DELETE ON download_daily FOR EACH ROW EXECUTE FUNCTION download_daily_summaries()',
]
DROP = {'sqlite': ['DROP TRIGGER IF EXISTS download_daily_insert', 'DROP TRIGGER IF EXISTS download_daily_update', 'DROP TRIGGER IF EXISTS download_daily_delete'], 'postgresql': ['DROP TRIGGER IF EXISTS download_daily_summaries ON download_daily', 'DROP FUNCTION IF EXISTS download_daily_summaries()']}
BACKFILL = [
    'INSERT INTO download_show_app_daily (show_id, day, app, downloads) SELECT show_id, day, app, SUM(downloads) FROM download_daily GROUP BY show_id, day, app',
    'INSERT INTO download_show_country_daily (show_id, day, country, downloads) SELECT show_id, day, country, SUM(downloads) FROM download_daily GROUP BY show_id, day, country',
    'INSERT INTO download_episode_daily (episode_id, day, downloads) SELECT episode_id, day, SUM(downloads) FROM download_daily GROUP BY episode_id, day',
]


def _key(name):
    return sa.Column(name, sa.Integer(), sa.ForeignKey(
        "show.id" if name == "show_id" else "episode.id", ondelete="CASCADE"
    ), primary_key=True)


def upgrade():
    op.create_table(
        "download_show_app_daily",
        _key("show_id"),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("app", sa.String(length=64), primary_key=True),
        sa.Column("downloads", sa.Integer(), nullable=False),
    )
    op.create_table(
        "download_show_country_daily",
        _key("show_id"),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("country", sa.String(length=2), primary_key=True),
        sa.Column("downloads", sa.Integer(), nullable=False),
    )
    op.create_table(
        "download_episode_daily",
        _key("episode_id"),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("downloads", sa.Integer(), nullable=False),
    )
    dialect = op.get_bind().dialect.name
    for statement in BACKFILL:
        op.execute(statement)
    for statement in POSTGRESQL_TRIGGERS if dialect == "postgresql" else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade():
    for statement in DROP.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    op.drop_table("download_episode_daily")
    op.drop_table("download_show_country_daily")
    op.drop_table("download_show_app_daily")
