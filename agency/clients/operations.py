"""State changes around clients: handoffs from upload to confirmation, and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from agency import audit, jobs
from agency.auth.models import User
from agency.clients.intake import checked
from agency.clients.intake.columns import FIELDS
from agency.clients.intake.importer import analyse, read_and_map, remember_mapping
from agency.clients.intake.reader import FileRejected, sha256_hex
from agency.clients.models import ApiToken, Client, Handoff, HandoffSource, HandoffStatus
from agency.errors import AgencyError
from agency.extensions import db
from agency.modeling import utcnow


class HandoffError(AgencyError):
    """A handoff cannot move on as asked."""


def upload_dir() -> Path:
    """Where handed-over files are kept (outside the web root; shared with the workers)."""
    path = Path(current_app.config.get("UPLOAD_DIR") or Path(current_app.instance_path) / "uploads")
    path.mkdir(parents=True, exist_ok=True)
    return path


def checked_rows_path(handoff: Handoff) -> Path:
    """Where the rows accepted by the last check of this handoff are kept."""
    return upload_dir() / str(handoff.client_id) / f"handoff-{handoff.id}.checked.csv"


def handoff_bytes(handoff: Handoff) -> bytes:
    """Return the file of a handoff as it was uploaded."""
    return (upload_dir() / handoff.stored_path).read_bytes()


def receive_file(
    client: Client,
    data: bytes,
    filename: str,
    *,
    source: HandoffSource,
    actor: User | None = None,
    check_now: bool = False,
) -> Handoff:
    """Store an uploaded file as a handoff and decide its next step.

    The same file as an earlier imported handoff of this client is marked a duplicate and goes
    no further. Otherwise, when every column is understood (by synonyms or the client's
    remembered mapping) it is checked: by a job, or right here with `check_now` (API, CLI).
    Otherwise it waits for the mapping step.
    """
    checksum = sha256_hex(data)
    suffix = Path(filename).suffix.lower()[:6] or ".csv"
    relative = Path(str(client.id)) / f"{checksum}{suffix}"
    target = upload_dir() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.write_bytes(data)
    handoff = Handoff(
        client_id=client.id,
        created_by_id=actor.id if actor else None,
        source=source,
        filename=Path(filename).name[:255] or "upload",
        checksum=checksum,
        size_bytes=len(data),
        stored_path=str(relative),
        status=HandoffStatus.UPLOADED,
    )
    db.session.add(handoff)
    db.session.flush()
    audit.record(
        "handoff.received",
        handoff,
        actor=actor,
        filename=handoff.filename,
        size=len(data),
        checksum=checksum,
    )
    earlier = db.session.scalar(
        sa.select(Handoff)
        .where(
            Handoff.client_id == client.id,
            Handoff.checksum == checksum,
            Handoff.status == HandoffStatus.IMPORTED,
            Handoff.id != handoff.id,
        )
        .order_by(Handoff.id)
    )
    if earlier is not None:
        handoff.status = HandoffStatus.DUPLICATE
        handoff.duplicate_of_id = earlier.id
        handoff.report = earlier.report
        return handoff
    try:
        table, mapping = read_and_map(data, filename, client.id)
    except FileRejected as rejected:
        return _reject(handoff, str(rejected))
    handoff.mapping = {str(i): f for i, f in mapping.columns.items()}
    if mapping.missing or (mapping.unrecognised and not check_now):
        return handoff
    if check_now:
        check(handoff)
    else:
        start_validation(handoff)
    return handoff


def mapped_table(handoff: Handoff):
    """Read the handoff's file with the columns as confirmed for it."""
    chosen = {int(i): f for i, f in (handoff.mapping or {}).items()}
    return read_and_map(handoff_bytes(handoff), handoff.filename, handoff.client_id, chosen)


