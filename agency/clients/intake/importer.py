"""Check a handoff against what the client already handed over, and import it in one go.

`analyse` reads and checks a file and says what importing it would do (the row report the
client confirms). `import_rows` writes it: upserts debtors by (client, debtor code) and invoices
by (client, invoice number), opens one case per debtor with open invoices, books the principal
and, for invoices the agency already has, books a changed open amount as an adjustment. It
writes set-wise (COPY on PostgreSQL) inside the caller's transaction and never commits, so the
confirmed rows land together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from agency import audit, bulk
from agency.cases.models import Case, Debtor, DebtorKind, Invoice
from agency.cases.operations import unused_references
from agency.clients.intake.columns import ColumnMapping, map_headers, normalise_header
from agency.clients.intake.reader import Table, read_table
from agency.clients.intake.rows import DEBTOR_FIELDS, InvoiceRow, ParseResult, RowError, parse_rows
from agency.clients.models import Client, Handoff, HeaderMapping, Segment
from agency.extensions import db
from agency.ledger.models import EntryKind, EntrySource, LedgerEntry
from agency.ledger.operations import book_adjustment, book_credit_note
from agency.modeling import utcnow

ProgressCallback = Callable[[int, int], None]

# Debtor details a file can bring, by the names of the Debtor columns ("kind" is handled apart).
_DEBTOR_DETAILS = tuple(name for name in DEBTOR_FIELDS if name != "debtor_kind")


@dataclass
class Report:
    """What a handoff holds and what importing it does; the same for portal, API and CLI."""

    accepted: bool = False
    rows: int = 0
    valid_rows: int = 0
    invalid_rows: int = 0
    debtors: int = 0
    debtors_new: int = 0
    debtors_known: int = 0
    invoices: int = 0  # open invoices (and credit notes) handed over for collection
    invoices_new: int = 0
    invoices_known: int = 0
    invoices_changed: int = 0
    paid_invoices: int = 0  # history: invoices already paid before the handoff
    credit_notes: int = 0
    principal_cents: int = 0
    skipped_total_rows: list[int] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


# Keep the report small enough for a JSON column; the CSV download has them all.
MAX_STORED_ERRORS = 5000


@dataclass
class Analysis:
    """A file read, mapped and checked: its rows, its report and the mapping used."""

    table_headers: list[str]
    mapping: ColumnMapping
    parsed: ParseResult
    report: Report


def remembered_mapping(client_id: int) -> dict[str, str]:
    """Return the header texts this client's files used before, and what each one means."""
    rows = db.session.execute(
        sa.select(HeaderMapping.header, HeaderMapping.field).where(
            HeaderMapping.client_id == client_id
        )
    )
    return dict(rows.all())


def remember_mapping(client_id: int, headers: list[str], columns: Mapping[int, str]) -> None:
    """Store what each column of this file means, for the client's next files."""
    existing = {
        m.header: m
        for m in db.session.scalars(
            sa.select(HeaderMapping).where(HeaderMapping.client_id == client_id)
        )
    }
    for index, header in enumerate(headers):
        key = normalise_header(header)
        if not key:
            continue
        meaning = columns.get(index, "")
        if key in existing:
            existing[key].field = meaning
        else:
            db.session.add(HeaderMapping(client_id=client_id, header=key, field=meaning))
    db.session.flush()


def read_and_map(
    data: bytes, filename: str, client_id: int, chosen: Mapping[int, str] | None = None
):
    """Read a file and map its columns: remembered headers first, then known synonyms.

    `chosen` (column index -> field, "" to ignore) is what the user picked on the mapping page.
    """
    table = read_table(data, filename)
    mapping = map_headers(table.headers, remembered_mapping(client_id))
    if chosen:
        columns = {i: f for i, f in mapping.columns.items() if i not in chosen}
        used = set()
        for index, name in chosen.items():
            if name and name not in used:
                columns[index] = name
                used.add(name)
        mapping = map_headers(table.headers, _as_remembered(table.headers, columns))
    return table, mapping


def _as_remembered(headers: list[str], columns: Mapping[int, str]) -> dict[str, str]:
    remembered = {normalise_header(h): "" for h in headers}
    for index, name in columns.items():
        remembered[normalise_header(headers[index])] = name
    return remembered


