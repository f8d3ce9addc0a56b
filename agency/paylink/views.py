"""The debtor's payment page at /pay/<token>: a check of one thing the agency knows, then what
is owed and what the debtor can do about it. Nothing here tells whether a case exists: an
unknown, revoked or expired token gets the same friendly page with the agency's contacts."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from agency.cases.forms import choices
from agency.clients.operations import upload_dir
from agency.contact_log.models import DisputeReason
from agency.contact_log.operations import UploadedFile
from agency.errors import AgencyError
from agency.extensions import db, limiter
from agency.i18n import gettext as _
from agency.letters.links import TokenState, find_token, is_locked
from agency.modeling import today, utcnow
from agency.paylink import operations, queries
from agency.paylink.forms import (
    AlreadyPaidForm,
    CallbackForm,
    CheckForm,
    ContactDetailsForm,
    CopyForm,
    DisputeForm,
    LanguageForm,
    PayForm,
    PlanForm,
    PromiseForm,
)
from agency.paylink.labels import PAYMENT_STATUS_LABELS
from agency.paylink.models import PaymentStatus

bp = Blueprint("paylink", __name__)

LANGUAGES = ("nl", "en", "de", "fr")
CHECKED = "paylink_checked"  # session key: ids of the links whose check the visitor passed
LAST_PAYMENT = "paylink_payment"  # session key: {link id: public id of the last payment}


def _rate_limit() -> str:
    return current_app.config["PAYLINK_RATE_LIMIT"]


def _check_rate_limit() -> str:
    return current_app.config["PAYLINK_CHECK_RATE_LIMIT"]


@bp.before_request
def _load_link() -> None:
    row, state = find_token((request.view_args or {}).get("token", ""))
    g.paylink_row, g.paylink_state = row, state
    g.paylink_locale = _debtor_locale(row if state is TokenState.VALID else None)


def _debtor_locale(row) -> str:
    chosen = session.get("paylink_lang")
    if chosen in LANGUAGES:
        return chosen
    if row is not None and row.case.debtor.language in LANGUAGES:
        return row.case.debtor.language
    return request.accept_languages.best_match(LANGUAGES) or "nl"


@bp.after_request
def _security_headers(response):
    """Strict headers: no inline script, no framing, and no Referer (it would carry the token)."""
    form_action = " ".join(["'self'", *current_app.config["PAYLINK_FORM_ACTION"]])
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


def _gone():
    """The one answer for an unknown, revoked or expired link."""
    return render_template("paylink/gone.html", language_form=None), 404


def _checked(row) -> bool:
    return row is not None and row.id in session.get(CHECKED, [])


def _valid_link():
    """Return the request's link when it opens the page now; None: answer with the gone page."""
    return g.paylink_row if g.paylink_state is TokenState.VALID else None


def _language_form() -> LanguageForm:
    form = LanguageForm(formdata=None)
    form.lang.data = str(g.paylink_locale)
    return form


def _dispute_choices(view) -> list:
    return choices((item.invoice.id, item.invoice.number) for item in view.invoices)


def _page(token: str, row, status: int = 200, **forms):
    """Render the page after the check, with bound forms passed in and fresh ones otherwise."""
    case = row.case
    view = queries.debtor_view(case)
    day = today()
    pay = forms.get("pay_form") or PayForm(formdata=None)
    if "pay_form" not in forms:
        pay.amount.data = _amount_text(view.balance.total)
    promise = forms.get("promise_form") or PromiseForm(formdata=None)
    if "promise_form" not in forms:
        promise.amount.data = _amount_text(view.balance.total)
        promise.promised_on.data = day + timedelta(days=7)
    plan = forms.get("plan_form") or PlanForm(formdata=None)
    if "plan_form" not in forms:
        plan.instalments.data = min(3, case.client.plan_max_instalments) or 2
        plan.first_due_on.data = day + timedelta(days=7)
    dispute = forms.get("dispute_form") or DisputeForm(formdata=None)
    dispute.invoice.choices = _dispute_choices(view)
    paid = forms.get("paid_form") or AlreadyPaidForm(formdata=None)
    copy = forms.get("copy_form") or CopyForm(formdata=None)
    copy.invoice.choices = _dispute_choices(view)
    callback = forms.get("callback_form") or CallbackForm(formdata=None)
    if "callback_form" not in forms:
        callback.day.data = day + timedelta(days=1)
    contact = forms.get("contact_form") or ContactDetailsForm(formdata=None, obj=case.debtor)
    payment = None
    public_id = request.args.get("payment") or session.get(LAST_PAYMENT, {}).get(str(row.id))
    if public_id:
        payment = queries.case_payment(case.id, public_id[:64])
    return (
        render_template(
            "paylink/page.html",
            token=token,
            view=view,
            case=case,
            payment=payment,
            payment_label=PAYMENT_STATUS_LABELS,
            pay_form=pay,
            promise_form=promise,
            plan_form=plan,
            dispute_form=dispute,
            paid_form=paid,
            copy_form=copy,
            callback_form=callback,
            contact_form=contact,
            language_form=_language_form(),
            plan_max=case.client.plan_max_instalments,
            plan_min=case.client.plan_min_instalment_cents,
        ),
        status,
    )


