"""Back-office pages about cases: the staff home page, the work queues, the case list and a case."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from agency.auth.access import require_staff, roles_required, staff_get
from agency.auth.models import Role, User
from agency.cases import operations, queries
from agency.cases.forms import (
    AssignForm,
    CaseListArgs,
    DebtorForm,
    DistributeForm,
    KeptChoices,
    QueueFilterForm,
    ReassignForm,
    choices,
    kept_choices,
)
from agency.cases.models import Case, CaseStatus
from agency.cases.queries import QueueCursor, QueueFilters, QueueScope
from agency.cases.rows import QueueRowWriter
from agency.clients.models import Client, Segment
from agency.contact_log import queries as work_queries
from agency.contact_log.forms import (
    ArrangementForm,
    ContactForm,
    DisputeForm,
    PlainForm,
    SmsForm,
)
from agency.contact_log.labels import OUTCOME_LABELS
from agency.contact_log.operations import phone_refusal
from agency.errors import AgencyError
from agency.extensions import db
from agency.formatting import STATUS_LABELS, current_locale, datetime_nl
from agency.i18n import gettext as _
from agency.ledger.queries import invoice_open_principal
from agency.modeling import today, utcnow
from agency.reports.queries import figure_case_ids

bp = Blueprint("cases", __name__)
bp.before_request(require_staff)

SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)
QUEUE_PAGE = 50


@bp.route("/")
def dashboard():
    mine = queries.queue_rows(QueueScope.MINE, today=today(), user_id=current_user.id, limit=10)
    return render_template(
        "cases/dashboard.html",
        overview=queries.overview(),
        mine=mine,
        statuses=list(CaseStatus),
    )


@bp.route("/cases")
def index():
    args = CaseListArgs.from_request()
    client = None
    if request.args.get("client"):
        if not request.args["client"].isdigit():
            abort(400)
        client = staff_get(Client, int(request.args["client"]))
    figure_cases = None
    if args.figure is not None:
        figure_cases = figure_case_ids(client.id if client else None, args.figure, today())
    rows = queries.case_rows(
        client_id=client.id if client else None,
        status=args.status,
        search=args.search,
        after_id=args.after_id,
        case_ids=figure_cases,
    )
    return render_template(
        "cases/index.html",
        rows=rows,
        args=args,
        client=client,
        status=args.status,
        statuses=list(CaseStatus),
    )


def _client_choices(blank: str) -> KeptChoices:
    """Every client, after `blank`: one list per client list and blank, written once per
    selected client (`kept_choices`), as every queue page shows it."""
    names = queries.client_names()
    key = (blank, id(names))
    kept = _CLIENT_CHOICES.get(key)
    if kept is None or kept[0] is not names:
        if len(_CLIENT_CHOICES) >= 16:
            _CLIENT_CHOICES.clear()
        kept = _CLIENT_CHOICES[key] = (names, kept_choices([("", blank), *names]))
    return kept[1]


# (blank, the client list's id) -> (that client list, its choices)
_CLIENT_CHOICES: dict[tuple[str, int], tuple[list, KeptChoices]] = {}


def _agent_choices(blank: str) -> list[tuple[str, str]]:
    return choices([("", blank)] + [(u.id, u.name) for u in queries.staff_agents()])


@bp.route("/queue")
def queue():
    form = QueueFilterForm(request.args)
    form.client.choices = _client_choices(_("All"))
    form.status.choices = choices(
        [("", _("To work (new, dunning)"))]
        + [(s.value, STATUS_LABELS[s]) for s in CaseStatus if not s.is_closed]
    )
    try:
        scope = QueueScope(request.args.get("scope") or "mine")
        after = QueueCursor.decode(request.args["after"]) if request.args.get("after") else None
        status = CaseStatus(form.status.data) if form.status.data else None
    except ValueError:
        abort(400)
    if scope is QueueScope.TEAM and current_user.role not in SUPERVISORS:
        abort(403)
    # Only the team queue filters by agent; the other queues need not load the staff list.
    form.agent.choices = _agent_choices(_("All")) if scope is QueueScope.TEAM else []
    form.validate()  # errors show next to the fields; a bad amount is left out of the filter
    filters = QueueFilters(
        client_id=form.client.data if not form.client.errors else None,
        status=status if status is None or not status.is_closed else None,
        segment=Segment(form.segment.data) if form.segment.data in ("b2b", "b2c") else None,
        language=form.language.data or None,
        min_cents=form.min_amount.cents,
        max_cents=form.max_amount.cents,
        due_only=bool(form.due.data),
        agent_id=form.agent.data if scope is QueueScope.TEAM and not form.agent.errors else None,
    )
    rows = queries.queue_rows(
        scope,
        today=today(),
        user_id=current_user.id,
        filters=filters,
        after=after,
        limit=QUEUE_PAGE,
    )
    next_args = None
    if len(rows) == QUEUE_PAGE:
        next_args = {**request.args.to_dict(), "after": rows[-1].cursor.encode()}
    reassign = None
    if current_user.role in SUPERVISORS and scope is not QueueScope.MINE:
        reassign = ReassignForm(formdata=None)
        reassign.agent.choices = _agent_choices(_("Nobody (unassigned)"))
        reassign.next.data = request.full_path
    return render_template(
        "cases/queue.html",
        scope=scope,
        rows=rows,
        write_row=QueueRowWriter(
            # The case page's address without its id, built through the router once: the
            # rows append their own id (the route ends in it).
            case_path=url_for("cases.detail", case_id=0).removesuffix("0"),
            locale=current_locale(),
            selectable=reassign is not None,
            with_agent=scope is not QueueScope.MINE,
        ),
        form=form,
        next_args=next_args,
        reassign=reassign,
        first_page=after is None,
        first_args={k: v for k, v in request.args.items() if k != "after"},
        scopes=[QueueScope.MINE, QueueScope.UNASSIGNED]
        + ([QueueScope.TEAM] if current_user.role in SUPERVISORS else []),
    )


@bp.route("/queue/distribute", methods=["GET", "POST"])
@roles_required(*SUPERVISORS)
def distribute():
    form = DistributeForm()
    agents = queries.staff_agents()
    form.agents.choices = choices((u.id, u.name) for u in agents)
    form.client.choices = _client_choices(_("All clients"))
    if form.validate_on_submit():
        chosen = [u for u in agents if u.id in form.agents.data]
        cases = queries.queue_case_ids(
            QueueScope.UNASSIGNED, today=today(), filters=QueueFilters(client_id=form.client.data)
        )
        if form.limit.data:
            cases = cases[: form.limit.data]
        given = operations.distribute(
            cases,
            chosen,
            operations.DistributionMethod(form.method.data),
            load=queries.open_load([u.id for u in chosen]),
            actor=current_user,
        )
        db.session.commit()
        flash(
            _(
                "%(count)s cases distributed over %(agents)s agents.",
                count=sum(len(v) for v in given.values()),
                agents=len(chosen),
            ),
            "success",
        )
        return redirect(url_for("cases.queue", scope="team"))
    unassigned = len(queries.queue_case_ids(QueueScope.UNASSIGNED, today=today()))
    load = queries.open_load([u.id for u in agents])
    return render_template(
        "cases/distribute.html", form=form, agents=agents, load=load, unassigned=unassigned
    )


def _safe_next(target: str | None, fallback: str) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return fallback


@bp.route("/queue/reassign", methods=["POST"])
@roles_required(*SUPERVISORS)
def reassign():
    form = ReassignForm()
    form.agent.choices = _agent_choices("")
    target = _safe_next(form.next.data, url_for("cases.queue", scope="team"))
    if not form.validate_on_submit():
        flash(_("Choose the cases to give to someone."), "error")
        return redirect(target)
    agent = staff_get(User, form.agent.data) if form.agent.data else None
    if agent is not None and not agent.is_staff:
        abort(404)
    cases = db.session.scalars(sa.select(Case).where(Case.id.in_(form.cases.data))).all()
    try:
        for case in cases:
            operations.assign(case, agent, actor=current_user)
    except AgencyError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(target)
    db.session.commit()
    flash(_("%(count)s cases reassigned.", count=len(cases)), "success")
    return redirect(target)


@bp.route("/cases/<int:case_id>/assign", methods=["POST"])
@roles_required(*SUPERVISORS)
def assign(case_id: int):
    case = staff_get(Case, case_id)
    form = AssignForm()
    form.agent.choices = _agent_choices("")
    if form.validate_on_submit():
        agent = staff_get(User, form.agent.data) if form.agent.data else None
        if agent is not None and not agent.is_staff:
            abort(404)
        try:
            operations.assign(case, agent, actor=current_user)
        except AgencyError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The case has been reassigned."), "success")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/cases/<int:case_id>/debtor", methods=["GET", "POST"])
def edit_debtor(case_id: int):
    case = staff_get(Case, case_id)
    form = DebtorForm(obj=case.debtor)
    if form.validate_on_submit():
        try:
            changes = operations.update_debtor(case.debtor, form.values(), actor=current_user)
        except AgencyError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            if changes:
                flash(_("The debtor's details have been saved."), "success")
            return redirect(url_for("cases.detail", case_id=case.id))
    return render_template(
        "cases/debtor.html",
        case=case,
        form=form,
        changes=work_queries.debtor_changes(case.debtor_id),
    )


def render_case_page(case: Case, status: int = 200, **forms):
    """Render a case with its workbench forms (bound ones passed in, fresh ones otherwise)."""
    from agency.paylink import queries as paylink_queries

    day = today()
    work = work_queries.case_work(case.id)
    contact = forms.get("contact_form") or ContactForm(formdata=None)
    if "contact_form" not in forms:
        contact.next_action_on.data = day + timedelta(days=1)
        contact.term_old_days.data = work_queries.usual_term_days(case.debtor_id)
        contact.term_new_days.data = case.client.new_payment_term_days
    contact.corrects.choices = choices(
        [("", _("No, a new contact"))]
        + [
            (c.id, f"{datetime_nl(c.occurred_at)} · {OUTCOME_LABELS[c.outcome]}")
            for c in work.contacts[:20]
        ]
    )
    sheet = queries.case_sheet(case)
    arrangement = forms.get("arrangement_form") or ArrangementForm(formdata=None)
    if "arrangement_form" not in forms:
        from agency.money import from_cents

        arrangement.total.data = str(from_cents(sheet.balance.total)).replace(".", ",")
        arrangement.instalments.data = min(3, case.client.plan_max_instalments)
        arrangement.first_due_on.data = day + timedelta(days=7)
    dispute = forms.get("dispute_form") or DisputeForm(formdata=None)
    open_principal = invoice_open_principal(case.id)
    dispute.invoice.choices = choices(
        (inv.id, inv.number) for inv in sheet.invoices if open_principal.get(inv.id, 0) > 0
    )
    assign_form = None
    if current_user.role in SUPERVISORS:
        assign_form = AssignForm(formdata=None, agent=case.assigned_agent_id)
        assign_form.agent.choices = _agent_choices(_("Nobody (unassigned)"))
    return (
        render_template(
            "cases/detail.html",
            case=case,
            sheet=sheet,
            work=work,
            timeline=work_queries.case_timeline(case, work),
            contact_form=contact,
            arrangement_form=arrangement,
            dispute_form=dispute,
            assign_form=assign_form,
            plain_form=PlainForm(formdata=None),
            sms_form=SmsForm(formdata=None),
            phone_refusal=phone_refusal(
                case,
                utcnow(),
                sms=False,
                extra_days=current_app.config.get("DESIGNATED_HOLIDAYS") or (),
            ),
            is_supervisor=current_user.role in SUPERVISORS,
            paylink=paylink_queries.case_panel(case),
            today=day,
        ),
        status,
    )


@bp.route("/cases/<int:case_id>")
def detail(case_id: int):
    return render_case_page(staff_get(Case, case_id))
