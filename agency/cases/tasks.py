"""Job functions about cases. They take ids, commit their own work and may run twice."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from agency.cases.models import Case
from agency.cases.operations import resume
from agency.extensions import db
from agency.modeling import today as local_today


def resume_paused_cases(today: str | None = None) -> int:
    """Lift every pause whose date has passed; return how many cases resumed."""
    day = date.fromisoformat(today) if today else local_today()
    cases = db.session.scalars(
        sa.select(Case).where(Case.paused_until.is_not(None), Case.paused_until < day)
    ).all()
    for case in cases:
        resume(case)
    db.session.commit()
    return len(cases)


def refresh_case_priorities(today: str | None = None) -> int:
    """Recompute the priority score of every open case; return how many scores changed."""
    from agency.cases.priority import refresh_priorities

    day = date.fromisoformat(today) if today else local_today()
    changed = refresh_priorities(None, day)
    db.session.commit()
    return changed


def score_new_cases(today: str | None = None) -> int:
    """Score the open cases that have no score yet (fresh from an import), so they take their
    place in the queues within minutes instead of at the next full refresh."""
    from agency.cases.models import CLOSED_STATUSES
    from agency.cases.priority import refresh_priorities

    day = date.fromisoformat(today) if today else local_today()
    ids = db.session.scalars(
        sa.select(Case.id).where(
            Case.priority_score == 0, Case.status.not_in(list(CLOSED_STATUSES))
        )
    ).all()
    changed = refresh_priorities(ids, day) if ids else 0
    db.session.commit()
    return changed
