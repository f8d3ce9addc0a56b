"""Job functions of client money. They commit their own work and may run twice."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from agency.extensions import db
from agency.ledger.models import RemittanceRun
from agency.ledger.remittance import RemittanceRefused, create_run
from agency.modeling import today as local_today


def monthly_remittance(today: str | None = None) -> int | None:
    """Make the month's remittance run (payments up to the last day of last month).

    Returns the run's number, or None when this month's run exists or nothing was collected.
    """
    day = date.fromisoformat(today) if today else local_today()
    cutoff = day.replace(day=1) - timedelta(days=1)
    done = db.session.scalar(sa.select(RemittanceRun.id).where(RemittanceRun.cutoff_on >= cutoff))
    if done is not None:
        return None
    try:
        run = create_run(cutoff, day, current_app.config)
    except RemittanceRefused:
        db.session.rollback()
        return None
    db.session.commit()
    return run.number
