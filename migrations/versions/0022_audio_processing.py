"""Audio processing: a show's loudness target, true-peak limit, MP3 bitrate, channels and
whether lossy uploads are levelled too; an episode's private master, its processing job and
what its upload was; each audio file's measured loudness

Revision ID: 0022_audio_processing
Revises: 0021_download_hits
Create Date: 2026-12-04 19:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0022_audio_processing"
down_revision = "0021_download_hits"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("show") as batch_op:
        batch_op.add_column(sa.Column("loudness_target", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("true_peak_max", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("mp3_bitrate", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "audio_channels", sa.String(length=8), server_default="stereo", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column(
                "normalize_lossy", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    with op.batch_alter_table("media_asset") as batch_op:
        batch_op.add_column(sa.Column("loudness", sa.JSON(), nullable=True))
    with op.batch_alter_table("episode") as batch_op:
        batch_op.add_column(sa.Column("master_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("processing_job_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("source", sa.JSON(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_episode_master_id_media_asset"), "media_asset",
            ["master_id"], ["id"], ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("episode") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_episode_master_id_media_asset"), type_="foreignkey")
        batch_op.drop_column("source")
        batch_op.drop_column("processing_job_id")
        batch_op.drop_column("master_id")
    with op.batch_alter_table("media_asset") as batch_op:
        batch_op.drop_column("loudness")
    with op.batch_alter_table("show") as batch_op:
        batch_op.drop_column("normalize_lossy")
        batch_op.drop_column("audio_channels")
        batch_op.drop_column("mp3_bitrate")
        batch_op.drop_column("true_peak_max")
        batch_op.drop_column("loudness_target")
