"""Import from an existing feed: the runs, the per-episode state, the show's source feed URL;
episode guids kept byte for byte (up to 1024 characters), unique within their show

Revision ID: 0020_feed_import
Revises: 0023_tags_waveform
Create Date: 2026-12-04 19:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0020_feed_import"
down_revision = "0023_tags_waveform"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("show") as batch_op:
        batch_op.add_column(
            sa.Column("source_feed_url", sa.String(length=2000), server_default="", nullable=False)
        )
    with op.batch_alter_table("episode") as batch_op:
        batch_op.drop_constraint("uq_episode_guid", type_="unique")
        batch_op.alter_column(
            "guid", existing_type=sa.String(length=64), type_=sa.String(length=1024),
            existing_nullable=False,
        )
        batch_op.create_unique_constraint("uq_episode_show_guid", ["show_id", "guid"])
    with op.batch_alter_table("media_asset") as batch_op:
        batch_op.alter_column(
            "episode_guid", existing_type=sa.String(length=64), type_=sa.String(length=1024),
            existing_nullable=True,
        )
    op.create_table(
        "feed_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("show_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("source_url", sa.String(length=2000), nullable=False),
        sa.Column("feed_url", sa.String(length=2000), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("locked_override_email", sa.String(length=255), nullable=False),
        sa.Column("locked_override_by", sa.Integer(), nullable=True),
        sa.Column("locked_override_actor", sa.String(length=255), nullable=False),
        sa.Column("locked_override_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["show_id"], ["show.id"], name=op.f("fk_feed_import_show_id_show"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"],
            name=op.f("fk_feed_import_user_id_user_account"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_feed_import_job_id_job"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["locked_override_by"], ["user_account.id"],
            name=op.f("fk_feed_import_locked_override_by_user_account"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_import")),
    )
    op.create_index("ix_feed_import_show_id", "feed_import", ["show_id"])
    op.create_table(
        "feed_import_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("show_id", sa.Integer(), nullable=False),
        sa.Column("guid", sa.String(length=1024), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("enclosure_url", sa.String(length=2000), nullable=False),
        sa.Column("enclosure_length", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("error_wording", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["show_id"], ["show.id"], name=op.f("fk_feed_import_item_show_id_show"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"], ["episode.id"], name=op.f("fk_feed_import_item_episode_id_episode"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["feed_import.id"],
            name=op.f("fk_feed_import_item_import_id_feed_import"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_import_item")),
        sa.UniqueConstraint("show_id", "guid", name="uq_feed_import_item_show_guid"),
    )
    op.create_index("ix_feed_import_item_episode_id", "feed_import_item", ["episode_id"])
    op.create_index("ix_feed_import_item_import_id", "feed_import_item", ["import_id"])


def downgrade():
    op.drop_index("ix_feed_import_item_import_id", table_name="feed_import_item")
    op.drop_index("ix_feed_import_item_episode_id", table_name="feed_import_item")
    op.drop_table("feed_import_item")
    op.drop_index("ix_feed_import_show_id", table_name="feed_import")
    op.drop_table("feed_import")
    with op.batch_alter_table("media_asset") as batch_op:
        batch_op.alter_column(
            "episode_guid", existing_type=sa.String(length=1024), type_=sa.String(length=64),
            existing_nullable=True,
        )
    with op.batch_alter_table("episode") as batch_op:
        batch_op.drop_constraint("uq_episode_show_guid", type_="unique")
        batch_op.alter_column(
            "guid", existing_type=sa.String(length=1024), type_=sa.String(length=64),
            existing_nullable=False,
        )
        batch_op.create_unique_constraint("uq_episode_guid", ["guid"])
    with op.batch_alter_table("show") as batch_op:
        batch_op.drop_column("source_feed_url")
