"""Published MP3s' tags and waveforms: what the service last wrote into an audio file's tags
(a fingerprint, so a changed title or chapter list is rewritten once) and the peaks the
episode page draws behind its player

Revision ID: 0023_tags_waveform
Revises: 0020_download_summaries
Create Date: 2026-12-04 19:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0023_tags_waveform"
down_revision = "0020_download_summaries"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("media_asset") as batch_op:
        batch_op.add_column(sa.Column("tags_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("waveform", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("media_asset") as batch_op:
        batch_op.drop_column("waveform")
        batch_op.drop_column("tags_sha256")
