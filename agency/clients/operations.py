"""State changes around clients: handoffs from upload to confirmation, and API tokens."""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app

from agency import audit, jobs
from agency.auth.models import User
from agency.clients.intake import checked
from agency.clients.intake.columns import FIELDS
from agency.clients.intake.importer import analyse, read_and_map, remember_mapping
from agency.clients.intake.reader import FileRejected
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


def handoff_path(handoff: Handoff) -> Path:
    """Return where the file of a handoff is kept, as it was uploaded."""
    return upload_dir() / handoff.stored_path


def receive_file(
    client: Client,
    upload: bytes | BinaryIO,
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
    Otherwise it waits for the mapping step. ``upload`` is the file's content or an open
    binary file, which is copied to the upload folder without holding it in memory.
    """
    suffix = Path(filename).suffix.lower()[:6] or ".csv"
    checksum, size = _store_upload(client, upload, suffix)
    relative = Path(str(client.id)) / f"{checksum}{suffix}"
    handoff = Handoff(
        client_id=client.id,
        created_by_id=actor.id if actor else None,
        source=source,
        filename=Path(filename).name[:255] or "upload",
        checksum=checksum,
        size_bytes=size,
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
        size=size,
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
        table, mapping = read_and_map(upload_dir() / relative, filename, client.id)
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


def _store_upload(client: Client, upload: bytes | BinaryIO, suffix: str) -> tuple[str, int]:
    """Copy an upload to the client's folder, named by its SHA-256; return (checksum, size)."""
    folder = upload_dir() / str(client.id)
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".upload", delete=False) as partial:
        try:
            if isinstance(upload, bytes):
                digest.update(upload)
                partial.write(upload)
                size = len(upload)
            else:
                while chunk := upload.read(_COPY_CHUNK):
                    digest.update(chunk)
                    partial.write(chunk)
                    size += len(chunk)
        except BaseException:
            Path(partial.name).unlink(missing_ok=True)
            raise
    checksum = digest.hexdigest()
    target = folder / f"{checksum}{suffix}"
    if target.exists():
        Path(partial.name).unlink()
    else:
        os.replace(partial.name, target)
    return checksum, size


_COPY_CHUNK = 1024 * 1024


def mapped_table(handoff: Handoff):
    """Read the handoff's file with the columns as confirmed for it."""
    chosen = {int(i): f for i, f in (handoff.mapping or {}).items()}
    return read_and_map(handoff_path(handoff), handoff.filename, handoff.client_id, chosen)


def check_and_keep(handoff: Handoff):
    """Check every row of the handoff's file, keeping the rows that pass for the import."""
    client = db.session.get(Client, handoff.client_id)
    table, mapping = mapped_table(handoff)
    with checked.writer(checked_rows_path(handoff)) as keep:
        return analyse(client, table, mapping, keep=keep)


def check(handoff: Handoff):
    """Check every row and keep the row report on the handoff; return the analysis or None."""
    try:
        analysis = check_and_keep(handoff)
    except FileRejected as rejected:
        _reject(handoff, str(rejected))
        return None
    handoff.report = analysis.report.as_dict()
    handoff.status = HandoffStatus.VALIDATED
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
            handoff_path(handoff), handoff.filename, handoff.client_id, chosen
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


def confirm(
    handoff: Handoff, *, skip_invalid: bool, actor: User | None, queue: bool = True
) -> Handoff:
    """The client confirms the row report: queue the import (``queue=False``: the caller runs
    `import_handoff` itself after the commit, as the CLI does)."""
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
    if queue:
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
