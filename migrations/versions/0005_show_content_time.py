"""The show's content time: when what listeners see last changed, only ever moving forward
(the feed's lastBuildDate and Last-Modified, issue 11)

Revision ID: 0005_show_content_time
Revises: 0002_staged_episode_guid

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_show_content_time'
down_revision = '0002_staged_episode_guid'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('show', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_at', sa.DateTime(), nullable=True))
    # Every write so far moved updated_at: the safe starting point (never behind the feed).
    op.execute('UPDATE "show" SET content_at = updated_at')


def downgrade():
    with op.batch_alter_table('show', schema=None) as batch_op:
        batch_op.drop_column('content_at')
