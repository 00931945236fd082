"""The words of stored messages, beside their English text, for the admin's languages (issue 14)

Job messages, errors and results, webhook delivery errors and upload warnings are stored in
English (the API and the logs read them). A JSON record of each sentence (message id and
values) lets the admin show them in the producer's language.

Revision ID: 0013_stored_wording
Revises: 0012_episode_public_index
Create Date: 2026-12-03 14:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013_stored_wording"
down_revision = "0012_episode_public_index"
branch_labels = None
depends_on = None

COLUMNS = {
    "job": ("message_wording", "error_wording", "result_wording"),
    "webhook_delivery": ("error_wording",),
    "media_asset": ("warnings_wording",),
}


def upgrade():
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch_op:
            for column in columns:
                batch_op.add_column(sa.Column(column, sa.JSON(), nullable=True))


def downgrade():
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch_op:
            for column in columns:
                batch_op.drop_column(column)
