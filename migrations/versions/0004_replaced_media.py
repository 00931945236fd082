"""Replaced media kept for a grace period: apps holding the previous feed still fetch the old
enclosure, and `podcast check --fix` removes it afterwards (issue 11)

Revision ID: 0004_replaced_media
Revises: 0003_security

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0004_replaced_media"
down_revision = "0003_security"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "replaced_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=True),
        sa.Column("replaced_at", sa.DateTime(), nullable=False),
        sa.Column("delete_after", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"], ["episode.id"],
            name=op.f("fk_replaced_media_episode_id_episode"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replaced_media")),
        sa.UniqueConstraint("key", name=op.f("uq_replaced_media_key")),
    )
    with op.batch_alter_table("replaced_media", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_replaced_media_delete_after"), ["delete_after"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_replaced_media_episode_id"), ["episode_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("replaced_media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_replaced_media_episode_id"))
        batch_op.drop_index(batch_op.f("ix_replaced_media_delete_after"))
    op.drop_table("replaced_media")
