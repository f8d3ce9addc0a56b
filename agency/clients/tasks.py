"""Job functions of the handoff intake. They take ids, commit their own work, may run twice."""

from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa

from agency import audit, jobs
from agency.clients.intake import checked
from agency.clients.intake.importer import Report, import_rows
from agency.clients.intake.reader import FileRejected
from agency.clients.models import Client, Handoff, HandoffStatus
from agency.clients.operations import check, check_and_keep, checked_rows_path
from agency.extensions import db
from agency.modeling import today, utcnow

# An import that reported no progress for this long is taken to have died with its worker.
STALL_AFTER = timedelta(minutes=10)


def progress_key(handoff_id: int) -> str:
    return f"handoff:{handoff_id}"


def validate_handoff(handoff_id: int) -> None:
    """Check every row of a handoff and store the row report."""
    handoff = db.session.get(Handoff, handoff_id)
    if handoff is None or handoff.status is not HandoffStatus.VALIDATING:
        return
    check(handoff)
    db.session.commit()


def import_handoff(handoff_id: int) -> None:
    """Import a confirmed handoff: every valid row or nothing."""
    # Claim the handoff atomically: of two runs of this job only one gets it.
    claimed = db.session.execute(
        sa.update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == HandoffStatus.QUEUED)
        .values(status=HandoffStatus.IMPORTING, started_at=utcnow())
    ).rowcount
    db.session.commit()
    if claimed != 1:
        return  # done already, running elsewhere, or not confirmed: nothing to do
    handoff = db.session.get(Handoff, handoff_id)
    key = progress_key(handoff_id)
    jobs.report_progress(key, 0, 1)
    try:
        client = db.session.get(Client, handoff.client_id)
        checked_report = Report.from_dict(handoff.report or {})
        batches = checked.batches(checked_rows_path(handoff))
        if batches is None:
            # No checked rows kept (another machine checked it, or an older format): read again.
            checked_report = check_and_keep(handoff).report
            batches = checked.batches(checked_rows_path(handoff))
        if checked_report.error_count and not handoff.skip_invalid:
            raise FileRejected("the file has rows with errors and was not confirmed without them")
        report = import_rows(
            client,
            handoff,
            batches,
            keys=checked.keys(checked_rows_path(handoff)),
            total=checked_report.valid_rows,
            today=today(),
            progress=lambda done, total: jobs.report_progress(key, done, total),
        )
        for name in (
            "rows",
            "valid_rows",
            "invalid_rows",
            "error_count",
            "errors",
            "skipped_total_rows",
        ):
            setattr(report, name, getattr(checked_report, name))
        report.accepted = True
        handoff.report = report.as_dict()
        handoff.status = HandoffStatus.IMPORTED
        handoff.finished_at = utcnow()
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        handoff = db.session.get(Handoff, handoff_id)
        handoff.status = HandoffStatus.FAILED
        handoff.failure_reason = f"{type(exc).__name__}: {exc}"[:2000]
        handoff.finished_at = utcnow()
        audit.record("handoff.failed", handoff, reason=handoff.failure_reason)
        db.session.commit()
        raise


def fail_stalled_handoffs(now: float | None = None) -> int:
    """Mark imports whose worker died (no progress for a long time) as failed; return how many."""
    now = time.time() if now is None else now
    stalled = 0
    for handoff in db.session.scalars(
        sa.select(Handoff).where(Handoff.status == HandoffStatus.IMPORTING)
    ):
        progress = jobs.read_progress(progress_key(handoff.id))
        last = progress.updated_at if progress else handoff.started_at.timestamp()
        if now - last > STALL_AFTER.total_seconds():
            handoff.status = HandoffStatus.FAILED
            handoff.failure_reason = (
                "The import stopped without finishing (its worker ended). Nothing of this "
                "file was stored; you can start the import again."
            )
            handoff.finished_at = utcnow()
            audit.record("handoff.failed", handoff, reason="stalled")
            stalled += 1
    db.session.commit()
    return stalled
