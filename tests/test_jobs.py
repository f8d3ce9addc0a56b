"""Jobs leave only after the commit, run under the thread backend and under real RQ workers."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from rq import Retry

from agency import jobs
from agency.cases.operations import pause
from agency.cases.tasks import resume_paused_cases
from agency.sandbox.models import SandboxRecord
from tests import jobfuncs


def runs(db, label: str) -> int:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(SandboxRecord).where(SandboxRecord.summary == label)
    )


def paused_case(make_case, db):
    case = make_case(100_00)
    pause(case, "client request", date.today() - timedelta(days=1))
    db.session.commit()
    return case


def test_a_job_waits_for_the_commit(app, db, make_case):
    case = paused_case(make_case, db)
    backend = jobs.backend_for(app)
    jobs.enqueue(resume_paused_cases)
    assert backend.wait_idle(2)
    db.session.refresh(case)
    assert case.paused_reason == "client request"  # nothing ran before the commit
    db.session.commit()
    assert backend.wait_idle(10)
    db.session.refresh(case)
    assert case.paused_reason is None and case.paused_until is None


def test_a_rolled_back_job_never_runs(app, db, make_case):
    case = paused_case(make_case, db)
    jobs.enqueue(resume_paused_cases)
    db.session.rollback()
    db.session.commit()
    assert jobs.backend_for(app).wait_idle(5)
    db.session.refresh(case)
    assert case.paused_reason == "client request"


def test_the_thread_backend_retries_as_rq_would(app, db):
    jobs.enqueue(jobfuncs.fail_first_time, "flaky", retry=Retry(max=2, interval=0))
    db.session.commit()
    backend = jobs.backend_for(app)
    assert backend.wait_idle(10)
    assert runs(db, "flaky") == 2
    assert backend.failed == []


def test_a_job_that_keeps_failing_is_kept_as_failed(app, db):
    jobs.enqueue(jobfuncs.fail_after_recording, "broken", retry=Retry(max=1, interval=0))
    db.session.commit()
    backend = jobs.backend_for(app)
    assert backend.wait_idle(10)
    assert runs(db, "broken") == 2
    assert [f.name for f in backend.failed] == ["tests.jobfuncs.fail_after_recording"]


def test_worker_and_cron_commands_need_redis(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL is not set" in result.output
    result = runner.invoke(args=["cron"])
    assert result.exit_code != 0 and "REDIS_URL is not set" in result.output


def test_periodic_jobs_are_registered(app):
    periodic = app.extensions["agency.periodic"]
    assert [(p.name, p.cron) for p in periodic] == [
        ("agency.cases.tasks.resume_paused_cases", "5 * * * *"),
        ("agency.clients.tasks.fail_stalled_handoffs", "*/5 * * * *"),
        ("agency.contact_log.tasks.settle_promises", "20 * * * *"),
        ("agency.contact_log.tasks.check_arrangements", "25 * * * *"),
        ("agency.cases.tasks.refresh_case_priorities", "40 * * * *"),
        ("agency.letters.tasks.schedule_due_messages", "*/15 * * * *"),
        ("agency.cases.tasks.score_new_cases", "*/5 * * * *"),
        ("agency.paylink.tasks.check_open_payments", "*/10 * * * *"),
        ("agency.ledger.tasks.monthly_remittance", "30 6 1 * *"),
        ("agency.reports.tasks.mail_monthly_reports", "0 7 2 * *"),
    ]
