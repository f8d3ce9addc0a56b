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
from itertools import islice
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


RowSink = Callable[[list[InvoiceRow]], object]

# Rows are counted against the database, and imported, this many at a time: large files go
# through in bounded memory, and each lookup is a short IN-list on a unique index.
BATCH_ROWS = 5000


def analyse(
    client: Client, table: Table, mapping: ColumnMapping, *, keep: RowSink | None = None
) -> Analysis:
    """Check every row and count what an import would add or change.

    The rows that pass go to ``keep`` a chunk at a time (the caller stores them for the
    import); without ``keep`` they are collected in ``analysis.parsed.rows``.
    """
    headers = list(table.headers)
    report = Report()
    tally = _Tally(client.id, report)

    def accept(rows: list[InvoiceRow]) -> None:
        tally.add(rows)
        if keep is not None:
            keep(rows)

    parsed = parse_rows(
        table,
        mapping,
        default_country=client.country or "NL",
        sink=accept if keep is not None else _both(accept, collected := []),
    )
    tally.finish()
    if keep is None:
        parsed.rows = collected
    report.skipped_total_rows = list(parsed.skipped_total_rows)
    report.valid_rows = tally.rows
    report.invalid_rows = len({e.row for e in parsed.errors})
    report.rows = report.valid_rows + report.invalid_rows
    report.error_count = len(parsed.errors)
    report.errors = [
        {"row": e.row, "column": e.column, "message": e.message}
        for e in parsed.errors[:MAX_STORED_ERRORS]
    ]
    report.accepted = report.error_count == 0 and report.valid_rows > 0
    return Analysis(headers, mapping, parsed, report)


def _both(first: RowSink, rows: list[InvoiceRow]) -> RowSink:
    def sink(batch: list[InvoiceRow]) -> None:
        first(batch)
        rows.extend(batch)

    return sink


def _is_open(row: InvoiceRow) -> bool:
    return row.paid_on is None and row.open_cents != 0


class _Tally:
    """Count what importing the checked rows would do, a batch at a time against the database."""

    def __init__(self, client_id: int, report: Report) -> None:
        self.client_id, self.report = client_id, report
        self.codes: set[str] = set()
        self.pending: list[InvoiceRow] = []
        self.rows = 0

    def add(self, rows: list[InvoiceRow]) -> None:
        self.pending.extend(rows)
        if len(self.pending) >= BATCH_ROWS:
            self._count(self.pending)
            self.pending = []

    def finish(self) -> None:
        self._count(self.pending)
        self.pending = []
        report = self.report
        report.debtors = len(self.codes)
        report.debtors_new = report.debtors - report.debtors_known

    def _count(self, rows: list[InvoiceRow]) -> None:
        if not rows:
            return
        report = self.report
        self.rows += len(rows)
        new_codes = {row.debtor_code for row in rows} - self.codes
        self.codes |= new_codes
        report.debtors_known += len(_existing_debtors(self.client_id, new_codes))
        known_invoices = _existing_invoices(self.client_id, [row.invoice_number for row in rows])
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


