"""Dunning dispatch through a real RQ worker (`flask worker`) on real Redis.

Collected only when TEST_REDIS_URL is set (see tests/letters/conftest.py).
"""

from __future__ import annotations

import uuid

import pytest

from agency import jobs
from agency.letters.models import Channel, MessageStatus
from agency.letters.tasks import enqueue_dispatch
from tests.conftest import REDIS_URL
from tests.letters.conftest import at, messages
from tests.letters.test_dunning import schedule_only
from tests.test_jobs_rq import run_worker


@pytest.fixture
def app_config():
    return {
        "REDIS_URL": REDIS_URL,
        "RQ_QUEUE": f"test-{uuid.uuid4().hex[:10]}",
        "DUNNING_RETRY_INTERVALS": (0, 0),
    }


def test_a_worker_sends_the_letter_once_even_when_enqueued_twice(app, db, b2c_case):
    backend = jobs.backend_for(app)
    assert isinstance(backend, jobs.RQBackend)
    case = b2c_case()
    letter = next(
        m for m in schedule_only(db, case, at(2025, 3, 20, 10)) if m.channel is Channel.LETTER
    )
    enqueue_dispatch(letter.id)
    enqueue_dispatch(letter.id)  # a sweep and a scheduler both handed it over
    db.session.commit()
    assert backend.queue.count == 2
    try:
        result = run_worker(app)
        assert result.returncode == 0, result.stderr
    finally:
        backend.queue.delete(delete_jobs=True)
    sent = [m for m in messages(db, case.id) if m.channel is Channel.LETTER]
    assert [(m.status, m.attempts) for m in sent] == [(MessageStatus.SENT, 1)]
    assert sent[0].content["reference"] == case.reference