def _amount_text(cents: int) -> str:
    from agency.formatting import current_locale
    from agency.money import from_cents

    text = f"{from_cents(max(cents, 0)):.2f}"
    return text if current_locale() == "en" else text.replace(".", ",")


def _check_page(token: str, form: CheckForm | None = None, status: int = 200, locked=False):
    return (
        render_template(
            "paylink/check.html",
            token=token,
            form=form or CheckForm(formdata=None),
            locked=locked,
            language_form=_language_form(),
        ),
        status,
    )


def _ask_provider(row, public_id: str) -> bool:
    """The debtor is back while their payment is still open: ask the provider rather than wait
    for its webhook, and settle what it says. Return True when the payment ended."""
    from agency.paylink.payments import Settled, check_payment
    from agency.paylink.providers import ProviderError, WebhookRefused

    payment = queries.case_payment(row.case_id, public_id[:64])
    if payment is None or payment.status is not PaymentStatus.OPEN:
        return False
    try:
        outcome = check_payment(payment)
    except (ProviderError, WebhookRefused) as exc:
        db.session.rollback()
        current_app.logger.warning("payment %s not asked about: %s", payment.public_id, exc)
        return False
    if outcome not in (Settled.BOOKED, Settled.CLOSED):
        db.session.rollback()
        return False
    db.session.commit()
    return True


@bp.route("/pay/<token>")
@limiter.limit(_rate_limit)
def show(token: str):
    row = g.paylink_row
    public_id = request.args.get("payment") or session.get(LAST_PAYMENT, {}).get(
        str(row.id if row else "")
    )
    if public_id and _checked(row) and _ask_provider(row, public_id):
        # Settled just now (paid in full, the case and its link closed): show it afresh.
        return redirect(request.full_path if request.query_string else request.path, 303)
    if g.paylink_state is TokenState.EXPIRED and _checked(row) and public_id:
        # Paid in full: the case closed and so did the link, but the debtor still sees how the
        # payment they just made went.
        payment = queries.case_payment(row.case_id, public_id[:64])
        if payment is not None:
            return render_template(
                "paylink/closed.html",
                payment=payment,
                payment_label=PAYMENT_STATUS_LABELS,
                language_form=None,
            )
    if _valid_link() is None:
        return _gone()
    if not _checked(row):
        return _check_page(token, locked=is_locked(row))
    return _page(token, row)


@bp.route("/pay/<token>/check", methods=["POST"])
@limiter.limit(_check_rate_limit)
def check(token: str):
    row = _valid_link()
    if row is None:
        return _gone()
    form = CheckForm()
    if not form.validate_on_submit():
        return _check_page(token, form, 400)
    config = current_app.config
    now = utcnow()
    passed = operations.record_check(
        row,
        form.answer.data,
        max_failures=config["PAYLINK_MAX_FAILURES"],
        lock_minutes=config["PAYLINK_LOCK_MINUTES"],
        now=now,
    )
    db.session.commit()
    if not passed:
        if is_locked(row, now):
            return _check_page(token, form, 429, locked=True)
        form.answer.errors.append(_("That does not match what we know. Please try again."))
        return _check_page(token, form, 400)
    session[CHECKED] = [row.id, *[i for i in session.get(CHECKED, []) if i != row.id]][:10]
    return redirect(url_for("paylink.show", token=token), 303)


