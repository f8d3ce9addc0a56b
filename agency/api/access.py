"""The access check of the API realm: a client's bearer token, and objects of that client only."""

from __future__ import annotations

import hashlib
from typing import TypeVar

import sqlalchemy as sa
from flask import abort, g, request

from agency.clients.models import ApiToken, Client
from agency.extensions import db
from agency.modeling import utcnow

M = TypeVar("M")


def require_api_client() -> None:
    """Before-request check: a valid, unrevoked token; sets `g.api_client`."""
    header = request.headers.get("Authorization", "")
    scheme, _, plain = header.partition(" ")
    if scheme.lower() != "bearer" or not plain.strip():
        abort(401)
    digest = hashlib.sha256(plain.strip().encode()).hexdigest()
    token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))
    )
    if token is None:
        abort(401)
    token.last_used_at = utcnow()
    g.api_client = db.session.get(Client, token.client_id)
    g.api_token = token


def api_get(model: type[M], object_id: int) -> M:
    """Load a row of the token's client, or 404 when missing or another client's."""
    obj = db.session.get(model, object_id)
    if obj is None or obj.client_id != g.api_client.id:
        abort(404)
    return obj
