"""The rows of a work queue, written in Python.

A queue page shows fifty rows of nine or eleven cells. Written by Jinja, every value goes
through markupsafe's `escape` and `Markup` (two Python calls each) and every attribute through
the environment's `getattr`: some 16 µs a row, more than half of the page's rendering, on the
page agents reload all day. `QueueRowWriter` writes the same cells with one f-string a row,
escaping every text as Jinja would (numbers are written as they are). The table around the
rows, its head and the empty queue stay in cases/queue.html; tests/cases/test_queue_rows.py
holds the writer to the Jinja row it replaces.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from agency.cases.models import CaseStatus
from agency.cases.queries import QueueRow
from agency.formatting import STATUS_LABELS, date_text
from agency.i18n import gettext as _
from agency.money import format_eur


class QueueRowWriter:
    """Writes the `<tr>` rows of one queue page, in one language."""

    def __init__(
        self, *, case_path: str, locale: str, selectable: bool = False, with_agent: bool = False
    ) -> None:
        self.case_path = escape(case_path)  # the case page's address without its id
        self.locale = locale
        self.selectable = selectable  # a check box per row (the supervisor's reassignment)
        self.with_agent = with_agent  # the agent's column (team and unassigned queues)
        self.overdue_badge = f' <strong class="badge-overdue">{escape(_("overdue"))}</strong>'
        self.request_label = escape(_("debtor request"))
        self.status_badges: dict[CaseStatus, str] = {}

    def status_badge(self, status: CaseStatus) -> str:
        """The status cell's badge, written once per status and page."""
        badge = self.status_badges.get(status)
        if badge is None:
            label = escape(str(STATUS_LABELS[status]))  # a lazy text would pass unescaped
            badge = f'<span class="status status-{status.value}">{label}</span>'
            self.status_badges[status] = badge
        return badge

    def __call__(self, row: QueueRow) -> Markup:
        link = f"{self.case_path}{row.id}"
        reference = escape(row.reference)
        cells = []
        if self.selectable:
            cells.append(
                f'<td><label class="sr-only" for="c{row.id}">{reference}</label>'
                f'<input type="checkbox" name="cases" value="{row.id}" id="c{row.id}"></td>'
            )
        request = (
            f' <a class="badge-request" data-testid="debtor-request" href="{link}#paylink">'
            f"{self.request_label}</a>"
            if row.debtor_request
            else ""
        )
        next_action = (
            escape(date_text(row.next_action_on, self.locale)) if row.next_action_on else "–"
        )
        cells.append(
            f'<td class="num" data-testid="priority">{row.priority_score}</td>'
            f'<td><a href="{link}">{reference}</a>{request}</td>'
            f"<td>{escape(row.debtor_name)}"
            f' <span class="muted">({escape(row.language)})</span></td>'
            f"<td>{escape(row.client_name)}</td>"
            f"<td>{self.status_badge(row.status)}</td>"
            f"<td>{escape(row.segment.upper())}</td>"
            f"<td>{next_action}{self.overdue_badge if row.overdue else ''}</td>"
            f'<td class="num">{escape(format_eur(row.balance_cents, self.locale))}</td>'
        )
        if self.with_agent:
            cells.append(f"<td>{escape(row.agent_name or '–')}</td>")
        overdue = "overdue" if row.overdue else ""
        return Markup(  # noqa: S704 - every text escaped above
            f'<tr class="{overdue}" data-testid="queue-row">{"".join(cells)}</tr>\n'
        )