def check(handoff: Handoff):
    """Check every row and keep the row report on the handoff; return the analysis or None."""
    client = db.session.get(Client, handoff.client_id)
    try:
        table, mapping = mapped_table(handoff)
        analysis = analyse(client, table, mapping)
    except FileRejected as rejected:
        _reject(handoff, str(rejected))
        return None
    handoff.report = analysis.report.as_dict()
    handoff.status = HandoffStatus.VALIDATED
    checked.save(checked_rows_path(handoff), analysis.parsed.rows)
    audit.record(
        "handoff.validated", handoff, rows=analysis.report.rows, errors=analysis.report.error_count
    )
    return analysis


def _reject(handoff: Handoff, reason: str) -> Handoff:
    handoff.status = HandoffStatus.REJECTED
    handoff.failure_reason = reason
    handoff.finished_at = utcnow()
    audit.record("handoff.rejected", handoff, reason=reason)
    return handoff


def choose_mapping(handoff: Handoff, chosen: Mapping[int, str], *, actor: User | None) -> Handoff:
    """Take the user's meaning of each column, remember it for the client, and check the file."""
    if handoff.status not in (
        HandoffStatus.UPLOADED,
        HandoffStatus.VALIDATED,
        HandoffStatus.REJECTED,
    ):
        raise HandoffError("the columns of this handoff can no longer be changed")
    unknown = {f for f in chosen.values() if f and f not in FIELDS}
    if unknown:
        raise HandoffError(f"unknown field(s): {', '.join(sorted(unknown))}")
    try:
        table, mapping = read_and_map(
            handoff_bytes(handoff), handoff.filename, handoff.client_id, chosen
        )
    except FileRejected as rejected:
        return _reject(handoff, str(rejected))
    if mapping.missing:
        names = ", ".join(f"{FIELDS[m].label_nl} / {FIELDS[m].label_en}" for m in mapping.missing)
        raise HandoffError(f"still missing: {names}")
    remember_mapping(handoff.client_id, table.headers, mapping.columns)
    handoff.mapping = {str(i): f for i, f in mapping.columns.items()}
    handoff.failure_reason = None
    audit.record("handoff.mapped", handoff, actor=actor, mapping=handoff.mapping)
    start_validation(handoff)
    return handoff


def start_validation(handoff: Handoff) -> Handoff:
    """Queue the row check of a handoff."""
    from agency.clients.tasks import validate_handoff

    handoff.status = HandoffStatus.VALIDATING
    jobs.enqueue(validate_handoff, handoff.id)
    return handoff


def confirm(handoff: Handoff, *, skip_invalid: bool, actor: User | None) -> Handoff:
    """The client confirms the row report: queue the import."""
    from agency.clients.tasks import import_handoff

    if handoff.status not in (HandoffStatus.VALIDATED, HandoffStatus.FAILED):
        raise HandoffError("only a checked handoff can be imported")
    report = handoff.report or {}
    if report.get("error_count") and not skip_invalid:
        raise HandoffError(
            "the file has rows with errors: correct them, or import only the valid rows"
        )
    if not report.get("valid_rows"):
        raise HandoffError("the file has no row that can be imported")
    handoff.status = HandoffStatus.QUEUED
    handoff.skip_invalid = skip_invalid
    handoff.failure_reason = None
    audit.record("handoff.confirmed", handoff, actor=actor, skip_invalid=skip_invalid)
    jobs.enqueue(import_handoff, handoff.id, timeout=3600)
    return handoff


def create_api_token(client: Client, name: str, *, actor: User | None) -> tuple[ApiToken, str]:
    """Make an API token for a client; the plain token is returned once and never stored."""
    plain = f"agy_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        client_id=client.id,
        name=name.strip()[:80] or "API",
        token_hash=hashlib.sha256(plain.encode()).hexdigest(),
        prefix=plain[:10],
        created_by_id=actor.id if actor else None,
    )
    db.session.add(token)
    db.session.flush()
    audit.record("api_token.created", token, actor=actor, name=token.name, prefix=token.prefix)
    return token, plain


def revoke_api_token(token: ApiToken, *, actor: User | None) -> ApiToken:
    """Stop a token from working."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("api_token.revoked", token, actor=actor, prefix=token.prefix)
    return token
