"""Agency: case management for an outsourced debt-collection agency."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, render_template, request
from werkzeug.middleware.proxy_fix import ProxyFix

from agency import jobs
from agency.config import DEFAULTS, ENVIRONMENTS, from_environ
from agency.errors import ConfigurationError
from agency.extensions import babel, csrf, db, limiter, login_manager, migrate


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, error pages and commands."""
    app = Flask(__name__, instance_relative_config=True)
    _load_settings(app, config)
    _register_extensions(app)
    _register_blueprints(app)
    _register_errorhandlers(app)
    _register_commands(app)
    _register_jobs(app)
    return app


def _load_settings(app: Flask, config: Mapping[str, Any] | None) -> None:
    app.config.update(DEFAULTS)
    app.config.update(from_environ())
    if config:
        app.config.update(config)
    env = app.config["AGENCY_ENV"]
    if env not in ENVIRONMENTS:
        raise ConfigurationError(
            f"AGENCY_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}"
        )
    app.config["TESTING"] = app.config.get("TESTING") or env == "test"
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'agency.db'}"
    if not app.config["SECRET_KEY"]:
        if env == "production":
            raise ConfigurationError("SECRET_KEY must be set (AGENCY_ENV is production)")
        app.config["SECRET_KEY"] = _development_secret(Path(app.instance_path))
    app.config["MAX_CONTENT_LENGTH"] = app.config["UPLOAD_MAX_MB"] * 1024 * 1024
    limiter_storage = app.config.get("REDIS_URL") or "memory://"
    app.config.setdefault("RATELIMIT_STORAGE_URI", limiter_storage)
    if proxies := app.config["TRUSTED_PROXIES"]:
        # Behind a proxy, the client's address (for rate limits) and scheme come from it.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)


def _development_secret(instance: Path) -> str:
    """Keep one random key per instance folder so development sessions survive a restart."""
    path = instance / "secret_key"
    try:
        # Created with mode 0600 from the start: the key is never readable by others.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _register_extensions(app: Flask) -> None:
    from agency.auth.access import select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    # Import the models so that every table is known to metadata and to Alembic.
    from agency import models  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from agency.api.views import bp as api_bp
    from agency.auth.views import bp as auth_bp
    from agency.cases.views import bp as cases_bp
    from agency.clients.views import bp as clients_bp
    from agency.contact_log.views import bp as contact_log_bp
    from agency.contact_log.webhooks import bp as twilio_bp
    from agency.ledger.views import bp as ledger_bp
    from agency.letters.views import bp as letters_bp
    from agency.paylink.staff import bp as paylink_staff_bp
    from agency.paylink.views import bp as paylink_bp
    from agency.paylink.webhooks import bp as webhooks_bp
    from agency.portal import (  # noqa: F401 - add their pages to the portal
        direct_payments,
        disputes,
        handoffs,
        remittances,
        reports,
    )
    from agency.portal.views import bp as portal_bp
    from agency.reports.views import bp as reports_bp
    from agency.sandbox.views import bp as sandbox_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(contact_log_bp)
    app.register_blueprint(twilio_bp)
    app.register_blueprint(clients_bp, url_prefix="/clients")
    app.register_blueprint(sandbox_bp, url_prefix="/sandbox")
    app.register_blueprint(letters_bp, url_prefix="/letters")
    app.register_blueprint(paylink_bp)
    app.register_blueprint(paylink_staff_bp)
    app.register_blueprint(ledger_bp, url_prefix="/money")
    app.register_blueprint(portal_bp, url_prefix="/portal")
    app.register_blueprint(reports_bp, url_prefix="/reports")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(webhooks_bp)

    from agency import formatting

    formatting.init_app(app)

    @app.context_processor
    def _layout_context() -> dict[str, Any]:
        return {
            "agency_name": app.config["AGENCY_NAME"],
            "agency_registration": app.config["AGENCY_REGISTRATION"],
            "upload_max_mb": app.config["UPLOAD_MAX_MB"],
        }

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def _register_errorhandlers(app: Flask) -> None:
    def render_error(error):
        code = getattr(error, "code", 500) or 500
        if request.path.startswith("/api/"):
            body = {"error": getattr(error, "name", "Internal Server Error")}
            if code == 413:
                body["message"] = f"the upload limit is {app.config['UPLOAD_MAX_MB']} MB"
            return body, code
        return render_template("errors/error.html", code=code), code

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, render_error)


def _register_commands(app: Flask) -> None:
    from agency.cli import register

    register(app)


def _register_jobs(app: Flask) -> None:
    from agency.cases.tasks import (
        refresh_case_priorities,
        resume_paused_cases,
        score_new_cases,
    )
    from agency.clients.tasks import fail_stalled_handoffs
    from agency.contact_log.tasks import check_arrangements, settle_promises
    from agency.ledger.tasks import monthly_remittance
    from agency.letters.tasks import schedule_due_messages
    from agency.paylink.tasks import check_open_payments
    from agency.reports.tasks import mail_monthly_reports

    jobs.init_app(
        app,
        periodic=[
            jobs.Periodic(resume_paused_cases, cron="5 * * * *"),
            jobs.Periodic(fail_stalled_handoffs, cron="*/5 * * * *"),
            jobs.Periodic(settle_promises, cron="20 * * * *"),
            jobs.Periodic(check_arrangements, cron="25 * * * *"),
            jobs.Periodic(refresh_case_priorities, cron="40 * * * *"),
            jobs.Periodic(schedule_due_messages, cron="*/15 * * * *"),
            jobs.Periodic(score_new_cases, cron="*/5 * * * *"),
            jobs.Periodic(check_open_payments, cron="*/10 * * * *"),
            # Remittance to clients: early on the first of the month, for last month.
            jobs.Periodic(monthly_remittance, cron="30 6 1 * *"),
            # Last month's report to each client's portal users, on the second at 07:00.
            jobs.Periodic(mail_monthly_reports, cron="0 7 2 * *"),
        ],
    )

    @app.before_request
    def _start_background_work() -> None:
        jobs.backend_for(app).start(app)
