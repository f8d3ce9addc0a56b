"""Dunning outbox: when a claimed message was handed to its provider.

Reviewed by hand: one nullable timestamp (UTC, plain DateTime as in 0004). A claim that was
interrupted before this moment sent nothing and goes back to the outbox; one interrupted after
it may have been sent and is failed for a person to check.

Revision ID: 0007_letters_batch
Revises: 0006_queue_index
Create Date: 2026-11-23 16:45:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007_letters_batch'
down_revision = "0006_queue_index"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handed_over_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('handed_over_at')
