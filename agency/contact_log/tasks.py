"""Job functions of the workbench. They take dates as ISO text, commit their own work and may
run twice: a settled promise or an ended plan is left alone."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from agency.contact_log.models import Arrangement, ArrangementStatus, Promise, PromiseStatus
from agency.contact_log.operations import check_arrangement, settle_promise
from agency.extensions import db
from agency.modeling import today as local_today


def settle_promises(today: str | None = None) -> dict[str, int]:
    """Mark open promises kept or broken by the ledger; return how many of each."""
    day = date.fromisoformat(today) if today else local_today()
    counts = {"kept": 0, "broken": 0}
    ids = db.session.scalars(
        sa.select(Promise.id).where(Promise.status == PromiseStatus.OPEN).order_by(Promise.id)
    ).all()
    for promise_id in ids:
        status = settle_promise(db.session.get(Promise, promise_id), today=day)
        if status.value in counts:
            counts[status.value] += 1
    db.session.commit()
    return counts


def check_arrangements(today: str | None = None) -> dict[str, int]:
    """Mark instalments paid or missed by the ledger; a missed one breaks its plan."""
    day = date.fromisoformat(today) if today else local_today()
    counts = {"completed": 0, "broken": 0}
    ids = db.session.scalars(
        sa.select(Arrangement.id)
        .where(Arrangement.status == ArrangementStatus.ACTIVE)
        .order_by(Arrangement.id)
    ).all()
    for arrangement_id in ids:
        status = check_arrangement(db.session.get(Arrangement, arrangement_id), today=day)
        if status.value in counts:
            counts[status.value] += 1
    db.session.commit()
    return counts
