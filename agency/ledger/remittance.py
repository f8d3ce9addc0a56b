"""Remittance runs: what each client gets of the money collected for it, paid in one SEPA file.

A run takes every payment and direct payment booked up to its cut-off that no earlier run
took (reversals included, as negative amounts), works out commission per the client's
contract, and pays the clients with one pain.001 credit-transfer file. A run is locked once
made (agency/ledger/models.py refuses changes); a correction is simply booked and lands in the
next run.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import force_locale
from sepaxml import SepaTransfer
from sepaxml.validation import ValidationError

from agency import audit
from agency.auth.models import User
from agency.cases.models import Case, Invoice
from agency.clients.models import Client
from agency.errors import AgencyError
from agency.extensions import db
from agency.i18n import gettext as _
from agency.ledger.commission import CollectedPrincipal, contract_for, vat_on
from agency.ledger.models import (
    Allocation,
    Component,
    EntryKind,
    LedgerEntry,
    RemittanceLine,
    RemittanceMode,
    RemittanceRun,
    RemittedEntry,
)

PAIN_SCHEMA = "pain.001.001.03"
COLLECTION_KINDS = (EntryKind.PAYMENT, EntryKind.DIRECT_PAYMENT)


class RemittanceRefused(AgencyError):
    """A run cannot be made as asked (nothing to remit, a client without IBAN, ...)."""


@dataclass
class Settlement:
    """One client's figures for a run, in cents, before they are stored."""

    client: Client
    entry_ids: list[int] = field(default_factory=list)
    collected: int = 0
    direct: int = 0
    principal: int = 0
    kept: int = 0
    commission: int = 0
    vat: int = 0
    payout: int = 0
    invoice_due: int = 0


def unremitted_entries(client_id: int, cutoff: date) -> list[LedgerEntry]:
    """Return the client's payments and direct payments up to `cutoff` that no run took yet."""
    taken = sa.select(RemittedEntry.entry_id)
    return list(
        db.session.scalars(
            sa.select(LedgerEntry)
            .where(
                LedgerEntry.client_id == client_id,
                LedgerEntry.kind.in_(COLLECTION_KINDS),
                LedgerEntry.booked_on <= cutoff,
                LedgerEntry.id.not_in(taken),
            )
            .order_by(LedgerEntry.booked_on, LedgerEntry.id)
        )
    )


def settle(client: Client, entries: list[LedgerEntry]) -> Settlement:
    """Work out what the client gets, what the agency keeps and what is invoiced."""
    result = Settlement(client, entry_ids=[e.id for e in entries])
    if not entries:
        return result
    allocations = db.session.execute(
        sa.select(Allocation, LedgerEntry.kind, Invoice.due_date, Case.opened_on)
        .join(LedgerEntry, Allocation.entry_id == LedgerEntry.id)
        .outerjoin(Invoice, Allocation.invoice_id == Invoice.id)
        .join(Case, LedgerEntry.case_id == Case.id)
        .where(Allocation.entry_id.in_(result.entry_ids))
    ).all()
    collected: list[CollectedPrincipal] = []
    for allocation, kind, due_date, opened_on in allocations:
        cents = allocation.amount_cents
        if allocation.component is Component.OVERPAYMENT:
            continue  # the debtor's money, held until refunded; not the client's
        at_agency = kind is EntryKind.PAYMENT
        if at_agency:
            result.collected += cents
        else:
            result.direct += cents
        if allocation.component is Component.PRINCIPAL:
            result.principal += cents
            age = (opened_on - due_date).days if due_date else 0
            collected.append(CollectedPrincipal(cents, max(age, 0)))
        elif at_agency and (
            (allocation.component is Component.COST and client.agency_keeps_costs)
            or (allocation.component is Component.INTEREST and client.agency_keeps_interest)
        ):
            result.kept += cents
    result.commission = contract_for(client).commission(collected)
    result.vat = vat_on(result.commission)
    cash = result.collected - result.kept  # the client's part of the money the agency holds
    invoice = result.commission + result.vat
    if client.remittance_mode == RemittanceMode.GROSS.value:
        result.payout = max(0, cash)
        result.invoice_due = invoice + max(0, -cash)
        if result.invoice_due < 0:  # a credit on the commission is paid out
            result.payout -= result.invoice_due
            result.invoice_due = 0
    else:
        net = cash - invoice
        result.payout, result.invoice_due = max(0, net), max(0, -net)
    return result