def analyse(client: Client, table: Table, mapping: ColumnMapping) -> Analysis:
    """Check every row and count what an import would add or change."""
    headers = list(table.headers)
    parsed = parse_rows(table, mapping, default_country=client.country or "NL")
    report = Report(skipped_total_rows=list(parsed.skipped_total_rows))
    report.valid_rows = len(parsed.rows)
    report.invalid_rows = len({e.row for e in parsed.errors})
    report.rows = report.valid_rows + report.invalid_rows
    report.error_count = len(parsed.errors)
    report.errors = [
        {"row": e.row, "column": e.column, "message": e.message}
        for e in parsed.errors[:MAX_STORED_ERRORS]
    ]
    _count_against_database(client.id, parsed.rows, report)
    report.accepted = report.error_count == 0 and report.valid_rows > 0
    return Analysis(headers, mapping, parsed, report)


def _is_open(row: InvoiceRow) -> bool:
    return row.paid_on is None and row.open_cents != 0


def _count_against_database(client_id: int, rows: list[InvoiceRow], report: Report) -> None:
    codes = {row.debtor_code for row in rows}
    known_codes = _existing_debtors(client_id, codes)
    report.debtors = len(codes)
    report.debtors_known = len(codes & known_codes.keys())
    report.debtors_new = report.debtors - report.debtors_known
    known_invoices = _existing_invoices(client_id, [row.invoice_number for row in rows])
    current_open = _current_open(known_invoices)
    for row in rows:
        known = known_invoices.get(row.invoice_number)
        if not _is_open(row):
            report.paid_invoices += 1
            if known is not None and current_open.get(known.id, 0) != 0:
                report.invoices_changed += 1
            continue
        report.invoices += 1
        if row.open_cents < 0:
            report.credit_notes += 1
        else:
            report.principal_cents += row.open_cents
        if known is None:
            report.invoices_new += 1
        else:
            report.invoices_known += 1
            if current_open.get(known.id, 0) != max(row.open_cents, 0):
                report.invoices_changed += 1


def _chunks(items: list, size: int = 5000) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Above this many keys one pass over the client's rows beats many long IN-lists.
_SCAN_ALL_ABOVE = 5000


def _existing_debtors(client_id: int, codes: Iterable[str]) -> dict[str, int]:
    codes = set(codes)
    if len(codes) > _SCAN_ALL_ABOVE:
        rows = db.session.execute(
            sa.select(Debtor.debtor_code, Debtor.id).where(Debtor.client_id == client_id)
        )
        return {code: debtor_id for code, debtor_id in rows if code in codes}
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(codes)):
        found.update(
            (code, debtor_id)
            for debtor_id, code in db.session.execute(
                sa.select(Debtor.id, Debtor.debtor_code).where(
                    Debtor.client_id == client_id, Debtor.debtor_code.in_(chunk)
                )
            )
        )
    return found


@dataclass(frozen=True)
class _KnownInvoice:
    id: int
    debtor_id: int
    case_id: int | None
    amount_cents: int


def _existing_invoices(client_id: int, numbers: list[str]) -> dict[str, _KnownInvoice]:
    wanted = set(numbers)
    columns = (Invoice.number, Invoice.id, Invoice.debtor_id, Invoice.case_id, Invoice.amount_cents)
    if len(wanted) > _SCAN_ALL_ABOVE:
        rows = db.session.execute(sa.select(*columns).where(Invoice.client_id == client_id))
        return {r[0]: _KnownInvoice(*r[1:]) for r in rows if r[0] in wanted}
    found: dict[str, _KnownInvoice] = {}
    for chunk in _chunks(sorted(wanted)):
        rows = db.session.execute(
            sa.select(
                Invoice.number, Invoice.id, Invoice.debtor_id, Invoice.case_id, Invoice.amount_cents
            ).where(Invoice.client_id == client_id, Invoice.number.in_(chunk))
        )
        found.update((r[0], _KnownInvoice(*r[1:])) for r in rows)
    return found


