"""State changes of users: creation, password checks with throttling, language."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from agency import audit
from agency.auth import totp
from agency.auth.models import Role, User
from agency.clients.models import Client
from agency.errors import AgencyError, LoginRefused
from agency.extensions import db

# Checked against when the e-mail is unknown, so both paths cost one hash.
_DUMMY_HASH = generate_password_hash("not a password", method="pbkdf2:sha256:1000")


class UserError(AgencyError):
    """A user cannot be created or changed as asked."""


def hash_password(password: str) -> str:
    """Hash a password with the configured method."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def create_user(
    email: str,
    name: str,
    password: str,
    role: Role,
    *,
    client: Client | None = None,
    language: str = "nl",
    actor: User | None = None,
) -> User:
    """Add a user; a client user needs its client, staff have none."""
    email = email.strip().lower()
    if len(password) < 8:
        raise UserError("a password needs at least 8 characters")
    if (role is Role.CLIENT) != (client is not None):
        raise UserError("a client user needs a client, and only a client user has one")
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise UserError(f"a user with e-mail {email} exists already")
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        role=role,
        client=client,
        language=language,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", user, actor=actor, client_id=user.client_id, role=role.value)
    return user


def authenticate(email: str, password: str, now: datetime) -> User:
    """Return the user these credentials belong to, counting failures and locking after many.

    The login is complete only after `record_login` (and, with TOTP, `verify_second_factor`).
    """
    email = email.strip().lower()
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        raise LoginRefused("invalid")
    if user.locked_until is not None and user.locked_until > now:
        audit.record("auth.login_locked", user, client_id=user.client_id)
        raise LoginRefused("locked")
    if not check_password_hash(user.password_hash, password) or not user.is_active:
        _count_failure(user, now, "auth.login_failed")
    return user


def _count_failure(user: User, now: datetime, action: str) -> None:
    user.failed_logins += 1
    if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
        user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
        user.failed_logins = 0
    audit.record(action, user, client_id=user.client_id)
    raise LoginRefused("invalid")


def verify_second_factor(user: User, code: str, now: datetime) -> User:
    """Check the TOTP code of a user whose password was right; wrong codes count as failures."""
    if user.locked_until is not None and user.locked_until > now:
        raise LoginRefused("locked")
    step = totp.matching_step(user.totp_secret, code, now) if user.totp_secret else None
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        _count_failure(user, now, "auth.totp_failed")
    user.totp_last_step = step
    return user


def record_login(user: User, now: datetime, **detail: str) -> User:
    """Note a completed login: failures forgotten, time kept, audit event written."""
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record("auth.login", user, actor=user, client_id=user.client_id, **detail)
    return user


def set_language(user: User, language: str) -> User:
    """Remember the user's page language."""
    user.language = language
    return user