def pain001(run_number: int, execution_on: date, lines: list[Settlement], config) -> str | None:
    """Return one SEPA credit-transfer file (pain.001.001.03) paying every client of the run.

    None when the run pays nobody (only corrections the clients owe).
    """
    if not any(line.payout > 0 for line in lines):
        return None
    transfer = SepaTransfer(
        {
            "name": config["AGENCY_NAME"],
            "IBAN": config["AGENCY_IBAN"].replace(" ", ""),
            "BIC": config.get("AGENCY_BIC") or "NOTPROVIDED",
            "batch": True,
            "currency": "EUR",
        },
        schema=PAIN_SCHEMA,
    )
    for line in lines:
        if line.payout <= 0:
            continue
        transfer.add_payment(
            {
                "name": line.client.name,
                "IBAN": line.client.iban,
                "amount": line.payout,  # sepaxml takes integer cents
                "execution_date": execution_on,
                "description": f"Afdracht {run_number} {line.client.code}",
                "endtoend_id": f"AFDR{run_number}C{line.client.id}",
            }
        )
    try:
        return transfer.export(validate=True).decode("utf-8")
    except ValidationError as error:
        raise RemittanceRefused(f"the SEPA file does not validate: {error}") from error


def create_run(
    cutoff: date,
    execution_on: date,
    config,
    *,
    client_ids: list[int] | None = None,
    actor: User | None = None,
) -> RemittanceRun:
    """Make the next numbered run for all clients (or the given ones) up to `cutoff`."""
    query = sa.select(Client).order_by(Client.id)
    if client_ids is not None:
        query = query.where(Client.id.in_(client_ids))
    settlements = []
    for client in db.session.scalars(query):
        entries = unremitted_entries(client.id, cutoff)
        if entries:
            settlements.append(settle(client, entries))
    if not settlements:
        raise RemittanceRefused("nothing was collected since the last run")
    missing = [s.client.name for s in settlements if s.payout > 0 and not s.client.iban]
    if missing:
        raise RemittanceRefused(f"no IBAN to pay: {', '.join(missing)}")
    number = (db.session.scalar(sa.select(sa.func.max(RemittanceRun.number))) or 0) + 1
    xml = pain001(number, execution_on, settlements, config)
    run = RemittanceRun(
        number=number,
        cutoff_on=cutoff,
        execution_on=execution_on,
        created_by_id=actor.id if actor else None,
        sepa_xml=xml,
    )
    db.session.add(run)
    db.session.flush()
    for s in settlements:
        db.session.add(
            RemittanceLine(
                run_id=run.id,
                client_id=s.client.id,
                mode=RemittanceMode(s.client.remittance_mode),
                iban=s.client.iban,
                collected_cents=s.collected,
                direct_cents=s.direct,
                principal_cents=s.principal,
                kept_cents=s.kept,
                commission_cents=s.commission,
                vat_cents=s.vat,
                payout_cents=s.payout,
                invoice_due_cents=s.invoice_due,
            )
        )
        db.session.add_all(
            RemittedEntry(entry_id=entry_id, run_id=run.id, client_id=s.client.id)
            for entry_id in s.entry_ids
        )
    db.session.flush()
    audit.record(
        "remittance.run",
        run,
        actor=actor,
        number=number,
        clients=len(settlements),
        payout=sum(s.payout for s in settlements),
    )
    return run