@bp.route("/pay/<token>/language", methods=["POST"])
@limiter.limit(_rate_limit)
def language(token: str):
    form = LanguageForm()
    if form.validate_on_submit():
        session["paylink_lang"] = form.lang.data
    return redirect(url_for("paylink.show", token=token), 303)


def _checked_link(token: str):
    """The link of a debtor's action: valid and checked, else None."""
    row = _valid_link()
    return row if _checked(row) else None


def _refuse(token: str, row):
    if row is None and g.paylink_state is TokenState.VALID:
        return redirect(url_for("paylink.show", token=token), 303)
    return _gone()


def _done(token: str, message: str):
    flash(message, "success")
    return redirect(url_for("paylink.show", token=token, _anchor="top"), 303)


def _files(field) -> list[UploadedFile]:
    uploads = []
    for f in field.data or []:
        if f and f.filename:
            uploads.append(UploadedFile(f.filename, f.read()))
            f.close()
    return uploads


@bp.route("/pay/<token>/pay", methods=["POST"])
@limiter.limit(_rate_limit)
def pay(token: str):
    row = _checked_link(token)
    if row is None:
        return _refuse(token, row)
    from agency.ledger.queries import case_balance
    from agency.paylink.payments import start_payment

    form = PayForm()
    balance = case_balance(row.case_id).total
    if form.validate_on_submit() and not 100 <= form.amount.cents <= balance:
        form.amount.errors.append(
            _(
                "Enter an amount from %(low)s up to %(high)s.",
                low=_eur(100),
                high=_eur(balance),
            )
        )
    if not form.is_submitted() or form.errors or form.amount.errors:
        return _page(token, row, 400, pay_form=form)
    return_url = url_for("paylink.show", token=token, _external=True)
    try:
        checkout = start_payment(
            row.case, form.amount.cents, return_url=return_url, locale=str(g.paylink_locale)
        )
    except AgencyError:
        db.session.rollback()
        form.amount.errors.append(_("The payment could not be started. Please try again later."))
        return _page(token, db.session.merge(row), 503, pay_form=form)
    started = queries.case_payments(row.case_id)[0]
    db.session.commit()
    # The page shows this payment's status when the debtor comes back from the provider.
    session[LAST_PAYMENT] = {str(row.id): started.public_id}
    return redirect(checkout, 303)


def _eur(cents: int) -> str:
    from agency.formatting import eur

    return eur(cents)


@bp.route("/pay/<token>/promise", methods=["POST"])
@limiter.limit(_rate_limit)
def promise(token: str):
    row = _checked_link(token)
    if row is None:
        return _refuse(token, row)
    form = PromiseForm()
    day = today()
    if form.validate_on_submit():
        if form.promised_on.data < day or form.promised_on.data > day + timedelta(days=30):
            form.promised_on.errors.append(_("Choose a date within the next 30 days."))
        else:
            try:
                operations.debtor_promise(
                    row.case, form.amount.cents, form.promised_on.data, today=day
                )
            except AgencyError:
                db.session.rollback()
                form.amount.errors.append(
                    _("We cannot take this promise online. Please call us to arrange it.")
                )
            else:
                db.session.commit()
                return _done(token, _("Thank you. We have noted your promise to pay."))
    return _page(token, db.session.merge(row), 400, promise_form=form)


@bp.route("/pay/<token>/plan", methods=["POST"])
@limiter.limit(_rate_limit)
def plan(token: str):
    row = _checked_link(token)
    if row is None:
        return _refuse(token, row)
    form = PlanForm()
    day = today()
    if form.validate_on_submit():
        if not day <= form.first_due_on.data <= day + timedelta(days=31):
            form.first_due_on.errors.append(_("Choose a date within the next month."))
        else:
            try:
                arrangement = operations.debtor_plan(
                    row.case, form.instalments.data, form.first_due_on.data, today=day
                )
            except AgencyError:
                db.session.rollback()
                form.instalments.errors.append(
                    _("We cannot take a payment plan online for your case. Please call us.")
                )
            else:
                db.session.commit()
                if arrangement.status.value == "active":
                    return _done(token, _("Thank you. Your payment plan has been agreed."))
                return _done(
                    token,
                    _(
                        "Thank you. Your proposal needs the approval of an agent; "
                        "we will let you know."
                    ),
                )
    return _page(token, db.session.merge(row), 400, plan_form=form)