def _existing_debtors(client_id: int, codes: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(codes)):
        found.update(
            (code, debtor_id)
            for debtor_id, code in db.session.execute(
                sa.select(Debtor.id, Debtor.debtor_code).where(
                    Debtor.client_id == client_id, bulk.one_of(Debtor.debtor_code, chunk)
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
    found: dict[str, _KnownInvoice] = {}
    for chunk in _chunks(sorted(set(numbers))):
        rows = db.session.execute(
            sa.select(
                Invoice.number, Invoice.id, Invoice.debtor_id, Invoice.case_id, Invoice.amount_cents
            ).where(Invoice.client_id == client_id, bulk.one_of(Invoice.number, chunk))
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
                    bulk.one_of(LedgerEntry.invoice_id, chunk),
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
    batches: Iterable[list[InvoiceRow]],
    *,
    keys: Iterable[tuple[str, str]],
    total: int,
    today: date,
    progress: ProgressCallback | None = None,
) -> Report:
    """Write the rows in the current transaction; return what was done. Never commits.

    ``batches`` yields the checked rows in file order, ``total`` of them, and ``keys`` the
    (debtor code, invoice number) of each. What the agency already has is looked up by the
    keys first, before anything is written; then the rows are written BATCH_ROWS at a time,
    so memory holds one batch plus an id per debtor and open case (and what was known).
    Looking up as we go would ask tables that grow by thousands of rows in this transaction
    while the planner's statistics still describe them as they were: it then filtered all of
    the client's rows for each batch, and an import took minutes instead of seconds.
    """
    importer = _Importer(client, handoff, today, keys)
    done = 0
    for batch in batches:
        for start in range(0, len(batch), BATCH_ROWS):
            part = batch[start : start + BATCH_ROWS]
            importer.add(part)
            done += len(part)
            if progress:
                progress(min(done, total), max(total, 1))
    report = importer.finish()
    if progress:
        progress(max(total, 1), max(total, 1))
    return report


_DEBTOR_COLUMNS = (
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
)
_CASE_COLUMNS = (
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
)
_INVOICE_COLUMNS = (
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
)
_PRINCIPAL_COLUMNS = (
    "client_id",
    "case_id",
    "invoice_id",
    "kind",
    "amount_cents",
    "booked_on",
    "source",
    "description",
    "created_at",
)
_TIMEZONES = {"BE": "Europe/Brussels", "DE": "Europe/Berlin", "FR": "Europe/Paris"}


class _Importer:
    """Writes checked rows batch by batch: debtors, cases, invoices, then the ledger."""

    def __init__(
        self, client: Client, handoff: Handoff, today: date, keys: Iterable[tuple[str, str]]
    ) -> None:
        self.client, self.handoff, self.today = client, handoff, today
        self.now = utcnow()
        self.report = Report()
        self.known_debtors: dict[str, int] = {}
        self.known_invoices: dict[str, _KnownInvoice] = {}
        codes: set[str] = set()
        keys = iter(keys)
        while batch := list(islice(keys, BATCH_ROWS)):
            new_codes = {code for code, _number in batch} - codes
            codes |= new_codes
            self.known_debtors.update(_existing_debtors(client.id, new_codes))
            self.known_invoices.update(
                _existing_invoices(client.id, [number for _code, number in batch])
            )
        del codes
        self.current_open = _current_open(self.known_invoices)
        self.debtor_ids: dict[str, int] = {}  # debtor code -> id, for every debtor of the file
        self.case_ids: dict[str, int] = {}  # debtor code -> open case, for debtors with open rows
        self.open_cases = dict(
            db.session.execute(
                sa.select(Case.debtor_id, Case.id).where(
                    Case.client_id == client.id, Case.closed_on.is_(None)
                )
            ).all()
        )
        self.cases_opened = 0

    def add(self, rows: list[InvoiceRow]) -> None:
        report = self.report
        self._debtors(rows)
        known = {
            row.invoice_number: self.known_invoices[row.invoice_number]
            for row in rows
            if row.invoice_number in self.known_invoices
        }
        self._cases(rows)
        new_rows = [row for row in rows if row.invoice_number not in known]
        invoice_ids = self._invoices(new_rows)
        principal = [
            (
                self.client.id,
                self.case_ids[row.debtor_code],
                invoice_id,
                "principal",
                row.open_cents,
                self.today,
                "handoff",
                f"Factuur {row.invoice_number}",
                self.now,
            )
            for row, invoice_id in zip(new_rows, invoice_ids, strict=True)
            if _is_open(row) and row.open_cents > 0
        ]
        bulk.insert_rows(LedgerEntry.__table__, _PRINCIPAL_COLUMNS, principal)
        report.principal_cents += sum(entry[4] for entry in principal)
        report.invoices_new += sum(1 for row in new_rows if _is_open(row))
        report.paid_invoices += sum(1 for row in rows if not _is_open(row))
        report.invoices += sum(1 for row in rows if _is_open(row))

        credit_notes = [
            (row, invoice_id)
            for row, invoice_id in zip(new_rows, invoice_ids, strict=True)
            if _is_open(row) and row.open_cents < 0
        ]
        if credit_notes or known:
            db.session.expire_all()  # the ORM books what follows; COPY went past it
        for row, invoice_id in credit_notes:
            case = db.session.get(Case, self.case_ids[row.debtor_code])
            invoice = db.session.get(Invoice, invoice_id)
            book_credit_note(
                case, invoice, -row.open_cents, booked_on=self.today, source=EntrySource.HANDOFF
            )
            report.credit_notes += 1
        if known:
            self._changes_to_known(rows, known, self.current_open)

    def finish(self) -> Report:
        report = self.report
        report.invoices_known = report.invoices - report.invoices_new
        report.debtors = len(self.debtor_ids)
        if self.cases_opened:
            audit.record(
                "handoff.cases_opened",
                self.handoff,
                client_id=self.client.id,
                count=self.cases_opened,
            )
        audit.record(
            "handoff.imported",
            self.handoff,
            client_id=self.client.id,
            **{k: v for k, v in report.as_dict().items() if isinstance(v, int)},
        )
        return report

    def _debtors(self, rows: list[InvoiceRow]) -> None:
        """Insert the batch's new debtors, fill in changed details of known ones."""
        first: dict[str, InvoiceRow] = {}
        for row in rows:
            if row.debtor_code not in self.debtor_ids:
                first.setdefault(row.debtor_code, row)
        if not first:
            return
        existing = {code: self.known_debtors[code] for code in first if code in self.known_debtors}
        self.report.debtors_known += len(existing)
        self.report.debtors_new += len(first) - len(existing)
        new = [row for code, row in first.items() if code not in existing]
        client, now = self.client, self.now
        ids = bulk.insert_returning_ids(
            Debtor.__table__,
            _DEBTOR_COLUMNS,
            [
                (
                    client.id,
                    row.debtor_code,
                    _debtor_kind(row, client),
                    row.debtor_name,
                    row.contact_name,
                    row.street,
                    row.postcode,
                    row.city,
                    row.country,
                    row.email,
                    row.phone,
                    row.language or "nl",
                    _TIMEZONES.get(row.country, "Europe/Amsterdam"),
                    row.kvk_number,
                    row.vat_number,
                    row.iban,
                    True,
                    True,
                    False,
                    self.handoff.id,
                    now,
                    now,
                )
                for row in new
            ],
        )
        self.debtor_ids.update(existing)
        self.debtor_ids.update(zip((row.debtor_code for row in new), ids, strict=True))
        if existing:
            _update_known_debtors({debtor: first[code] for code, debtor in existing.items()}, now)

    def _cases(self, rows: list[InvoiceRow]) -> None:
        """Find or open the case of each debtor with open invoices in the batch."""
        needing: dict[str, InvoiceRow] = {}
        for row in rows:
            if _is_open(row) and row.debtor_code not in self.case_ids:
                needing.setdefault(row.debtor_code, row)
        missing = []
        for code in needing:
            case_id = self.open_cases.get(self.debtor_ids[code])
            if case_id is None:
                missing.append(code)
            else:
                self.case_ids[code] = case_id
        if not missing:
            return
        references = unused_references(len(missing))
        today, now = self.today, self.now
        ids = bulk.insert_returning_ids(
            Case.__table__,
            _CASE_COLUMNS,
            [
                (
                    self.client.id,
                    self.debtor_ids[code],
                    reference,
                    _segment(needing[code], self.client),
                    "new",
                    0,
                    today,
                    today,
                    now,
                    now,
                )
                for code, reference in zip(missing, references, strict=True)
            ],
        )
        self.case_ids.update(zip(missing, ids, strict=True))
        self.cases_opened += len(missing)

    def _invoices(self, rows: list[InvoiceRow]) -> list[int]:
        """Insert the invoices the agency does not have yet; return their ids in row order."""
        client_id, handoff_id, now = self.client.id, self.handoff.id, self.now
        return bulk.insert_returning_ids(
            Invoice.__table__,
            _INVOICE_COLUMNS,
            [
                (
                    client_id,
                    self.debtor_ids[row.debtor_code],
                    self.case_ids[row.debtor_code] if _is_open(row) else None,
                    row.invoice_number,
                    row.invoice_date,
                    row.due_date,
                    row.amount_cents,
                    row.currency,
                    _paid_before(row),
                    row.reminders_sent,
                    row.paid_on,
                    row.description,
                    handoff_id,
                    now,
                )
                for row in rows
            ],
        )

    def _changes_to_known(
        self,
        rows: list[InvoiceRow],
        known: Mapping[str, _KnownInvoice],
        current_open: Mapping[int, int],
    ) -> None:
        """A known invoice whose open amount changed gets an adjustment, never an overwrite."""
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
                invoice.case_id = self.case_ids[row.debtor_code]
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
                booked_on=self.today,
                source=EntrySource.HANDOFF,
                description=f"Openstaand bedrag gewijzigd in overdracht #{row.row}",
            )
            if row.paid_on and invoice.paid_on is None:
                invoice.paid_on = row.paid_on
            self.report.invoices_changed += 1


def _debtor_kind(row: InvoiceRow, client: Client) -> str:
    if row.debtor_kind:
        return row.debtor_kind
    if row.kvk_number or row.vat_number:
        return DebtorKind.COMPANY.value
    return (
        DebtorKind.PERSON if client.default_segment is Segment.B2C else DebtorKind.COMPANY
    ).value


def _update_known_debtors(rows: Mapping[int, InvoiceRow], now: datetime) -> None:
    """Take over contact details the file gives and the agency does not have, or has older.

    ``rows`` holds the first row of each known debtor, by the debtor's id.
    """
    for chunk in _chunks(sorted(rows)):
        debtors = db.session.scalars(sa.select(Debtor).where(bulk.one_of(Debtor.id, chunk)))
        for debtor in debtors:
            row = rows[debtor.id]
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


def _segment(row: InvoiceRow, client: Client) -> str:
    kind = _debtor_kind(row, client)
    return Segment.B2C.value if kind == DebtorKind.PERSON.value else Segment.B2B.value


def _paid_before(row: InvoiceRow) -> int:
    """What the debtor paid the client before the handoff (never for credit notes)."""
    if row.amount_cents <= 0:
        return 0
    return max(0, row.amount_cents - max(row.open_cents, 0))


def row_errors_as_csv_rows(errors: Iterable[RowError | Mapping[str, Any]]) -> Iterator[list[str]]:
    """Yield the row report as CSV rows (header first)."""
    yield ["row", "column", "message"]
    for error in errors:
        if isinstance(error, Mapping):
            yield [str(error["row"]), error["column"], error["message"]]
        else:
            yield [str(error.row), error.column, error.message]
