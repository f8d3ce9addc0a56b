"""The agency's default dunning policies, and finding the policy that applies to a case.

Defaults (per segment and debtor country):
- NL B2C: reminder -> second reminder -> the 14-day letter (art. 6:96 lid 6 BW) -> summons
  (books the stated costs from the day after the term, and statutory interest) -> handover to
  legal (the case moves to `legal` and the client is told).
- NL B2B: from the day after the due date the EUR 40 per invoice of art. 6:96 lid 4 BW and
  commercial interest, then reminders, summons and legal.
- BE B2C/B2B: the free first reminder of Book XIX WER, damages after its 14 days, legal.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from agency.cases.models import Case
from agency.clients.models import Client, Segment
from agency.extensions import db
from agency.letters.models import (
    DunningPolicy,
    DunningStep,
    OffsetFrom,
    StepCosts,
    TemplateKind,
)

DUE, PREV = OffsetFrom.DUE_DATE, OffsetFrom.PREVIOUS_STEP
K = TemplateKind


@dataclass(frozen=True)
class StepSpec:
    name: str
    offset_days: int
    offset_from: OffsetFrom
    channels: str
    template: TemplateKind
    costs: StepCosts = StepCosts.NONE
    interest: bool = False
    fourteen_day_letter: bool = False
    hand_to_legal: bool = False


DEFAULT_POLICIES: dict[tuple[Segment, str], tuple[str, tuple[StepSpec, ...]]] = {
    (Segment.B2C, "NL"): (
        "Standaard consument (NL)",
        (
            StepSpec("Herinnering", 1, DUE, "letter,email", K.REMINDER),
            StepSpec("Tweede herinnering", 10, PREV, "email,sms", K.SECOND_REMINDER),
            StepSpec(
                "14-dagenbrief",
                7,
                PREV,
                "letter,email",
                K.FOURTEEN_DAY_LETTER,
                fourteen_day_letter=True,
            ),
            # Offset counted from the 14-day letter; costs wait for the term anyway.
            StepSpec(
                "Sommatie",
                1,
                PREV,
                "letter,email,sms",
                K.SUMMONS,
                costs=StepCosts.WIK,
                interest=True,
            ),
            StepSpec(
                "Overdracht juridisch",
                14,
                PREV,
                "letter,client_email",
                K.LEGAL_HANDOVER,
                hand_to_legal=True,
            ),
        ),
    ),
    (Segment.B2B, "NL"): (
        "Standaard zakelijk (NL)",
        (
            StepSpec(
                "Ingebrekestelling met EUR 40",
                1,
                DUE,
                "letter,email",
                K.B2B_NOTICE,
                costs=StepCosts.B2B_MINIMUM,
                interest=True,
            ),
            StepSpec("Herinnering", 10, PREV, "email,sms", K.SECOND_REMINDER),
            StepSpec("Sommatie", 10, PREV, "letter,email", K.SUMMONS, interest=True),
            StepSpec(
                "Overdracht juridisch",
                14,
                PREV,
                "letter,client_email",
                K.LEGAL_HANDOVER,
                hand_to_legal=True,
            ),
        ),
    ),
    (Segment.B2C, "BE"): (
        "Standaard consument (BE)",
        (
            StepSpec(
                "Kosteloze herinnering",
                1,
                DUE,
                "letter,email",
                K.BE_REMINDER,
                fourteen_day_letter=True,
            ),
            # Damages wait for the reminder's 14 days whatever the offset says.
            StepSpec(
                "Aanmaning met schadevergoeding",
                1,
                PREV,
                "letter,email",
                K.BE_DAMAGES,
                costs=StepCosts.BE_DAMAGES,
            ),
            StepSpec(
                "Overdracht juridisch",
                21,
                PREV,
                "letter,client_email",
                K.LEGAL_HANDOVER,
                hand_to_legal=True,
            ),
        ),
    ),
    (Segment.B2B, "BE"): (
        "Standaard zakelijk (BE)",
        (
            StepSpec("Herinnering", 1, DUE, "letter,email", K.REMINDER),
            StepSpec("Sommatie", 14, PREV, "letter,email", K.SUMMONS),
            StepSpec(
                "Overdracht juridisch",
                14,
                PREV,
                "letter,client_email",
                K.LEGAL_HANDOVER,
                hand_to_legal=True,
            ),
        ),
    ),
}


def _country(country: str | None) -> str:
    return "BE" if (country or "NL").upper() == "BE" else "NL"


def build_policy(segment: Segment, country: str, client: Client | None = None) -> DunningPolicy:
    """Create (and flush) a policy with the agency's default steps for segment and country."""
    name, specs = DEFAULT_POLICIES[(segment, country)]
    policy = DunningPolicy(
        client_id=client.id if client else None,
        segment=segment,
        country=country,
        name=f"{name} – {client.name}" if client else name,
    )
    for position, spec in enumerate(specs, start=1):
        policy.steps.append(
            DunningStep(
                position=position,
                name=spec.name,
                offset_days=spec.offset_days,
                offset_from=spec.offset_from,
                channels=spec.channels,
                template=spec.template,
                costs=spec.costs,
                interest=spec.interest,
                fourteen_day_letter=spec.fourteen_day_letter,
                hand_to_legal=spec.hand_to_legal,
            )
        )
    db.session.add(policy)
    db.session.flush()
    return policy


def ensure_default_policies() -> list[DunningPolicy]:
    """Create the agency's default policies that do not exist yet; return the new ones."""
    existing = {
        (p.segment, p.country)
        for p in db.session.scalars(
            sa.select(DunningPolicy).where(DunningPolicy.client_id.is_(None))
        )
    }
    return [
        build_policy(segment, country)
        for segment, country in DEFAULT_POLICIES
        if (segment, country) not in existing
    ]


def policy_for(case: Case) -> DunningPolicy | None:
    """Return the client's policy for the case's segment and debtor country, else the default."""
    country = _country(case.debtor.country)
    candidates = db.session.scalars(
        sa.select(DunningPolicy).where(
            DunningPolicy.segment == case.segment,
            DunningPolicy.country == country,
            sa.or_(DunningPolicy.client_id == case.client_id, DunningPolicy.client_id.is_(None)),
        )
    ).all()
    own = [p for p in candidates if p.client_id == case.client_id]
    return (own or candidates or [None])[0]