@bp.route("/pay/<token>/dispute", methods=["POST"])
@limiter.limit(_rate_limit)
def dispute(token: str):
    row = _checked_link(token)
    if row is None:
        return _refuse(token, row)
    form = DisputeForm()
    view = queries.debtor_view(row.case)
    form.invoice.choices = _dispute_choices(view)
    if form.validate_on_submit():
        invoice = next(i.invoice for i in view.invoices if i.invoice.id == form.invoice.data)
        try:
            operations.debtor_dispute(
                row.case,
                invoice,
                DisputeReason(form.reason.data),
                form.message.data,
                _files(form.files),
                upload_root=upload_dir(),
                today=today(),
            )
        except AgencyError:
            db.session.rollback()
            form.files.errors.append(
                _("Send up to 5 PDF, PNG or JPEG files of 5 MB each, or call us.")
            )
        else:
            db.session.commit()
            return _done(
                token,
                _("Thank you. We have paused collection and asked the creditor to respond."),
            )
    return _page(token, db.session.merge(row), 400, dispute_form=form)


@bp.route("/pay/<token>/paid", methods=["POST"])
@limiter.limit(_rate_limit)
def already_paid(token: str):
    row = _checked_link(token)
    if row is None:
        return _refuse(token, row)
    form = AlreadyPaidForm()
    if form.validate_on_submit():
        try:
            operations.debtor_already_paid(
                row.case,
                form.amount.cents,
                form.paid_on.data,
                form.note.data or "",
                _files(form.files),
                upload_root=upload_dir(),
                today=today(),
            )
        except AgencyError:
            db.session.rollback()
            form.files.errors.append(
                _(
                    "Check the date (not in the future) and send up to 5 PDF, PNG or JPEG "
                    "files of 5 MB each."
                )
            )
        else:
            db.session.commit()
            return _done(token, _("Thank you. An agent will check your payment."))
    return _page(token, db.session.merge(row), 400, paid_form=form)


@bp.route("/pay/<token>/copy", methods=["POST"])
@limiter.limit(_rate_limit)
def invoice_copy(token: str):
    row = _checked_link(token)
    if row is None:
        return _refuse(token, row)
    form = CopyForm()
    view = queries.debtor_view(row.case)
    form.invoice.choices = _dispute_choices(view)
    if form.validate_on_submit():
        invoice = next(i.invoice for i in view.invoices if i.invoice.id == form.invoice.data)
        operations.debtor_invoice_copy(row.case, invoice, today=today())
        db.session.commit()
        return _done(token, _("Thank you. We will send you a copy of the invoice."))
    return _page(token, row, 400, copy_form=form)


@bp.route("/pay/<token>/callback", methods=["POST"])
@limiter.limit(_rate_limit)
def callback(token: str):
    row = _checked_link(token)
    if row is None:
        return _refuse(token, row)
    form = CallbackForm()
    if form.validate_on_submit():
        zone = ZoneInfo(row.case.debtor.timezone or "Europe/Amsterdam")
        at = datetime.combine(form.day.data, form.time.data, tzinfo=zone)
        try:
            operations.debtor_callback(row.case, at, form.note.data or "", now=utcnow())
        except AgencyError:
            db.session.rollback()
            form.time.errors.append(
                _("Choose a moment in the next 60 days on a working day between 08:00 and 20:00.")
            )
        else:
            db.session.commit()
            return _done(token, _("Thank you. We will call you at the time you chose."))
    return _page(token, db.session.merge(row), 400, callback_form=form)


@bp.route("/pay/<token>/contact", methods=["POST"])
@limiter.limit(_rate_limit)
def contact_details(token: str):
    row = _checked_link(token)
    if row is None:
        return _refuse(token, row)
    form = ContactDetailsForm()
    form.region = row.case.debtor.country
    if form.validate_on_submit():
        values = {name: form[name].data for name in operations.DEBTOR_EDITABLE}
        try:
            operations.debtor_contact_details(row.case, values, today=today())
        except AgencyError:
            db.session.rollback()
            form.email.errors.append(_("Your details could not be saved. Please call us."))
        else:
            db.session.commit()
            return _done(token, _("Thank you. Your contact details have been updated."))
    return _page(token, db.session.merge(row), 400, contact_form=form)
