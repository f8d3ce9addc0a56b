"""Monthly report mailings: one row per client and month, claimed before the report is e-mailed.

Written and reviewed by hand: the unique (client_id, month) is what keeps a second run (or a
run at the same moment) from mailing a client's report twice; timestamps are plain DateTime
(UTC by the app's UTCDateTime convention); sent_at stays empty until the e-mails went out.

Revision ID: 0010_report_mailings
Revises: 0009_client_money
Create Date: 2026-11-23 21:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0010_report_mailings"
down_revision = "0009_client_money"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_mailings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "recipients >= 0", name=op.f("ck_report_mailings_recipients_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_report_mailings_client_id_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_mailings")),
        sa.UniqueConstraint(
            "client_id", "month", name=op.f("uq_report_mailings_client_id_month")
        ),
    )


def downgrade():
    op.drop_table("report_mailings")
