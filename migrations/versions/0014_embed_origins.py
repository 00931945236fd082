"""A show's embed origins: the sites that may frame its embeddable player (empty: any)

Revision ID: 0014_embed_origins
Revises: 0013_stored_wording
Create Date: 2026-12-10 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014_embed_origins"
down_revision = "0013_stored_wording"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("show") as batch_op:
        batch_op.add_column(sa.Column("embed_origins", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("show") as batch_op:
        batch_op.drop_column("embed_origins")
