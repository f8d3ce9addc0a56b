"""Access as a table: every route of the app, asked by every kind of visitor.

A new route that is not classified here fails `test_every_route_is_classified`, so nobody can
add a page without saying who may see it.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from agency.auth.models import Role
from tests.conftest import TEST_CONFIG, make_app

# endpoint -> realm
REALMS = {
    "static": "public",
    "auth.login": "public",
    "auth.login_totp": "login-step",
    "auth.logout": "post-only",
    "auth.language": "post-only",
    "auth.security": "any-user",
    "cases.dashboard": "staff",
    "cases.index": "staff",
    "cases.detail": "staff",
    "cases.queue": "staff",
    "cases.distribute": "supervisor",
    "cases.reassign": "post-only",
    "cases.assign": "post-only",
    "cases.edit_debtor": "staff",
    "contact_log.log_contact": "post-only",
    "contact_log.propose_arrangement": "post-only",
    "contact_log.approve_arrangement": "post-only",
    "contact_log.decline_arrangement": "post-only",
    "contact_log.record_dispute": "post-only",
    "contact_log.dispute_file": "staff",
    "contact_log.call": "post-only",
    "contact_log.send_sms": "post-only",
    "twilio.call_status": "webhook",
    "twilio.sms_status": "webhook",
    "clients.index": "staff",
    "clients.detail": "staff",
    "sandbox.index": "supervisor",
    "letters.index": "staff",
    "letters.print_batch": "staff",
    "letters.retry": "post-only",
    "letters.policies": "supervisor",
    "letters.new_policy": "post-only",
    "letters.policy": "supervisor",
    "letters.policy_steps": "post-only",
    "letters.templates": "supervisor",
    "letters.new_template": "post-only",
    "letters.template": "supervisor",
    "letters.template_preview": "supervisor",
    "letters.branding": "supervisor",
    "portal.home": "portal",
    "portal.cases": "portal",
    "portal.case": "portal",
    "portal.handoffs": "portal",
    "portal.new_handoff": "portal",
    "portal.handoff_template": "portal",
    "portal.handoff": "portal",
    "portal.handoff_status": "portal",
    "portal.handoff_mapping": "portal",
    "portal.handoff_confirm": "post-only",
    "portal.handoff_errors": "portal",
    "portal.api_tokens": "portal",
    "portal.api_token_revoke": "post-only",
    "portal.disputes": "portal",
    "portal.dispute": "portal",
    "portal.dispute_file": "portal",
    "portal.payment_terms": "portal",
    "portal.direct_payment": "portal",
    "portal.remittances": "portal",
    "portal.remittance_statement": "portal",
    "portal.remittance_invoice": "portal",
    "portal.report_chart": "portal",
    "portal.report_table": "portal",
    "portal.monthly_reports": "portal",
    "portal.monthly_report": "portal",
    "portal.cases_export": "portal",
    "reports.index": "supervisor",
    "reports.report_chart": "supervisor",
    "reports.report_table": "supervisor",
    "reports.monthly_report": "supervisor",
    "ledger.statements": "supervisor",
    "ledger.unmatched": "supervisor",
    "ledger.match": "post-only",
    "ledger.return_credit": "post-only",
    "ledger.runs": "supervisor",
    "ledger.run": "supervisor",
    "ledger.run_sepa": "supervisor",
    "ledger.run_statement": "supervisor",
    "ledger.run_invoice": "supervisor",
    "ledger.reconciliation": "supervisor",
    "api.openapi": "public-api",
    "api.create_handoff": "post-only",
    "api.handoff": "api",
    "paylink.show": "debtor",
    "paylink.check": "post-only",
    "paylink.language": "post-only",
    "paylink.pay": "post-only",
    "paylink.promise": "post-only",
    "paylink.plan": "post-only",
    "paylink.dispute": "post-only",
    "paylink.already_paid": "post-only",
    "paylink.invoice_copy": "post-only",
    "paylink.callback": "post-only",
    "paylink.contact_details": "post-only",
    "paylink_staff.revoke": "post-only",
    "paylink_staff.request_done": "post-only",
    "webhooks.mollie": "post-only",
    "webhooks.stripe": "post-only",
    "webhooks.sandbox_checkout": "bearer",
}

VISITORS = ["anonymous", "agent", "supervisor", "client_user"]


def _rules():
    app = make_app("sqlite://", **{k: v for k, v in TEST_CONFIG.items() if k != "TESTING"})
    return sorted(
        (
            (rule.endpoint, rule.rule, tuple(sorted(rule.arguments)))
            for rule in app.url_map.iter_rules()
        ),
        key=lambda r: r[1],
    )


RULES = _rules()


def test_every_route_is_classified():
    assert {endpoint for endpoint, _, _ in RULES} == set(REALMS)


def expected_status(realm: str, visitor: str, foreign: bool) -> int:
    """What a visitor gets on a GET of a route of `realm`."""
    if realm in ("public-api", "debtor"):
        return 200  # the debtor's page: the token is the key, the check comes first
    if realm == "webhook":
        return 405  # a provider's signed POST only; no session opens it
    if realm == "api":
        return 401  # a session is no API token
    if realm == "bearer":
        return 200  # the unguessable id in the URL is the access, whoever holds it
    if realm == "public":
        return 200 if visitor == "anonymous" else 302  # logged in: sent to the home page
    if realm == "login-step":
        return 302  # the second factor page without a pending login sends back to /login
    if visitor == "anonymous":
        return 302
    if realm == "any-user":
        return 200
    if realm == "portal":
        if visitor != "client_user":
            return 403
        return 404 if foreign else 200
    if visitor == "client_user":
        return 403
    if realm == "supervisor" and visitor == "agent":
        return 403
    return 200


def _handoff(client, db) -> int:
    from agency.clients.models import Handoff, HandoffSource, HandoffStatus

    handoff = Handoff(
        client_id=client.id,
        source=HandoffSource.PORTAL,
        filename="x.csv",
        checksum="0" * 64,
        size_bytes=0,
        stored_path=f"{client.id}/x.csv",
        status=HandoffStatus.VALIDATED,
    )
    db.session.add(handoff)
    db.session.flush()
    return handoff.id


def _dispute(case_id: int, db, uploads) -> dict[str, int]:
    """A dispute with one stored file on the case (for the dispute and file pages)."""
    from datetime import date

    from agency.cases.models import Case
    from agency.contact_log.models import DisputeReason
    from agency.contact_log.operations import UploadedFile, record_dispute

    case = db.session.get(Case, case_id)
    dispute = record_dispute(
        case,
        case.invoices[0],
        DisputeReason.NOT_DELIVERED,
        10_00,
        note=None,
        files=[UploadedFile("proof.pdf", b"%PDF-1.4 proof")],
        upload_root=uploads,
        today=date(2025, 3, 2),
    )
    return {"dispute_id": dispute.id, "file_id": dispute.files[0].id}


def _paylink(case_id: int, db) -> dict[str, str]:
    from agency.cases.models import Case
    from agency.letters.links import case_token

    return {"token": case_token(db.session.get(Case, case_id))}


def _dunning(client):
    from agency.clients.models import Segment
    from agency.letters.models import TemplateKind
    from agency.letters.operations import copy_policy_for_client, customise_template

    policy = copy_policy_for_client(client, Segment.B2C, "NL", actor=None)
    template = customise_template(client, TemplateKind.REMINDER, "nl", actor=None)
    return {"policy_id": policy.id, "template_id": template.id}


def _sandbox_payment(case_id: int, db) -> str:
    """A payment started through the sandbox on the case; its page is /pay/sandbox/<public_id>."""
    from agency.cases.models import Case
    from agency.paylink.models import ProviderPayment
    from agency.paylink.payments import start_payment

    start_payment(db.session.get(Case, case_id), 10_00, return_url="http://127.0.0.1/")
    return db.session.scalars(
        db.select(ProviderPayment.public_id).where(ProviderPayment.case_id == case_id)
    ).one()


def _remittance_run(app, db, *clients) -> dict[str, int]:
    """A remittance run paying both clients (its pages are the same for any staff member)."""
    from datetime import date

    from agency.cases.models import Case
    from agency.ledger.models import EntryKind, EntrySource
    from agency.ledger.operations import book_reduction
    from agency.ledger.remittance import create_run

    for client, iban in zip(clients, ("NL20INGB0001234567", "NL44RABO0123456789"), strict=True):
        client.iban = iban
        case = db.session.scalar(sa.select(Case).where(Case.client_id == client.id))
        book_reduction(
            case, EntryKind.PAYMENT, 50_00, booked_on=date(2025, 3, 2), source=EntrySource.BANK
        )
    run = create_run(date(2025, 3, 31), date(2025, 4, 1), app.config)
    return {"run_id": run.id, **{f"line_{line.client_id}": line.id for line in run.lines}}


# The report routes' own arguments: a chart, a table and a month with a report (the cases
# of the world open on 1 March 2025).
REPORT_ARGS = {"name": "cash", "table": "aging", "month": "2025-03"}


@pytest.fixture
def world(make_client, make_case, make_user, db, app, tmp_path):
    from agency.clients.operations import create_api_token

    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    own, other = make_client(name="Own B.V."), make_client(name="Other B.V.")
    for c in (own, other):
        path = tmp_path / "uploads" / str(c.id)
        path.mkdir(parents=True)
        (path / "x.csv").write_text("Debiteurnummer;Naam;Factuurnummer\n1;A;F1\n")
    own_case = make_case(100_00, client=own).id
    other_case = make_case(100_00, client=other).id
    run = _remittance_run(app, db, own, other)
    return {
        "own": {
            "client_id": own.id,
            "case_id": own_case,
            **_dispute(own_case, db, tmp_path / "uploads"),
            "handoff_id": _handoff(own, db),
            "fmt": "csv",
            "token_id": create_api_token(own, "t", actor=None)[0].id,
            **_dunning(own),
            "public_id": _sandbox_payment(own_case, db),
            **_paylink(own_case, db),
            "run_id": run["run_id"],
            "line_id": run[f"line_{own.id}"],
            **REPORT_ARGS,
        },
        "other": {
            "client_id": other.id,
            "case_id": other_case,
            **_dispute(other_case, db, tmp_path / "uploads"),
            "handoff_id": _handoff(other, db),
            "fmt": "csv",
            "token_id": create_api_token(other, "t", actor=None)[0].id,
            **_dunning(other),
            "public_id": _sandbox_payment(other_case, db),
            **_paylink(other_case, db),
            "run_id": run["run_id"],
            "line_id": run[f"line_{other.id}"],
            **REPORT_ARGS,
        },
        "users": {
            "agent": make_user(Role.AGENT),
            "supervisor": make_user(Role.SUPERVISOR),
            "client_user": make_user(Role.CLIENT, own),
        },
    }


GET_RULES = [r for r in RULES if REALMS.get(r[0]) != "post-only" and r[0] != "static"]
CASES = [
    (endpoint, rule, args, visitor, foreign)
    for endpoint, rule, args in GET_RULES
    for visitor in VISITORS
    for foreign in ((False, True) if any(a.endswith("_id") for a in args) else (False,))
]


@pytest.mark.parametrize(
    ("endpoint", "rule", "args", "visitor", "foreign"),
    CASES,
    ids=[f"{c[0]}-{c[3]}{'-foreign' if c[4] else ''}" for c in CASES],
)
def test_access_table(client, world, endpoint, rule, args, visitor, foreign):
    values = world["other" if foreign else "own"]
    path = rule
    for name in args:
        path = path.replace(f"<int:{name}>", str(values[name]))
        path = path.replace(f"<{name}>", str(values[name]))
    if visitor != "anonymous":
        assert client.login(world["users"][visitor].email).status_code == 302
    response = client.get(path)
    expected = expected_status(REALMS[endpoint], visitor, foreign)
    assert response.status_code == expected, (path, visitor)
    if expected == 302 and visitor == "anonymous":
        assert response.headers["Location"].startswith("/login")
    if expected == 404:
        assert "Other B.V." not in response.get_data(as_text=True)


def test_portal_lists_only_the_users_own_client(client, world, db):
    from agency.cases.models import Case

    own_ref = db.session.get(Case, world["own"]["case_id"]).reference
    other_ref = db.session.get(Case, world["other"]["case_id"]).reference
    client.login(world["users"]["client_user"].email)
    page = client.get("/portal/cases").get_data(as_text=True)
    assert f">{own_ref}</a>" in page and other_ref not in page
    searched = client.get(f"/portal/cases?q={other_ref}").get_data(as_text=True)
    assert f">{other_ref}</a>" not in searched
    assert client.get(f"/portal/cases?q={own_ref}").get_data(as_text=True).count(own_ref) >= 2


@pytest.mark.parametrize("path", ["/logout", "/language"])
def test_post_only_routes_refuse_without_a_csrf_token(client, world, path):
    client.login(world["users"]["agent"].email)
    response = client.post(path, data={"lang": "en", "next": "/"})
    assert response.status_code == 400
    assert client.get("/").status_code == 200  # still logged in, nothing changed


@pytest.mark.parametrize("query", ["status=closed", "after=abc"])
def test_a_nonsense_filter_is_a_bad_request(client, world, query):
    client.login(world["users"]["agent"].email)
    assert client.get(f"/cases?{query}").status_code == 400
