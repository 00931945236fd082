"""Autosaved episode forms: what a producer typed and has not saved, per user, show and episode

One row per (user, show, episode); the new-episode form has no episode, and NULLs never collide
in a unique constraint, so a partial unique index keeps those to one per user and show. A new
form that created its episode is remembered for a day, so its late autosaves are dropped.

Revision ID: 0017_episode_autosave
Revises: 0016_episode_search
Create Date: 2026-12-04 04:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017_episode_autosave"
down_revision = "0016_episode_search"
branch_labels = None
depends_on = None

NEW_EPISODE = sa.text("episode_id IS NULL")


def upgrade():
    op.create_table(
        "episode_autosave",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("show_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("base", sa.String(length=64), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_episode_autosave_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["show_id"],
            ["show.id"],
            name=op.f("fk_episode_autosave_show_id_show"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["episode.id"],
            name=op.f("fk_episode_autosave_episode_id_episode"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episode_autosave")),
        sa.UniqueConstraint(
            "user_id", "show_id", "episode_id", name=op.f("uq_episode_autosave_user_id")
        ),
    )
    op.create_index(op.f("ix_episode_autosave_show_id"), "episode_autosave", ["show_id"])
    op.create_index(op.f("ix_episode_autosave_episode_id"), "episode_autosave", ["episode_id"])
    op.create_index(
        "uq_episode_autosave_new",
        "episode_autosave",
        ["user_id", "show_id"],
        unique=True,
        postgresql_where=NEW_EPISODE,
        sqlite_where=NEW_EPISODE,
    )
    op.create_table(
        "spent_autosave_form",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("base", sa.String(length=64), nullable=False),
        sa.Column("spent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_spent_autosave_form_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "base", name=op.f("pk_spent_autosave_form")),
    )
    op.create_index(
        op.f("ix_spent_autosave_form_spent_at"), "spent_autosave_form", ["spent_at"]
    )


def downgrade():
    op.drop_table("spent_autosave_form")
    op.drop_index("uq_episode_autosave_new", table_name="episode_autosave")
    op.drop_table("episode_autosave")
