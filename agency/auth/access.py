"""The access check of each realm, written once: staff back office and client portal."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g, request, session
from flask_login import current_user

from agency.auth.models import Role, User
from agency.extensions import db, login_manager

M = TypeVar("M")


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.is_active else None


def select_locale() -> str:
    """Choose the page language: the session's choice, the user's, then the browser's. The
    debtor's payment page chooses its own (agency/paylink/views.py)."""
    if debtor_locale := g.get("paylink_locale"):
        return debtor_locale
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def require_staff() -> Any:
    """Before-request check of the back office: a logged-in, active staff member."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_staff:
        abort(403)
    return None


def require_client_user() -> Any:
    """Before-request check of the client portal: a logged-in user of one client."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role is not Role.CLIENT or current_user.client_id is None:
        abort(403)
    return None


def roles_required(*roles: Role) -> Callable:
    """Allow a back-office view only to the given staff roles."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def portal_get(model: type[M], object_id: int) -> M:
    """Load a client-owned row for the portal user, or 404 when missing or another client's."""
    obj = db.session.get(model, object_id)
    if obj is None or obj.client_id != current_user.client_id:
        abort(404)
    return obj


def staff_get(model: type[M], object_id: int) -> M:
    """Load a row for a staff member, or 404."""
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj
