"""Notifications: webhooks per show with their delivery log; episodes awaiting their release.

Episodes already scheduled for a future time are marked release_pending, so they are announced
when their time comes; episodes already public are not announced again.
"""

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0007_notifications"
down_revision = "0004_replaced_media"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("episode") as batch:
        batch.add_column(
            sa.Column("release_pending", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    op.execute(
        sa.text(
            "UPDATE episode SET release_pending = :yes WHERE status = 'scheduled' "
            "AND publish_at > :now AND audio_id IS NOT NULL"
        ).bindparams(sa.bindparam("yes", True, sa.Boolean()), now=now)
    )
    op.create_table(
        "webhook",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("show_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["show_id"], ["show.id"], name=op.f("fk_webhook_show_id_show"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook")),
    )
    op.create_index(op.f("ix_webhook_show_id"), "webhook", ["show_id"])
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhook.id"],
            name=op.f("fk_webhook_delivery_webhook_id_webhook"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
    )
    op.create_index(
        op.f("ix_webhook_delivery_webhook_id"), "webhook_delivery", ["webhook_id"]
    )
    op.create_index(
        op.f("ix_webhook_delivery_delivery_id"), "webhook_delivery", ["delivery_id"]
    )


def downgrade():
    op.drop_table("webhook_delivery")
    op.drop_table("webhook")
    with op.batch_alter_table("episode") as batch:
        batch.drop_column("release_pending")
