"""The queue's rows are written in Python (agency/cases/rows.py): the same HTML as the Jinja
row they replace, every text escaped, in the page's language."""

from __future__ import annotations

import re
from datetime import date

import pytest

from agency.cases.models import CaseStatus
from agency.cases.queries import QueueRow
from agency.cases.rows import QueueRowWriter

# The row as cases/queue.html wrote it before the writer (kept here as the reference).
JINJA_ROW = """
{% set overdue_label = _("overdue") %}
{% for row in rows %}
    <tr class="{% if row.overdue %}overdue{% endif %}" data-testid="queue-row">
      {% if reassign %}<td><label class="sr-only" for="c{{ row.id }}">{{ row.reference }}</label><input type="checkbox" name="cases" value="{{ row.id }}" id="c{{ row.id }}"></td>{% endif %}
      <td class="num" data-testid="priority">{{ row.priority_score }}</td>
      <td><a href="{{ case_path }}{{ row.id }}">{{ row.reference }}</a>{% if row.debtor_request %} <a class="badge-request" data-testid="debtor-request" href="{{ case_path }}{{ row.id }}#paylink">{{ _("debtor request") }}</a>{% endif %}</td>
      <td>{{ row.debtor_name }} <span class="muted">({{ row.language }})</span></td>
      <td>{{ row.client_name }}</td>
      <td><span class="status status-{{ row.status.value }}">{{ status_names[row.status] }}</span></td>
      <td>{{ row.segment | upper }}</td>
      <td>{{ row.next_action_on | date_nl if row.next_action_on else "–" }}{% if row.overdue %} <strong class="badge-overdue">{{ overdue_label }}</strong>{% endif %}</td>
      <td class="num">{{ row.balance_cents | eur }}</td>
      {% if with_agent %}<td>{{ row.agent_name or "–" }}</td>{% endif %}
    </tr>
{% endfor %}
"""  # noqa: E501


def _row(case_id: int, **fields) -> QueueRow:
    """A queue row of case `case_id`: a plain Dutch consumer case unless `fields` say else."""
    defaults = dict(
        id=case_id,
        reference=f"AG{case_id:09d}",
        client_name="Fietsen B.V.",
        debtor_name="Ann",
        language="nl",
        status=CaseStatus.DUNNING,
        segment="b2c",
        priority_score=45,
        next_action_on=None,
        balance_cents=4000,
        agent_name=None,
        overdue=False,
    )
    return QueueRow(**{**defaults, **fields})


ROWS = [
    _row(
        7,
        client_name="Bakker & Zn <B.V.>",
        debtor_name='Jan "de Vries"',
        priority_score=812,
        next_action_on=date(2026, 11, 2),
        balance_cents=123456789,
        agent_name="Ann <agent>",
        overdue=True,
        debtor_request=True,
    ),
    _row(
        12,
        client_name="Ünïcode GmbH",
        debtor_name="<script>alert(1)</script>",
        language="fr",
        status=CaseStatus.NEW,
        segment="b2b",
        priority_score=0,
        balance_cents=-5,
    ),
    _row(
        130,
        client_name="O'Brien Ltd",
        language="en",
        status=CaseStatus.PROMISED,
        next_action_on=date(2027, 1, 31),
        agent_name="Bob",
    ),
]


def _tags(html: str) -> str:
    """The HTML without the whitespace between tags (the Jinja row was indented)."""
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize(
    ("selectable", "with_agent"), [(False, False), (True, True), (False, True)]
)
def test_the_rows_are_the_jinja_rows(app, language, selectable, with_agent):
    from flask import render_template_string
    from flask_babel import refresh

    from agency.formatting import STATUS_LABELS, current_locale

    with (
        app.app_context(),
        app.test_request_context("/queue", headers={"Accept-Language": language}),
    ):
        refresh()
        assert current_locale() == language
        jinja = render_template_string(
            JINJA_ROW,
            rows=ROWS,
            reassign=selectable,
            with_agent=with_agent,
            case_path="/cases/",
            status_names={s: str(STATUS_LABELS[s]) for s in CaseStatus},
        )
        write = QueueRowWriter(
            case_path="/cases/", locale=language, selectable=selectable, with_agent=with_agent
        )
        written = "".join(write(row) for row in ROWS)
    assert _tags(written) == _tags(jinja)
    assert "<script>" not in written and "&lt;script&gt;" in written
    assert ("verlopen" if language == "nl" else "overdue") in written
    assert written.count('data-testid="queue-row"') == 3
    assert ('type="checkbox"' in written) is selectable


def test_a_status_label_is_escaped_though_it_is_a_lazy_text(app, monkeypatch):
    """Lazy texts carry __html__ (markupsafe would pass them as they are): the writer escapes
    the label's text, as the Jinja row escaped the label turned into a string."""
    from flask_babel.speaklater import LazyString

    import agency.cases.rows

    labels = dict(agency.cases.rows.STATUS_LABELS)
    labels[CaseStatus.DUNNING] = LazyString(lambda: "Dunning <b>&</b>")
    monkeypatch.setattr(agency.cases.rows, "STATUS_LABELS", labels)
    with app.test_request_context("/queue"):
        written = QueueRowWriter(case_path="/cases/", locale="nl")(ROWS[0])
    assert "Dunning &lt;b&gt;&amp;&lt;/b&gt;" in written
