"""Twilio's status callbacks: outcomes for an SMS's delivery, and the delivery of dunning SMS.

Reviewed by hand: the contact log stays append-only, so a delivery report is a new contact
entry (outcome delivered, undelivered or failed) pointing at the SMS it reports on; the allowed
outcomes are a CHECK constraint, rebuilt here with the three new values (SQLite rebuilds the
table in batch mode; env.py switches foreign keys off around it and checks them after).
A dunning SMS is an outbox row, not a contact entry: its delivery is two new nullable columns.

Revision ID: 0008_twilio_status
Revises: 0007_letters_batch
Create Date: 2026-11-23 16:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008_twilio_status'
down_revision = "0007_letters_batch"
branch_labels = None
depends_on = None

OUTCOMES = (
    'reached', 'no_answer', 'voicemail', 'wrong_number', 'promise', 'dispute', 'refused',
    'payment_term', 'callback', 'sent', 'dialled',
)
NEW_OUTCOMES = ('delivered', 'undelivered', 'failed')


def _outcomes_check(values):
    listed = ", ".join(f"'{v}'" for v in values)
    return f"outcome IN ({listed})"


def upgrade():
    with op.batch_alter_table('contact_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_contact_entries_contact_outcome'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_contact_entries_contact_outcome'), _outcomes_check(OUTCOMES + NEW_OUTCOMES)
        )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery_status', sa.Enum('delivered', 'undelivered', 'failed', name='delivery_status', native_enum=False, create_constraint=True), nullable=True))
        batch_op.add_column(sa.Column('delivery_reported_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_messages_delivery_status'), type_='check')
        batch_op.drop_column('delivery_reported_at')
        batch_op.drop_column('delivery_status')
    op.execute(
        "DELETE FROM contact_entries WHERE outcome IN ('delivered', 'undelivered', 'failed')"
    )
    with op.batch_alter_table('contact_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_contact_entries_contact_outcome'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_contact_entries_contact_outcome'), _outcomes_check(OUTCOMES)
        )
