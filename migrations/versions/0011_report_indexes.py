"""Reports: allocations carry their entry's client; indexes that read one client's figures.

Reviewed by hand from autogenerate. The column is added nullable, filled from the allocation's
ledger entry, then made NOT NULL (a NOT NULL column cannot be added to a table with rows).
The indexes start with client_id so that a client's dashboard reads its own rows instead of
scanning every client's (bench/reports.py); the INCLUDE columns (PostgreSQL only) let the
aggregates run from the index alone. No data changes beyond the filled column.

Revision ID: 0011_report_indexes
Revises: 0010_report_mailings
Create Date: 2026-11-23 21:15:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0011_report_indexes"
down_revision = "0010_report_mailings"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE allocations SET client_id = "
        "(SELECT client_id FROM ledger_entries WHERE ledger_entries.id = allocations.entry_id)"
    )
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.alter_column("client_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_allocations_client_id_clients"), "clients", ["client_id"], ["id"]
        )
        batch_op.create_index(
            batch_op.f("ix_allocations_client_id_component"),
            ["client_id", "component"],
            unique=False,
            postgresql_include=["entry_id", "invoice_id", "amount_cents"],
        )

    with op.batch_alter_table("arrangements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_arrangements_client_id_status"), ["client_id", "status"], unique=False
        )

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cases_client_id"),
            ["client_id"],
            unique=False,
            postgresql_include=["status", "opened_on", "closed_on"],
        )

    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoices_client_id_invoice_date"),
            ["client_id", "invoice_date"],
            unique=False,
            postgresql_include=["paid_on", "amount_cents", "case_id"],
        )

    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_entries_client_id_kind_booked_on"),
            ["client_id", "kind", "booked_on"],
            unique=False,
            postgresql_include=["amount_cents", "case_id", "invoice_id", "reverses_id"],
        )

    with op.batch_alter_table("promises", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_promises_client_id"), ["client_id"], unique=False)


def downgrade():
    with op.batch_alter_table("promises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promises_client_id"))

    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entries_client_id_kind_booked_on"))

    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoices_client_id_invoice_date"))

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_client_id"))

    with op.batch_alter_table("arrangements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_arrangements_client_id_status"))

    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocations_client_id_component"))
        batch_op.drop_constraint(batch_op.f("fk_allocations_client_id_clients"), type_="foreignkey")
        batch_op.drop_column("client_id")
