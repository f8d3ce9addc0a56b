"""Reports: allocations carry their entry's kind and day, read by one index per client.

Reviewed by hand from autogenerate. Entries never change once booked, so the copies stay
true. The columns are added nullable, filled from each allocation's ledger entry, then made
NOT NULL; the kind gets the same CHECK as the entry's. The reports' index on (client,
component) is replaced by one on (client, component, day) that also holds the kind, so the
dashboard sums a client's principal allocations up to a day from the index alone instead of
joining each one to its entry. No other data changes.

Revision ID: 0012_allocation_kind_day
Revises: 0011_report_indexes
Create Date: 2026-11-23 23:35:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0012_allocation_kind_day"
down_revision = "0011_report_indexes"
branch_labels = None
depends_on = None

KINDS = (
    "principal",
    "cost",
    "interest",
    "payment",
    "direct_payment",
    "credit_note",
    "adjustment",
    "write_off",
)


def upgrade():
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=14), nullable=True))
        batch_op.add_column(sa.Column("booked_on", sa.Date(), nullable=True))
    entry = "FROM ledger_entries WHERE ledger_entries.id = allocations.entry_id"
    op.execute(  # one pass over the table for both columns
        f"UPDATE allocations SET kind = (SELECT kind {entry}), "
        f"booked_on = (SELECT booked_on {entry})"
    )
    kinds = ", ".join(f"'{kind}'" for kind in KINDS)
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=14), nullable=False)
        batch_op.alter_column("booked_on", existing_type=sa.Date(), nullable=False)
        batch_op.create_check_constraint("entry_kind", f"kind IN ({kinds})")
        batch_op.drop_index(batch_op.f("ix_allocations_client_id_component"))
        batch_op.create_index(
            batch_op.f("ix_allocations_client_id_component_booked_on"),
            ["client_id", "component", "booked_on"],
            unique=False,
            postgresql_include=["kind", "invoice_id", "amount_cents", "entry_id"],
        )


def downgrade():
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocations_client_id_component_booked_on"))
        batch_op.create_index(
            batch_op.f("ix_allocations_client_id_component"),
            ["client_id", "component"],
            unique=False,
            postgresql_include=["entry_id", "invoice_id", "amount_cents"],
        )
        batch_op.drop_constraint("entry_kind", type_="check")
        batch_op.drop_column("booked_on")
        batch_op.drop_column("kind")
