"""The dashboard's tables, as header and rows, for the page's exports (CSV, XLSX) and the PDF.

Amounts are euros as `Decimal` (so a spreadsheet gets numbers), days as `Decimal`, dates as
dates; the export decides how to write them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from agency.cases.models import CaseStatus
from agency.cases.queries import CaseRow
from agency.formatting import STATUS_LABELS, reference
from agency.i18n import gettext as _
from agency.money import from_cents, round_cents
from agency.reports.figures import Dashboard
from agency.reports.queries import AgentLine, ClientLine

TABLES = ("figures", "aging", "cash", "dso", "status", "promises", "inflow", "terms")


@dataclass(frozen=True)
class Table:
    name: str
    headers: list[str]
    rows: list[list[object]]


def euros(cents: int | Decimal) -> Decimal:
    """Euros with two decimals; a fraction of a cent (an average) is rounded half-up first,
    as the page shows it."""
    return from_cents(round_cents(cents))


def aging_label(key: str) -> str:
    return {
        "0_30": _("0–30 days"),
        "31_60": _("31–60 days"),
        "61_90": _("61–90 days"),
        "90_plus": _("90+ days"),
    }[key]


def figure_label(figure: str) -> str:
    """A drill-down figure (reports.queries.DRILL_DOWNS) in words."""
    if figure.startswith("aging_"):
        return _("open principal %(bucket)s past due", bucket=aging_label(figure[6:]))
    return {
        "handed_over": _("handed over"),
        "collected": _("collected (by us and directly)"),
        "collected_agency": _("collected by us"),
        "collected_direct": _("paid to you directly"),
        "outstanding": _("outstanding"),
        "promises_kept": _("promises kept"),
        "promises_broken": _("promises broken"),
        "promises_open": _("open promises"),
        "inflow": _("expected inflow, 13 weeks"),
        "terms": _("shorter payment terms"),
    }[figure]


def _pct(value: Decimal | None) -> Decimal | None:
    return None if value is None else (value * 100).quantize(Decimal("0.1"))


def status_label(value: str) -> str:
    """A status of `Dashboard.by_status`, in words ("open": open then, closed since)."""
    if value == "open":
        return _("Open then, closed since")
    return str(STATUS_LABELS[CaseStatus(value)])


def dashboard_table(d: Dashboard, name: str) -> Table:
    """One of TABLES of a dashboard; KeyError for another name."""
    if name == "figures":
        return Table(
            name,
            [_("Figure"), _("Amount (EUR)"), _("Count")],
            [
                [_("Handed over"), euros(d.handed_over.cents), d.handed_over.count],
                [_("Collected by us"), euros(d.collected_agency.cents), d.collected_agency.count],
                [
                    _("Paid to you directly"),
                    euros(d.collected_direct.cents),
                    d.collected_direct.count,
                ],
                [_("Outstanding"), euros(d.outstanding.cents), d.outstanding.count],
                [_("Recovery rate (%)"), _pct(d.recovery_rate), None],
                [_("DSO before handoff (days)"), d.dso_before, None],
                [_("DSO now (days)"), d.dso_now, None],
                [_("Working capital released"), euros(d.working_capital_released_cents), None],
                [_("Promises kept"), euros(d.promises_kept.cents), d.promises_kept.count],
                [_("Promises broken"), euros(d.promises_broken.cents), d.promises_broken.count],
                [_("Expected inflow, 13 weeks"), euros(d.inflow_total_cents), None],
            ],
        )
    if name == "aging":
        return Table(
            name,
            [_("Days past due"), _("Open principal (EUR)"), _("Invoices"), _("Cases")],
            [[aging_label(b.key), euros(b.cents), b.invoices, b.cases] for b in d.aging],
        )
    if name == "cash":
        return Table(
            name,
            [
                _("Month"),
                _("Collected by us (EUR)"),
                _("Paid to you directly (EUR)"),
                _("Total (EUR)"),
            ],
            [
                [
                    m.month,
                    euros(m.agency_cents),
                    euros(m.direct_cents),
                    euros(m.agency_cents + m.direct_cents),
                ]
                for m in d.cash_per_month
            ],
        )
    if name == "dso":
        return Table(name, [_("Day"), _("DSO (days)")], [[p.day, p.days] for p in d.dso_trend])
    if name == "status":
        return Table(
            name,
            [_("Status"), _("Cases")],
            [[status_label(k), n] for k, n in d.by_status.items() if n or k != "open"],
        )
    if name == "promises":
        return Table(
            name,
            [_("Promises"), _("Amount (EUR)"), _("Count")],
            [
                [_("Kept"), euros(d.promises_kept.cents), d.promises_kept.count],
                [_("Broken"), euros(d.promises_broken.cents), d.promises_broken.count],
                [_("Open"), euros(d.promises_open.cents), d.promises_open.count],
            ],
        )
    if name == "inflow":
        return Table(
            name,
            [_("Week of"), _("Promises (EUR)"), _("Instalments (EUR)"), _("Total (EUR)")],
            [
                [
                    w.week_start,
                    euros(w.promises_cents),
                    euros(w.instalments_cents),
                    euros(w.total_cents),
                ]
                for w in d.inflow
            ],
        )
    if name == "terms":
        return Table(
            name,
            [
                _("Debtor"),
                _("Agreed on"),
                _("Old term (days)"),
                _("New term (days)"),
                _("Invoicing per day (EUR)"),
                _("Working capital it frees (EUR)"),
            ],
            [
                [
                    t.name,
                    t.agreed_on,
                    t.old_days,
                    t.new_days,
                    euros(t.daily_sales_cents),
                    euros(t.released_cents),
                ]
                for t in d.term_debtors
            ],
        )
    raise KeyError(name)


def client_table(lines: Sequence[ClientLine]) -> Table:
    return Table(
        "clients",
        [
            _("Client"),
            _("Handed over (EUR)"),
            _("Collected (EUR)"),
            _("Outstanding (EUR)"),
            _("Open cases"),
            _("Recovery rate (%)"),
        ],
        [
            [
                line.name,
                euros(line.handed_over_cents),
                euros(line.collected_cents),
                euros(line.outstanding_cents),
                line.open_cases,
                _pct(line.recovery_rate),
            ]
            for line in lines
        ],
    )


def agent_table(lines: Sequence[AgentLine]) -> Table:
    return Table(
        "agents",
        [
            _("Agent"),
            _("Collected (EUR)"),
            _("Promises made"),
            _("Promises kept"),
            _("Promises broken"),
            _("Contacts"),
            _("Contacts per working day"),
        ],
        [
            [
                line.name,
                euros(line.collected_cents),
                line.promises_made,
                line.promises_kept,
                line.promises_broken,
                line.contacts,
                line.contacts_per_day,
            ]
            for line in lines
        ],
    )


def case_list_table(rows: Sequence[CaseRow]) -> Table:
    return Table(
        "cases",
        [
            _("Reference"),
            _("Debtor"),
            _("Status"),
            _("Segment"),
            _("Next action"),
            _("Balance (EUR)"),
        ],
        [
            [
                reference(row.reference),  # grouped: a spreadsheet keeps it as text
                row.debtor_name,
                str(STATUS_LABELS[row.status]),
                row.segment.upper(),
                row.next_action_on,
                euros(row.balance_cents),
            ]
            for row in rows
        ],
    )


def csv_cell(value: object, language: str) -> object:
    """A cell for a CSV: decimals with the language's decimal mark, dates as ISO."""
    if isinstance(value, Decimal):
        text = f"{value}"
        return text.replace(".", ",") if language == "nl" else text
    if isinstance(value, date):
        return value.isoformat()
    return value
