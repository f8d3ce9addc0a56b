"""Back office of the dunning engine: the outbox, print batches, policies, templates, branding."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from agency.auth.access import require_staff, roles_required, staff_get
from agency.auth.models import Role
from agency.clients.models import Client, Segment
from agency.extensions import db
from agency.i18n import gettext as _
from agency.letters import operations, queries
from agency.letters.forms import (
    CHANNEL_LABELS,
    COSTS_LABELS,
    MESSAGE_STATUS_LABELS,
    OFFSET_LABELS,
    TEMPLATE_LABELS,
    BrandingForm,
    NewPolicyForm,
    NewTemplateForm,
    PlainForm,
    PolicyForm,
    TemplateForm,
)
from agency.letters.models import (
    DunningPolicy,
    LetterTemplate,
    Message,
    MessageStatus,
    OffsetFrom,
    StepCosts,
    TemplateKind,
)
from agency.letters.pdf import letter_pdf, print_batch_pdf
from agency.letters.render import TemplateInvalid
from agency.modeling import today

bp = Blueprint("letters", __name__)
bp.before_request(require_staff)

SUPERVISORS = (Role.ADMIN, Role.SUPERVISOR)


@bp.context_processor
def _labels():
    return {
        "channel_labels": CHANNEL_LABELS,
        "costs_labels": COSTS_LABELS,
        "offset_labels": OFFSET_LABELS,
        "template_labels": TEMPLATE_LABELS,
        "message_status_label": MESSAGE_STATUS_LABELS.__getitem__,
    }


def _pdf(data: bytes, filename: str, *, inline: bool = True, frame: bool = False) -> Response:
    response = Response(data, mimetype="application/pdf")
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    if frame:
        # The template editor shows the preview in a frame of its own page.
        response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    return response


@bp.route("/")
def index():
    status_arg = request.args.get("status") or None
    case_arg = request.args.get("case") or None
    try:
        status = MessageStatus(status_arg) if status_arg else None
        case_id = int(case_arg) if case_arg else None
    except ValueError:
        abort(400)
    return render_template(
        "letters/index.html",
        rows=queries.outbox(status=status, case_id=case_id),
        counts=queries.status_counts(),
        statuses=list(MessageStatus),
        status=status,
        days=queries.print_days(),
        today=today(),
        retry_form=PlainForm(),
    )


@bp.route("/print")
def print_batch():
    day_arg = request.args.get("day")
    try:
        day = date.fromisoformat(day_arg) if day_arg else today()
    except ValueError:
        abort(400)
    data = print_batch_pdf(queries.print_batch(day))
    return _pdf(data, f"print-batch-{day.isoformat()}.pdf", inline=False)


@bp.post("/messages/<int:message_id>/retry")
@roles_required(*SUPERVISORS)
def retry(message_id: int):
    message = staff_get(Message, message_id)
    form = PlainForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        operations.retry_failed(message, actor=current_user)
    except operations.DunningError as exc:
        flash(str(exc), "error")
        return redirect(url_for("letters.index"))
    from agency.letters.tasks import enqueue_dispatch

    enqueue_dispatch(message.id)
    db.session.commit()
    flash(_("The message is back in the outbox."), "success")
    return redirect(url_for("letters.index"))


# --- policies ------------------------------------------------------------------------------


@bp.route("/policies")
@roles_required(*SUPERVISORS)
def policies():
    from agency.letters.policies import ensure_default_policies

    if ensure_default_policies():
        db.session.commit()  # the agency's defaults are data; made once, on first look
    form = NewPolicyForm()
    form.client_id.choices = [SelectChoice(c.id, c.name) for c in queries.clients()]
    return render_template("letters/policies.html", policies=queries.policies(), form=form)


@bp.post("/policies/new")
@roles_required(*SUPERVISORS)
def new_policy():
    form = NewPolicyForm()
    form.client_id.choices = [SelectChoice(c.id, c.name) for c in queries.clients()]
    if not form.validate_on_submit():
        abort(400)
    client = staff_get(Client, form.client_id.data)
    policy = operations.copy_policy_for_client(
        client, Segment(form.segment.data), form.country.data, actor=current_user
    )
    db.session.commit()
    return redirect(url_for("letters.policy", policy_id=policy.id))


@bp.route("/policies/<int:policy_id>", methods=["GET", "POST"])
@roles_required(*SUPERVISORS)
def policy(policy_id: int):
    policy = staff_get(DunningPolicy, policy_id)
    form = PolicyForm(obj=None if request.method == "POST" else _policy_data(policy))
    if form.validate_on_submit():
        if len(form.steps.entries) != len(policy.steps):
            abort(400)
        try:
            operations.update_policy(
                policy,
                name=form.name.data,
                steps=[
                    {
                        "name": entry.form.name.data,
                        "offset_days": entry.form.offset_days.data,
                        "offset_from": OffsetFrom(entry.form.offset_from.data),
                        "channels": entry.form.channels.data,
                        "template": TemplateKind(entry.form.template.data),
                        "costs": StepCosts(entry.form.costs.data),
                        "interest": entry.form.interest.data,
                        "fourteen_day_letter": entry.form.fourteen_day_letter.data,
                        "hand_to_legal": entry.form.hand_to_legal.data,
                    }
                    for entry in form.steps.entries
                ],
                actor=current_user,
            )
        except operations.DunningError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("The policy is saved."), "success")
            return redirect(url_for("letters.policy", policy_id=policy.id))
    return render_template("letters/policy.html", policy=policy, form=form, steps_form=PlainForm())


@bp.post("/policies/<int:policy_id>/steps")
@roles_required(*SUPERVISORS)
def policy_steps(policy_id: int):
    """Add a step at the end of the policy, or remove its last one."""
    policy = staff_get(DunningPolicy, policy_id)
    form = PlainForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if request.form.get("action") == "remove":
            operations.remove_last_step(policy, actor=current_user)
        else:
            operations.add_step(policy, actor=current_user)
        operations.check_policy(policy)
    except operations.DunningError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("The policy is saved."), "success")
    return redirect(url_for("letters.policy", policy_id=policy.id))


class _Obj:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def _policy_data(policy: DunningPolicy) -> _Obj:
    return _Obj(
        name=policy.name,
        steps=[
            _Obj(
                name=s.name,
                offset_days=s.offset_days,
                offset_from=s.offset_from.value,
                channels=[c.value for c in s.channel_list],
                template=s.template.value,
                costs=s.costs.value,
                interest=s.interest,
                fourteen_day_letter=s.fourteen_day_letter,
                hand_to_legal=s.hand_to_legal,
            )
            for s in policy.steps
        ],
    )


# --- templates -----------------------------------------------------------------------------


@bp.route("/templates")
@roles_required(*SUPERVISORS)
def templates():
    client_arg = request.args.get("client") or None
    client = None
    if client_arg:
        if not client_arg.isdigit():
            abort(400)
        client = staff_get(Client, int(client_arg))
    return render_template(
        "letters/templates.html",
        client=client,
        clients=queries.clients(),
        grid=queries.template_grid(client.id if client else None),
        form=NewTemplateForm(),
    )


@bp.post("/templates/new")
@roles_required(*SUPERVISORS)
def new_template():
    form = NewTemplateForm()
    if not form.validate_on_submit():
        abort(400)
    client = staff_get(Client, int(form.client_id.data)) if form.client_id.data else None
    try:
        kind = TemplateKind(form.kind.data)
    except ValueError:
        abort(400)
    template = operations.customise_template(client, kind, form.language.data, actor=current_user)
    db.session.commit()
    return redirect(url_for("letters.template", template_id=template.id))


@bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
@roles_required(*SUPERVISORS)
def template(template_id: int):
    template = staff_get(LetterTemplate, template_id)
    form = TemplateForm(obj=template)
    if form.validate_on_submit():
        try:
            operations.update_template(
                template,
                subject=form.subject.data,
                body=form.body.data,
                sms_text=form.sms_text.data,
                actor=current_user,
            )
        except TemplateInvalid as exc:
            db.session.rollback()
            form.body.errors.append(_("The text cannot be used: %(error)s", error=str(exc)))
        else:
            db.session.commit()
            flash(_("The template is saved."), "success")
            return redirect(url_for("letters.template", template_id=template.id))
    return render_template("letters/template.html", template=template, form=form)


@bp.route("/templates/<int:template_id>/preview", methods=["GET", "POST"])
@roles_required(*SUPERVISORS)
def template_preview(template_id: int):
    """The template as a PDF letter with sample data; POST previews unsaved text."""
    template = staff_get(LetterTemplate, template_id)
    subject, body, sms_text = template.subject, template.body, template.sms_text
    if request.method == "POST":
        form = TemplateForm()
        if not form.validate_on_submit():
            abort(400)
        subject, body, sms_text = form.subject.data, form.body.data, form.sms_text.data
    try:
        content = queries.sample_content(
            template.client, template.kind, template.language, subject, body, sms_text
        )
    except TemplateInvalid as exc:
        content = queries.sample_content(
            template.client,
            template.kind,
            template.language,
            _("Error in the template"),
            str(exc),
            "",
        )
    return _pdf(letter_pdf(content), f"preview-{template.id}.pdf", frame=True)


# --- branding ------------------------------------------------------------------------------


@bp.route("/branding/<int:client_id>", methods=["GET", "POST"])
@roles_required(*SUPERVISORS)
def branding(client_id: int):
    client = staff_get(Client, client_id)
    form = BrandingForm(obj=client)
    if form.validate_on_submit():
        logo = form.logo.data
        operations.update_branding(
            client,
            sender_name=form.sender_name.data or None,
            brand_colour=form.brand_colour.data.lower(),
            brand_font=form.brand_font.data,
            logo=logo.read() if logo else None,
            logo_suffix=Path(logo.filename).suffix.lower() if logo else None,
            logo_dir=Path(current_app.instance_path) / "logos",
            actor=current_user,
        )
        db.session.commit()
        flash(_("The branding is saved."), "success")
        return redirect(url_for("letters.branding", client_id=client.id))
    return render_template("letters/branding.html", client=client, form=form)