def _current_open(known: Mapping[str, _KnownInvoice]) -> dict[int, int]:
    """What the client said is open per known invoice: its principal plus adjustments so far.

    Payments and credit notes the agency booked since are not subtracted: the client's next file
    states its own view of the claim, and only a change of that view is an adjustment.
    """
    ids = sorted(k.id for k in known.values() if k.case_id is not None)
    result: dict[int, int] = {}
    for chunk in _chunks(ids):
        result.update(
            (invoice_id, int(total))
            for invoice_id, total in db.session.execute(
                sa.select(LedgerEntry.invoice_id, sa.func.sum(LedgerEntry.amount_cents))
                .where(
                    LedgerEntry.invoice_id.in_(chunk),
                    LedgerEntry.kind.in_([EntryKind.PRINCIPAL, EntryKind.ADJUSTMENT]),
                )
                .group_by(LedgerEntry.invoice_id)
            )
        )
    return result


# --- import ----------------------------------------------------------------------------------


def import_rows(
    client: Client,
    handoff: Handoff,
    rows: list[InvoiceRow],
    *,
    today: date,
    progress: ProgressCallback | None = None,
) -> Report:
    """Write the rows in the current transaction; return what was done. Never commits."""
    report = Report()
    total = max(len(rows), 1)
    step = _Progress(progress, total)
    now = utcnow()

    debtor_ids = _upsert_debtors(client, handoff, rows, now, report)
    step.advance(len(rows) // 4)
    known_invoices = _existing_invoices(client.id, [r.invoice_number for r in rows])
    current_open = _current_open(known_invoices)
    case_ids = _open_cases(client, handoff, rows, debtor_ids, known_invoices, today, now)
    step.advance(len(rows) // 4)

    new_rows = [r for r in rows if r.invoice_number not in known_invoices]
    invoice_ids = _insert_invoices(client, handoff, new_rows, debtor_ids, case_ids, now)
    step.advance(len(rows) // 4)

    principal = [
        (
            client.id,
            case_ids[r.debtor_code],
            invoice_ids[r.invoice_number],
            "principal",
            r.open_cents,
            today,
            "handoff",
            f"Factuur {r.invoice_number}",
            now,
        )
        for r in new_rows
        if _is_open(r) and r.open_cents > 0
    ]
    bulk.insert_rows(
        LedgerEntry.__table__,
        (
            "client_id",
            "case_id",
            "invoice_id",
            "kind",
            "amount_cents",
            "booked_on",
            "source",
            "description",
            "created_at",
        ),
        principal,
    )
    report.principal_cents = sum(p[4] for p in principal)
    report.invoices_new = sum(1 for r in new_rows if _is_open(r))
    report.paid_invoices = sum(1 for r in rows if not _is_open(r))
    step.advance(len(rows) // 8)

    db.session.expire_all()
    _credit_notes(client, new_rows, case_ids, invoice_ids, today, report)
    _changes_to_known(client, rows, known_invoices, current_open, case_ids, today, report)
    report.invoices = sum(1 for r in rows if _is_open(r))
    report.invoices_known = report.invoices - report.invoices_new
    report.debtors = len(debtor_ids)
    audit.record(
        "handoff.imported",
        handoff,
        client_id=client.id,
        **{k: v for k, v in report.as_dict().items() if isinstance(v, int)},
    )
    step.finish()
    return report


class _Progress:
    def __init__(self, callback: ProgressCallback | None, total: int) -> None:
        self.callback, self.total, self.done = callback, total, 0

    def advance(self, units: int) -> None:
        self.done = min(self.total, self.done + units)
        if self.callback:
            self.callback(self.done, self.total)

    def finish(self) -> None:
        if self.callback:
            self.callback(self.total, self.total)


def _debtor_kind(row: InvoiceRow, client: Client) -> str:
    if row.debtor_kind:
        return row.debtor_kind
    if row.kvk_number or row.vat_number:
        return DebtorKind.COMPANY.value
    return (
        DebtorKind.PERSON if client.default_segment is Segment.B2C else DebtorKind.COMPANY
    ).value


_TIMEZONES = {"BE": "Europe/Brussels", "DE": "Europe/Berlin", "FR": "Europe/Paris"}


def _upsert_debtors(
    client: Client, handoff: Handoff, rows: list[InvoiceRow], now: datetime, report: Report
) -> dict[str, int]:
    """Insert new debtors, fill in changed details of known ones; return code -> id."""
    first: dict[str, InvoiceRow] = {}
    for row in rows:
        first.setdefault(row.debtor_code, row)
    existing = _existing_debtors(client.id, first)
    report.debtors_known = len(existing)
    report.debtors_new = len(first) - len(existing)

    new = [r for code, r in first.items() if code not in existing]
    bulk.insert_rows(
        Debtor.__table__,
        (
            "client_id",
            "debtor_code",
            "kind",
            "name",
            "contact_name",
            "street",
            "postcode",
            "city",
            "country",
            "email",
            "phone",
            "language",
            "timezone",
            "kvk_number",
            "vat_number",
            "iban",
            "consent_email",
            "consent_sms",
            "vulnerable",
            "handoff_id",
            "created_at",
            "updated_at",
        ),
        (
            (
                client.id,
                r.debtor_code,
                _debtor_kind(r, client),
                r.debtor_name,
                r.contact_name,
                r.street,
                r.postcode,
                r.city,
                r.country,
                r.email,
                r.phone,
                r.language or "nl",
                _TIMEZONES.get(r.country, "Europe/Amsterdam"),
                r.kvk_number,
                r.vat_number,
                r.iban,
                True,
                True,
                False,
                handoff.id,
                now,
                now,
            )
            for r in new
        ),
    )
    if existing:
        _update_known_debtors(client, [first[c] for c in existing], now)
    ids = dict(existing)
    if new:
        # One pass over what this handoff added; IN-lists right after a bulk insert would
        # be planned on stale statistics.
        ids.update(
            (code, debtor_id)
            for debtor_id, code in db.session.execute(
                sa.select(Debtor.id, Debtor.debtor_code).where(
                    Debtor.client_id == client.id, Debtor.handoff_id == handoff.id
                )
            )
        )
    return ids


def _update_known_debtors(client: Client, rows: list[InvoiceRow], now: datetime) -> None:
    """Take over contact details the file gives and the agency does not have, or has older."""
    by_code = {r.debtor_code: r for r in rows}
    for chunk in _chunks(sorted(by_code)):
        debtors = db.session.scalars(
            sa.select(Debtor).where(Debtor.client_id == client.id, Debtor.debtor_code.in_(chunk))
        )
        for debtor in debtors:
            row = by_code[debtor.debtor_code]
            changed = {
                name: getattr(row, name)
                for name in _DEBTOR_DETAILS
                if getattr(row, name) and getattr(row, name) != getattr(debtor, name)
            }
            if row.debtor_name and row.debtor_name != debtor.name:
                changed["name"] = row.debtor_name
            if changed:
                audit.record(
                    "debtor.updated",
                    debtor,
                    source="handoff",
                    fields=sorted(changed),
                    old={k: getattr(debtor, k) for k in changed},
                )
                for name, value in changed.items():
                    setattr(debtor, name, value)
                debtor.updated_at = now
    db.session.flush()


def _open_cases(
    client: Client,
    handoff: Handoff,
    rows: list[InvoiceRow],
    debtor_ids: Mapping[str, int],
    known: Mapping[str, _KnownInvoice],
    today: date,
    now: datetime,
) -> dict[str, int]:
    """Return debtor code -> open case id, opening a case for debtors with open invoices."""
    needing = {r.debtor_code: r for r in rows if _is_open(r)}
    open_cases = dict(
        db.session.execute(
            sa.select(Case.debtor_id, Case.id).where(
                Case.client_id == client.id, Case.closed_on.is_(None)
            )
        ).all()
    )
    missing = [code for code in needing if debtor_ids[code] not in open_cases]
    references = unused_references(len(missing))
    bulk.insert_rows(
        Case.__table__,
        (
            "client_id",
            "debtor_id",
            "reference",
            "segment",
            "status",
            "priority_score",
            "next_action_on",
            "opened_on",
            "status_changed_at",
            "created_at",
        ),
        (
            (
                client.id,
                debtor_ids[code],
                ref,
                _segment(needing[code], client),
                "new",
                0,
                today,
                today,
                now,
                now,
            )
            for code, ref in zip(missing, references, strict=True)
        ),
    )
    if missing:
        open_cases = dict(
            db.session.execute(
                sa.select(Case.debtor_id, Case.id).where(
                    Case.client_id == client.id, Case.closed_on.is_(None)
                )
            ).all()
        )
        audit.record("handoff.cases_opened", handoff, client_id=client.id, count=len(missing))
    return {code: open_cases[debtor_ids[code]] for code in needing}


def _segment(row: InvoiceRow, client: Client) -> str:
    kind = _debtor_kind(row, client)
    return Segment.B2C.value if kind == DebtorKind.PERSON.value else Segment.B2B.value


def _insert_invoices(
    client: Client,
    handoff: Handoff,
    rows: list[InvoiceRow],
    debtor_ids: Mapping[str, int],
    case_ids: Mapping[str, int],
    now: datetime,
) -> dict[str, int]:
    """Insert the invoices the agency does not have yet; return number -> id."""
    bulk.insert_rows(
        Invoice.__table__,
        (
            "client_id",
            "debtor_id",
            "case_id",
            "number",
            "invoice_date",
            "due_date",
            "amount_cents",
            "currency",
            "paid_before_handoff_cents",
            "reminders_sent",
            "paid_on",
            "description",
            "handoff_id",
            "created_at",
        ),
        (
            (
                client.id,
                debtor_ids[r.debtor_code],
                case_ids[r.debtor_code] if _is_open(r) else None,
                r.invoice_number,
                r.invoice_date,
                r.due_date,
                r.amount_cents,
                r.currency,
                _paid_before(r),
                r.reminders_sent,
                r.paid_on,
                r.description,
                handoff.id,
                now,
            )
            for r in rows
        ),
    )
    ids: dict[str, int] = {}
    for number, invoice_id in db.session.execute(
        sa.select(Invoice.number, Invoice.id).where(Invoice.handoff_id == handoff.id)
    ):
        ids[number] = invoice_id
    return ids


def _paid_before(row: InvoiceRow) -> int:
    """What the debtor paid the client before the handoff (never for credit notes)."""
    if row.amount_cents <= 0:
        return 0
    return max(0, row.amount_cents - max(row.open_cents, 0))


def _credit_notes(
    client: Client,
    rows: list[InvoiceRow],
    case_ids: Mapping[str, int],
    invoice_ids: Mapping[str, int],
    today: date,
    report: Report,
) -> None:
    """Book open credit notes against the principal of their debtor's case."""
    for row in rows:
        if _is_open(row) and row.open_cents < 0:
            case = db.session.get(Case, case_ids[row.debtor_code])
            invoice = db.session.get(Invoice, invoice_ids[row.invoice_number])
            book_credit_note(
                case, invoice, -row.open_cents, booked_on=today, source=EntrySource.HANDOFF
            )
            report.credit_notes += 1


def _changes_to_known(
    client: Client,
    rows: list[InvoiceRow],
    known: Mapping[str, _KnownInvoice],
    current_open: Mapping[int, int],
    case_ids: Mapping[str, int],
    today: date,
    report: Report,
) -> None:
    """A known invoice whose open amount changed gets an adjustment, never a silent overwrite."""
    for row in rows:
        invoice_row = known.get(row.invoice_number)
        if invoice_row is None:
            continue
        wanted = row.open_cents if _is_open(row) else 0
        invoice = db.session.get(Invoice, invoice_row.id)
        if invoice.case_id is None:
            if wanted <= 0:
                continue
            # A historic invoice handed over again as open: it joins the debtor's case.
            invoice.case_id = case_ids[row.debtor_code]
            db.session.flush()
        case = db.session.get(Case, invoice.case_id)
        now_open = current_open.get(invoice.id, 0)
        target = max(wanted, 0)  # a known credit note is not re-booked
        if target == now_open:
            continue
        if not case.is_open:
            # A closed case is reopened only through its status machine, not by a file.
            continue
        book_adjustment(
            case,
            invoice,
            target - now_open,
            booked_on=today,
            source=EntrySource.HANDOFF,
            description=f"Openstaand bedrag gewijzigd in overdracht #{row.row}",
        )
        if row.paid_on and invoice.paid_on is None:
            invoice.paid_on = row.paid_on
        report.invoices_changed += 1


def row_errors_as_csv_rows(errors: Iterable[RowError | Mapping[str, Any]]) -> Iterator[list[str]]:
    """Yield the row report as CSV rows (header first)."""
    yield ["row", "column", "message"]
    for error in errors:
        if isinstance(error, Mapping):
            yield [str(error["row"]), error["column"], error["message"]]
        else:
            yield [str(error.row), error.column, error.message]
