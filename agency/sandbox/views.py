"""Back-office page: which services are live, what the sandbox recorded, failed in-process jobs."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template

from agency import jobs
from agency.auth.access import require_staff, roles_required
from agency.auth.models import Role
from agency.extensions import db
from agency.sandbox.models import SandboxRecord
from agency.sandbox.operations import service_modes

bp = Blueprint("sandbox", __name__)
bp.before_request(require_staff)


@bp.route("/")
@roles_required(Role.ADMIN, Role.SUPERVISOR)
def index():
    records = db.session.scalars(
        sa.select(SandboxRecord).order_by(SandboxRecord.id.desc()).limit(200)
    ).all()
    backend = jobs.backend_for(current_app)
    failed = getattr(backend, "failed", [])
    return render_template(
        "sandbox/index.html",
        modes=service_modes(current_app),
        records=records,
        failed=failed,
        job_backend="rq" if isinstance(backend, jobs.RQBackend) else "thread",
    )
