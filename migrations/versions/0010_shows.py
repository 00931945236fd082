"""Several shows: a handle per show, archiving, memberships, retired handles, slugs unique per
show (issue 14). Today's single show becomes the network's first show, its data intact.

Revision ID: 0010_shows
Revises: 0009_transcript_language
Create Date: 2026-12-02 05:00:00

"""

import re
import unicodedata

from alembic import op
import sqlalchemy as sa


revision = "0010_shows"
down_revision = "0009_transcript_language"
branch_labels = None
depends_on = None


def _handle_for(title, taken):
    """An ASCII handle from the show's title ("Majlis" -> "majlis"), unique among `taken`."""
    ascii_title = unicodedata.normalize("NFKD", title or "").encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:32] or "show"
    handle, n = base, 2
    while handle in taken or handle in {"admin", "api", "static", "shows", "media"}:
        handle, n = f"{base}-{n}", n + 1
    return handle


def upgrade():
    with op.batch_alter_table("show") as batch_op:
        batch_op.add_column(sa.Column("handle", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(), nullable=True))
    connection = op.get_bind()
    taken = set()
    for show_id, title in connection.execute(sa.text('SELECT id, title FROM "show" ORDER BY id')):
        handle = _handle_for(title, taken)
        taken.add(handle)
        connection.execute(
            sa.text('UPDATE "show" SET handle = :handle WHERE id = :id'),
            {"handle": handle, "id": show_id},
        )
    with op.batch_alter_table("show") as batch_op:
        batch_op.alter_column("handle", existing_type=sa.String(length=40), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_show_handle"), ["handle"])

    op.create_table(
        "show_member",
        sa.Column("show_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["show_id"], ["show.id"], name=op.f("fk_show_member_show_id_show"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_show_member_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("show_id", "user_id", name=op.f("pk_show_member")),
    )
    with op.batch_alter_table("show_member") as batch_op:
        batch_op.create_index(batch_op.f("ix_show_member_user_id"), ["user_id"], unique=False)
    # Producers of the one show there was stay its producers.
    connection.execute(
        sa.text(
            "INSERT INTO show_member (show_id, user_id, created_at) "
            'SELECT "show".id, user_account.id, CURRENT_TIMESTAMP FROM "show", user_account '
            "WHERE user_account.role = 'producer'"
        )
    )
    op.create_table(
        "retired_handle",
        sa.Column("handle", sa.String(length=40), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("handle", name=op.f("pk_retired_handle")),
    )
    with op.batch_alter_table("episode") as batch_op:
        batch_op.drop_constraint("uq_episode_slug", type_="unique")
        batch_op.create_unique_constraint("uq_episode_show_slug", ["show_id", "slug"])
        batch_op.create_index(
            "ix_episode_show_publish", ["show_id", "publish_at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("episode") as batch_op:
        batch_op.drop_index("ix_episode_show_publish")
        batch_op.drop_constraint("uq_episode_show_slug", type_="unique")
        batch_op.create_unique_constraint("uq_episode_slug", ["slug"])
    op.drop_table("retired_handle")
    with op.batch_alter_table("show_member") as batch_op:
        batch_op.drop_index(batch_op.f("ix_show_member_user_id"))
    op.drop_table("show_member")
    with op.batch_alter_table("show") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_show_handle"), type_="unique")
        batch_op.drop_column("archived_at")
        batch_op.drop_column("handle")
