"""Login, second factor, logout, language switch and the account's security page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.security import check_password_hash

from agency import audit
from agency.auth import totp
from agency.auth.forms import LanguageForm, LoginForm, LogoutForm, TotpDisableForm, TotpForm
from agency.auth.models import User
from agency.auth.operations import (
    authenticate,
    record_login,
    set_language,
    verify_second_factor,
)
from agency.errors import LoginRefused
from agency.extensions import db, limiter
from agency.i18n import gettext as _
from agency.modeling import utcnow

bp = Blueprint("auth", __name__)


def home_url(user: User) -> str:
    """Where a user lands after login: the back office for staff, the portal for clients."""
    return url_for("cases.dashboard") if user.is_staff else url_for("portal.home")


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _finish_login(user: User) -> str:
    target = _safe_next(session.get("login_next"))
    session.clear()  # a new session id after login: no session fixation
    login_user(user)
    session["lang"] = user.language
    return target or home_url(user)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    form = LoginForm()
    if request.method == "GET" and request.args.get("next"):
        session["login_next"] = request.args["next"]
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data, utcnow())
        except LoginRefused as refused:
            db.session.commit()  # keep the failure count and the audit event
            if str(refused) == "locked":
                flash(_("Too many failed attempts. Try again later."), "error")
            else:
                flash(_("E-mail or password is not right."), "error")
            return render_template("auth/login.html", form=form), 401
        if user.totp_secret:
            session["totp_user_id"] = user.id
            return redirect(url_for("auth.login_totp"))
        record_login(user, utcnow())
        db.session.commit()
        return redirect(_finish_login(user))
    return render_template("auth/login.html", form=form)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login_totp():
    user_id = session.get("totp_user_id")
    user = db.session.get(User, user_id) if user_id else None
    if user is None or not user.totp_secret:
        return redirect(url_for("auth.login"))
    form = TotpForm()
    if form.validate_on_submit():
        try:
            verify_second_factor(user, form.code.data, utcnow())
        except LoginRefused as refused:
            db.session.commit()  # keep the failure count and the audit event
            if str(refused) == "locked":
                session.pop("totp_user_id", None)
                flash(_("Too many failed attempts. Try again later."), "error")
            else:
                flash(_("That code is not right."), "error")
            return render_template("auth/totp.html", form=form), 401
        record_login(user, utcnow(), factor="totp")
        db.session.commit()
        return redirect(_finish_login(user))
    return render_template("auth/totp.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    form = LogoutForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        audit.record(
            "auth.logout", current_user, actor=current_user, client_id=current_user.client_id
        )
        db.session.commit()
        logout_user()
        session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def language():
    form = LanguageForm()
    target = _safe_next(form.next.data) or url_for("auth.login")
    if form.validate_on_submit():
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            set_language(current_user, form.lang.data)
            db.session.commit()
    return redirect(target)


@bp.route("/account/security", methods=["GET", "POST"])
@login_required
def security():
    """Turn the second factor on (scan, confirm a code) or off (with the password)."""
    user: User = current_user
    if user.totp_secret:
        form = TotpDisableForm()
        if form.validate_on_submit():
            if check_password_hash(user.password_hash, form.password.data):
                user.totp_secret = None
                audit.record("auth.totp_disabled", user, actor=user, client_id=user.client_id)
                db.session.commit()
                flash(_("Two-step login is off."), "success")
                return redirect(url_for("auth.security"))
            flash(_("E-mail or password is not right."), "error")
        return render_template("auth/security.html", form=form, enabled=True)
    secret = session.setdefault("totp_setup_secret", totp.new_secret())
    form = TotpForm()
    if form.validate_on_submit():
        if totp.verify(secret, form.code.data):
            user.totp_secret = secret
            session.pop("totp_setup_secret", None)
            audit.record("auth.totp_enabled", user, actor=user, client_id=user.client_id)
            db.session.commit()
            flash(_("Two-step login is on."), "success")
            return redirect(url_for("auth.security"))
        flash(_("That code is not right."), "error")
    qr = totp.provisioning_qr_svg(secret, user.email, current_app.config["AGENCY_NAME"])
    return render_template("auth/security.html", form=form, enabled=False, qr=qr, secret=secret)
