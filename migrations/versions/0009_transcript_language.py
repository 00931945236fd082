"""An episode's transcript language, when it is not the show's (issue 11)

Revision ID: 0009_transcript_language
Revises: 0007_notifications
Create Date: 2026-12-02 02:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009_transcript_language"
down_revision = "0007_notifications"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("episode") as batch_op:
        batch_op.add_column(sa.Column("transcript_language", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("episode") as batch_op:
        batch_op.drop_column("transcript_language")
