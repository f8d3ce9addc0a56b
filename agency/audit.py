"""Append-only audit events: who did what to which object, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from agency.errors import AgencyError
from agency.extensions import db
from agency.modeling import UTCDateTime, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(sa.String(80))
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int | None] = mapped_column()
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    __table_args__ = (sa.Index(None, "object_type", "object_id"),)


class AuditTampering(AgencyError):
    """Something tried to change or delete an audit event."""


def record(
    action: str,
    obj: Any = None,
    *,
    actor: Any = None,
    client_id: int | None = None,
    **data: Any,
) -> AuditEvent:
    """Add an audit event for `action` on `obj` by `actor` (a User, or None for the system)."""
    obj, actor = (_unproxied(x) for x in (obj, actor))
    if obj is not None and getattr(obj, "id", None) is None:
        db.session.flush()
    label = "system" if actor is None else f"user:{actor.email}"
    event_row = AuditEvent(
        actor_id=getattr(actor, "id", None),
        actor_label=label,
        action=action,
        object_type=type(obj).__tablename__ if obj is not None else "-",
        object_id=getattr(obj, "id", None),
        client_id=client_id if client_id is not None else getattr(obj, "client_id", None),
        data=data,
    )
    db.session.add(event_row)
    return event_row


def _unproxied(value: Any) -> Any:
    """Return the object behind a LocalProxy such as `current_user`."""
    get = getattr(value, "_get_current_object", None)
    return get() if get is not None else value


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditTampering("audit events are append-only")