def statement_rows(run_id: int, client_id: int) -> list[dict]:
    """Return every payment of a client's part of a run with its allocations, for the PDF."""
    rows = db.session.execute(
        sa.select(LedgerEntry, Case.reference)
        .join(RemittedEntry, RemittedEntry.entry_id == LedgerEntry.id)
        .join(Case, Case.id == LedgerEntry.case_id)
        .where(RemittedEntry.run_id == run_id, RemittedEntry.client_id == client_id)
        .order_by(LedgerEntry.booked_on, LedgerEntry.id)
    ).all()
    numbers = dict(
        db.session.execute(
            sa.select(Invoice.id, Invoice.number).where(Invoice.client_id == client_id)
        ).all()
    )
    out = []
    for entry, reference in rows:
        parts: dict[tuple[str, str], int] = defaultdict(int)
        for allocation in entry.allocations:
            label = numbers.get(allocation.invoice_id, "") if allocation.invoice_id else ""
            parts[(label, allocation.component.value)] += allocation.amount_cents
        out.append(
            {
                "booked_on": entry.booked_on,
                "reference": reference,
                "kind": entry.kind.value,
                "reversal": entry.reverses_id is not None,
                "cents": -entry.amount_cents,
                "allocations": [(inv, comp, cents) for (inv, comp), cents in parts.items()],
            }
        )
    return out


def _totals(line: RemittanceLine) -> list[tuple[str, int]]:
    figures = [
        (_("Collected by the agency"), line.collected_cents),
        (_("Paid to you directly"), line.direct_cents),
        (_("Principal collected (commission base)"), line.principal_cents),
        (_("Costs and interest kept by the agency"), line.kept_cents),
        (_("Commission"), line.commission_cents),
        (_("VAT on commission"), line.vat_cents),
    ]
    if line.invoice_due_cents:
        figures.append((_("Invoiced to you"), line.invoice_due_cents))
    figures.append((_("Paid to your account"), line.payout_cents))
    return figures


def _language(client: Client) -> str:
    return (client.languages or "nl").split(",")[0].strip() or "nl"


def statement_document(line: RemittanceLine, config) -> dict:
    """Return what the remittance statement PDF prints, in the client's first language."""
    with force_locale(_language(line.client)):
        return _statement_document(line, config)


def invoice_document(line: RemittanceLine, config) -> dict:
    """Return what the commission invoice PDF prints, in the client's first language."""
    with force_locale(_language(line.client)):
        return _invoice_document(line, config)


def _statement_document(line: RemittanceLine, config) -> dict:
    run = line.run
    return {
        "agency": config["AGENCY_NAME"],
        "title": _("Remittance statement %(number)s", number=run.number),
        "header": [
            line.client.name,
            _("Payments booked up to %(day)s", day=run.cutoff_on.isoformat()),
            _(
                "Paid on %(day)s to %(iban)s",
                day=run.execution_on.isoformat(),
                iban=line.iban or "-",
            ),
        ],
        "columns": [_("Booked"), _("Case"), _("Kind"), _("Allocation"), _("Amount")],
        "rows": [
            {**row, "booked_on": row["booked_on"].isoformat()}
            for row in statement_rows(run.id, line.client_id)
        ],
        "figures": _totals(line),
    }


def _invoice_document(line: RemittanceLine, config) -> dict:
    run = line.run
    return {
        "agency": config["AGENCY_NAME"],
        "title": _("Commission invoice %(number)s", number=f"{run.number}-{line.client_id}"),
        "header": [
            line.client.name,
            line.client.vat_number or "",
            _(
                "Remittance run %(number)s, payments up to %(day)s",
                number=run.number,
                day=run.cutoff_on.isoformat(),
            ),
        ],
        "figures": [
            (_("Commission"), line.commission_cents),
            (_("VAT on commission"), line.vat_cents),
            (_("Total"), line.commission_cents + line.vat_cents),
        ],
    }
