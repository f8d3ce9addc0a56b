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
