"""The dunning back office: supervisors edit policies and templates; everyone sees the outbox."""

from __future__ import annotations

import io
import re

import pypdf
import segno
import sqlalchemy as sa
import time_machine

from agency import jobs
from agency.clients.models import Segment
from agency.letters.models import (
    Channel,
    DunningPolicy,
    LetterTemplate,
    Message,
    MessageStatus,
    StepCosts,
    TemplateKind,
)
from tests.letters.conftest import at, messages


def token_of(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def policy_form(policy: DunningPolicy, token: str, **changes) -> dict:
    """The policy page's form as the browser would post it, with some fields changed."""
    data = {"csrf_token": token, "name": policy.name}
    for i, step in enumerate(policy.steps):
        data.update(
            {
                f"steps-{i}-name": step.name,
                f"steps-{i}-offset_days": str(step.offset_days),
                f"steps-{i}-offset_from": step.offset_from.value,
                f"steps-{i}-channels": [c.value for c in step.channel_list],
                f"steps-{i}-template": step.template.value,
                f"steps-{i}-costs": step.costs.value,
            }
        )
        for flag in ("interest", "fourteen_day_letter", "hand_to_legal"):
            if getattr(step, flag):
                data[f"steps-{i}-{flag}"] = "y"
    data.update(changes)
    return data


def default_b2c(db) -> DunningPolicy:
    return db.session.scalar(
        sa.select(DunningPolicy).where(
            DunningPolicy.client_id.is_(None),
            DunningPolicy.segment == Segment.B2C,
            DunningPolicy.country == "NL",
        )
    )


def test_a_supervisor_changes_a_step(client, login_as, db):
    login_as("supervisor")
    page = client.get("/letters/policies").get_data(as_text=True)
    assert "Standaard consument (NL)" in page and "Standaard zakelijk (NL)" in page
    policy = default_b2c(db)
    html = client.get(f"/letters/policies/{policy.id}").get_data(as_text=True)
    assert "14-dagenbrief" in html
    data = policy_form(
        policy, token_of(html), **{"steps-1-offset_days": "12", "steps-1-channels": ["email"]}
    )
    response = client.post(f"/letters/policies/{policy.id}", data=data)
    assert response.status_code == 302
    db.session.refresh(policy)
    assert policy.steps[1].offset_days == 12 and policy.steps[1].channels == "email"


def test_costs_before_the_14_day_letter_are_refused(client, login_as, db):
    login_as("supervisor")
    client.get("/letters/policies")
    policy = default_b2c(db)
    html = client.get(f"/letters/policies/{policy.id}").get_data(as_text=True)
    data = policy_form(policy, token_of(html), **{"steps-0-costs": "wik"})
    page = client.post(f"/letters/policies/{policy.id}", data=data).get_data(as_text=True)
    assert "Stap 1 rekent kosten voordat een stap de 14-dagentermijn start." in page
    db.session.refresh(policy)
    assert policy.steps[0].costs is StepCosts.NONE


def test_an_agent_cannot_edit_policies(client, login_as, db, app):
    login_as("agent")
    assert client.get("/letters/policies").status_code == 403


def test_a_client_gets_a_policy_of_its_own(client, login_as, db, make_client):
    own = make_client(name="Eigen B.V.")
    login_as("supervisor")
    html = client.get("/letters/policies").get_data(as_text=True)
    response = client.post(
        "/letters/policies/new",
        data={"csrf_token": token_of(html), "client_id": own.id, "segment": "b2c", "country": "NL"},
    )
    assert response.status_code == 302
    policy = db.session.scalar(sa.select(DunningPolicy).where(DunningPolicy.client_id == own.id))
    assert len(policy.steps) == len(default_b2c(db).steps)
    assert "Eigen B.V." in client.get("/letters/policies").get_data(as_text=True)


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_a_client_template_is_edited_previewed_and_used(client, login_as, db, b2c_case, run_day):
    case = b2c_case()
    login_as("supervisor")
    html = client.get(f"/letters/templates?client={case.client_id}").get_data(as_text=True)
    response = client.post(
        "/letters/templates/new",
        data={
            "csrf_token": token_of(html),
            "client_id": case.client_id,
            "kind": "reminder",
            "language": "nl",
        },
    )
    assert response.status_code == 302
    template = db.session.scalar(
        sa.select(LetterTemplate).where(LetterTemplate.client_id == case.client_id)
    )
    assert template.kind is TemplateKind.REMINDER and "Herinnering" in template.subject
    edit = client.get(f"/letters/templates/{template.id}").get_data(as_text=True)
    assert f'src="/letters/templates/{template.id}/preview"' in edit

    # The saved text as a PDF, allowed in a frame of the editor's own page.
    preview = client.get(f"/letters/templates/{template.id}/preview")
    assert preview.mimetype == "application/pdf"
    assert "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]
    assert "Herinnering" in pdf_text(preview.data)

    # Unsaved text is previewed without being saved.
    form = {
        "csrf_token": token_of(edit),
        "subject": "Betaal nu {{ total }}",
        "body": "Beste {{ debtor_name }}, fietsen zijn leuk.",
        "sms_text": "{{ total }}",
    }
    preview = client.post(f"/letters/templates/{template.id}/preview", data=form)
    assert "fietsen zijn leuk" in pdf_text(preview.data)
    db.session.refresh(template)
    assert "fietsen" not in template.body

    # A broken text is refused with its reason.
    broken = dict(form, body="Beste {{ debtor_name }")
    page = client.post(f"/letters/templates/{template.id}", data=broken).get_data(as_text=True)
    assert "The text cannot be used" in page or "kan niet worden gebruikt" in page
    assert client.post(f"/letters/templates/{template.id}", data=form).status_code == 302

    run_day(at(2025, 3, 20, 10))
    email = next(m for m in messages(db, case.id) if m.channel is Channel.EMAIL)
    assert email.content["subject"] == "Betaal nu €\xa03.000,00"
    assert email.content["body"] == "Beste Jan de Vries, fietsen zijn leuk."


def test_branding_goes_onto_the_letters(client, login_as, db, b2c_case, run_day, app):
    case = b2c_case()
    login_as("supervisor")
    html = client.get(f"/letters/branding/{case.client_id}").get_data(as_text=True)
    logo = io.BytesIO()
    segno.make("logo").save(logo, kind="png", scale=4)
    response = client.post(
        f"/letters/branding/{case.client_id}",
        data={
            "csrf_token": token_of(html),
            "sender_name": "Fietsen.nl",
            "brand_colour": "#AA0000",
            "brand_font": "Times",
            "logo": (io.BytesIO(logo.getvalue()), "logo.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.refresh(case.client)
    assert (case.client.sender_name, case.client.brand_colour, case.client.brand_font) == (
        "Fietsen.nl",
        "#aa0000",
        "Times",
    )
    run_day(at(2025, 3, 20, 10))
    letter = next(m for m in messages(db, case.id) if m.channel is Channel.LETTER)
    assert letter.content["branding"]["logo_path"].endswith(f"logos/{case.client_id}.png")
    batch = client.get("/letters/print?day=2025-03-20").data
    reader = pypdf.PdfReader(io.BytesIO(batch))
    assert "Fietsen.nl" in reader.pages[0].extract_text()
    assert len(reader.pages[0].images) == 2  # the logo and the QR code
    assert b"/Times-Roman" in batch


def test_a_failed_message_is_sent_again_by_a_supervisor(
    client, login_as, db, b2c_case, run_day, app, free_smtp_port, smtp_server
):
    case = b2c_case()
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_smtp_port
    run_day(at(2025, 3, 20, 10))
    email = next(m for m in messages(db, case.id) if m.channel is Channel.EMAIL)
    assert email.status is MessageStatus.FAILED
    app.config["MAIL_PORT"] = port  # the mail server is back
    with time_machine.travel(at(2025, 3, 20, 11), tick=False):  # within legal hours
        login_as("supervisor")
        page = client.get("/letters/?status=failed").get_data(as_text=True)
        assert "Send again" in page or "Opnieuw versturen" in page
        response = client.post(
            f"/letters/messages/{email.id}/retry", data={"csrf_token": token_of(page)}
        )
        assert response.status_code == 302
        assert jobs.backend_for(app).wait_idle(30)
    db.session.refresh(email)
    assert email.status is MessageStatus.SENT, email.last_error
    assert len(smtp_server.received) == 1


def test_the_case_page_leads_to_the_case_messages(client, login_as, db, b2c_case, run_day):
    case, other = b2c_case(), b2c_case(name="Piet Jansen")
    run_day(at(2025, 3, 20, 10))
    login_as("agent")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'href="/letters/?case={case.id}"' in page
    listing = client.get(f"/letters/?case={case.id}").get_data(as_text=True)
    assert listing.count(case.reference) == 2 and other.reference not in listing
    assert client.get("/letters/?case=x").status_code == 400
    assert client.get("/letters/?status=lost").status_code == 400


def test_steps_are_added_and_the_last_removed_unless_used(client, login_as, db, b2c_case, run_day):
    login_as("supervisor")
    client.get("/letters/policies")
    policy = default_b2c(db)
    html = client.get(f"/letters/policies/{policy.id}").get_data(as_text=True)
    token = token_of(html)
    client.post(f"/letters/policies/{policy.id}/steps", data={"csrf_token": token, "action": "add"})
    db.session.refresh(policy)
    assert [s.position for s in policy.steps] == [1, 2, 3, 4, 5, 6]
    assert policy.steps[-1].costs is StepCosts.NONE
    client.post(
        f"/letters/policies/{policy.id}/steps", data={"csrf_token": token, "action": "remove"}
    )
    db.session.refresh(policy)
    assert len(policy.steps) == 5

    # A step whose messages exist stays: their history refers to it.
    case = b2c_case()
    db.session.add(
        Message(
            client_id=case.client_id,
            case_id=case.id,
            step_id=policy.steps[-1].id,
            channel=Channel.LETTER,
        )
    )
    db.session.commit()
    client.post(
        f"/letters/policies/{policy.id}/steps", data={"csrf_token": token, "action": "remove"}
    )
    page = client.get(f"/letters/policies/{policy.id}").get_data(as_text=True)
    assert "Er zijn al berichten van deze stap" in page
    db.session.refresh(policy)
    assert len(policy.steps) == 5


def test_a_belgian_first_reminder_stays_free(client, login_as, db):
    login_as("supervisor")
    client.get("/letters/policies")
    policy = db.session.scalar(
        sa.select(DunningPolicy).where(
            DunningPolicy.client_id.is_(None),
            DunningPolicy.segment == Segment.B2C,
            DunningPolicy.country == "BE",
        )
    )
    html = client.get(f"/letters/policies/{policy.id}").get_data(as_text=True)
    data = policy_form(
        policy, token_of(html), **{"steps-0-costs": "be_damages", "steps-0-fourteen_day_letter": ""}
    )
    data.pop("steps-0-fourteen_day_letter")
    page = client.post(f"/letters/policies/{policy.id}", data=data).get_data(as_text=True)
    assert "In België is de eerste herinnering kosteloos" in page
    db.session.refresh(policy)
    assert policy.steps[0].costs is StepCosts.NONE


def test_every_dunning_form_needs_its_csrf_token(client, login_as, db, b2c_case, run_day):
    case = b2c_case()
    login_as("supervisor")
    client.get("/letters/policies")
    policy = default_b2c(db)
    template_page = client.get(f"/letters/templates?client={case.client_id}")
    assert template_page.status_code == 200
    posts = [
        ("/letters/policies/new", {"client_id": case.client_id, "segment": "b2c", "country": "NL"}),
        (f"/letters/policies/{policy.id}", {"name": "x"}),
        (f"/letters/policies/{policy.id}/steps", {"action": "add"}),
        ("/letters/templates/new", {"kind": "reminder", "language": "nl"}),
        (f"/letters/branding/{case.client_id}", {"brand_colour": "#000000"}),
        ("/letters/messages/1/retry", {}),
    ]
    for path, data in posts:
        assert client.post(path, data=data).status_code == 400, path
    db.session.refresh(policy)
    assert policy.name == "Standaard consument (NL)" and len(policy.steps) == 5
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LetterTemplate)) == 0
