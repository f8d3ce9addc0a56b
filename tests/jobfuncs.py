"""Job functions used by the job tests; each run leaves a SandboxRecord so a test can count runs."""

from __future__ import annotations

from agency.extensions import db
from agency.sandbox.operations import record


def record_run(label: str) -> None:
    """Leave one record and commit it."""
    record("test", "run", label)
    db.session.commit()


def fail_after_recording(label: str) -> None:
    """Leave a record, then fail."""
    record_run(label)
    raise RuntimeError(f"{label} failed on purpose")


def fail_first_time(label: str) -> None:
    """Fail on the first run (no record yet), succeed on the next."""
    from agency.sandbox.models import SandboxRecord

    runs = db.session.query(SandboxRecord).filter_by(summary=label).count()
    record_run(label)
    if runs == 0:
        raise RuntimeError(f"{label} fails once")


def record_cron_run() -> None:
    """A periodic job: leave one record labelled "from-cron"."""
    record_run("from-cron")
