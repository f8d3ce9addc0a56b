"""Demo data: staff, three clients with their portal users, debtors, invoices and worked cases.

Everything goes through the operations modules (users, cases, ledger), so the demo holds only
states the application itself can reach: every balance comes from the ledger, every status from
the status machine, every change has its audit event. `load_demo` flushes and never commits
(`flask demo` commits). It is idempotent: users, clients, debtors and invoices are looked up by
their natural keys and only what is missing is added, so a second run adds nothing.

The data is drawn from `random.Random(2026)` before the database is read, so every run draws
the same plan; dates are kept as "days before today" and only turned into dates against the
`today` of the run.
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import phonenumbers
import sqlalchemy as sa
from flask import current_app
from schwifty import IBAN

from agency.auth.models import Role, User
from agency.auth.operations import create_user
from agency.cases.charges import wik_costs
from agency.cases.models import Case, CaseStatus, Debtor, DebtorKind, Invoice
from agency.cases.operations import open_case, pause, transition
from agency.cases.priority import refresh_priorities
from agency.clients.models import Client, Segment
from agency.contact_log.models import Channel, DisputeReason, Outcome, Promise
from agency.contact_log.operations import (
    GRACE_DAYS,
    log_contact,
    propose_arrangement,
    record_dispute,
    record_payment_term,
    record_promise,
    settle_promise,
)
from agency.extensions import db
from agency.ledger.models import (
    BankBooking,
    BankStatement,
    BankTransaction,
    EntryKind,
    EntrySource,
    LedgerEntry,
    MatchMethod,
    StatementFormat,
    TransactionStatus,
)
from agency.ledger.operations import book_charge, book_reduction
from agency.ledger.queries import case_balance, invoice_open_principal
from agency.ledger.remittance import RemittanceRefused, create_run
from agency.modeling import AGENCY_TZ
from agency.modeling import today as local_today

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed by `flask demo` on purpose
SEED = 2026

# --------------------------------------------------------------------------------------------
# What the demo contains, as plain data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Staff:
    email: str
    name: str
    role: Role
    language: str = "nl"


STAFF: tuple[_Staff, ...] = (
    _Staff("admin@agency.test", "Ruud Hendriks", Role.ADMIN),
    _Staff("supervisor@agency.test", "Marieke Visser", Role.SUPERVISOR),
    _Staff("agent1@agency.test", "Sanne de Vries", Role.AGENT),
    _Staff("agent2@agency.test", "Daan Bakker", Role.AGENT, language="en"),
)
AGENT_EMAILS = ("agent1@agency.test", "agent2@agency.test")


@dataclass(frozen=True)
class _ClientSpec:
    """A client (creditor) of the demo, with its debtors' profile."""

    code: str
    name: str
    mix: str  # "b2c": persons only, "b2b": companies only, "mixed": both
    segment: Segment
    kvk_number: str
    vat_number: str
    bank_code: str
    account_code: str
    street: str
    postcode: str
    city: str
    email: str
    phone: str
    commission_pct: Decimal
    agency_keeps_costs: bool
    vat_on_costs: bool
    new_payment_term_days: int
    plan_max_instalments: int
    plan_min_instalment_cents: int
    priority: int
    sender_name: str
    brand_colour: str
    brand_font: str
    languages: str
    portal_email: str
    portal_name: str
    portal_language: str
    debtor_count: int
    belgian_count: int
    debtor_code_format: str
    invoice_format: str
    invoice_start: int


CLIENTS: tuple[_ClientSpec, ...] = (
    _ClientSpec(
        code="DUINSTROOM",
        name="Duinstroom Energie B.V.",
        mix="b2c",
        segment=Segment.B2C,
        kvk_number="34298817",
        vat_number="NL818273641B01",
        bank_code="RABO",
        account_code="0312857918",
        street="Kenaupark 21",
        postcode="2011 MR",
        city="Haarlem",
        email="debiteurenbeheer@duinstroom.test",
        phone="+31235430800",
        commission_pct=Decimal("12.50"),
        agency_keeps_costs=True,
        vat_on_costs=False,
        new_payment_term_days=14,
        plan_max_instalments=12,
        plan_min_instalment_cents=2_500,
        priority=1,
        sender_name="Duinstroom Energie",
        brand_colour="#0b7a75",
        brand_font="Helvetica",
        languages="nl,en",
        portal_email="portal@duinstroom.test",
        portal_name="Ingrid Kramer",
        portal_language="en",
        debtor_count=120,
        belgian_count=0,
        debtor_code_format="KL{:06d}",
        invoice_format="71{:08d}",
        invoice_start=304_118,
    ),
    _ClientSpec(
        code="KOSTER",
        name="Koster Bouwmaterialen B.V.",
        mix="b2b",
        segment=Segment.B2B,
        kvk_number="05071964",
        vat_number="NL004417628B01",
        bank_code="INGB",
        account_code="0007652391",
        street="Nijverheidsweg 14",
        postcode="8028 PW",
        city="Zwolle",
        email="administratie@koster-bouwmaterialen.test",
        phone="+31384215600",
        commission_pct=Decimal("17.50"),
        agency_keeps_costs=False,
        vat_on_costs=False,
        new_payment_term_days=21,
        plan_max_instalments=4,
        plan_min_instalment_cents=25_000,
        priority=2,
        sender_name="Koster Bouwmaterialen",
        brand_colour="#b5471b",
        brand_font="Helvetica",
        languages="nl,en",
        portal_email="portal@koster-bouwmaterialen.test",
        portal_name="Marcel Koster",
        portal_language="nl",
        debtor_count=100,
        belgian_count=4,
        debtor_code_format="DEB{:05d}",
        invoice_format="VF{:06d}",
        invoice_start=41_250,
    ),
    _ClientSpec(
        code="JANSEN",
        name="Bakkerij Jansen B.V.",
        mix="mixed",
        segment=Segment.B2B,
        kvk_number="32107745",
        vat_number="NL811205095B01",
        bank_code="ABNA",
        account_code="0529381419",
        street="Langestraat 52",
        postcode="3811 AK",
        city="Amersfoort",
        email="administratie@bakkerij-jansen.test",
        phone="+31334612290",
        commission_pct=Decimal("15.00"),
        agency_keeps_costs=True,
        vat_on_costs=False,
        new_payment_term_days=14,
        plan_max_instalments=6,
        plan_min_instalment_cents=2_500,
        priority=0,
        sender_name="Bakkerij Jansen",
        brand_colour="#8b5e34",
        brand_font="Times",
        languages="nl",
        portal_email="portal@bakkerij-jansen.test",
        portal_name="Wendy Jansen",
        portal_language="nl",
        debtor_count=80,
        belgian_count=2,
        debtor_code_format="J{:04d}",
        invoice_format="F-{:05d}",
        invoice_start=8_020,
    ),
)

# fmt: off
FIRST_NAMES = (
    "Jan", "Pieter", "Kees", "Henk", "Johan", "Willem", "Dirk", "Gerrit", "Bas", "Thijs",
    "Joris", "Ruben", "Daan", "Lars", "Sem", "Tim", "Niels", "Bram", "Jeroen", "Marco", "Erik",
    "Martijn", "Sander", "Mohamed", "Youssef", "Emre", "Ricardo", "Koen", "Wouter", "Stefan",
    "Anna", "Emma", "Sophie", "Julia", "Lotte", "Fleur", "Sanne", "Lisa", "Eva", "Anouk",
    "Marloes", "Ingrid", "Petra", "Monique", "Wilma", "Els", "Annemieke", "Yvonne", "Fatima",
    "Samira", "Chantal", "Naomi", "Iris", "Mirjam", "Karin", "Linda", "Esther", "Hanneke",
    "Bregje", "Noor",
)
# (tussenvoegsel, surname)
SURNAMES = (
    ("de", "Jong"), ("", "Jansen"), ("de", "Vries"), ("van den", "Berg"), ("van", "Dijk"),
    ("", "Bakker"), ("", "Janssen"), ("", "Visser"), ("", "Smit"), ("", "Meijer"),
    ("de", "Boer"), ("", "Mulder"), ("de", "Groot"), ("", "Bos"), ("", "Vos"), ("", "Peters"),
    ("", "Hendriks"), ("van", "Leeuwen"), ("", "Dekker"), ("", "Brouwer"), ("de", "Wit"),
    ("", "Dijkstra"), ("", "Smits"), ("de", "Graaf"), ("van der", "Meer"),
    ("van der", "Linden"), ("", "Kok"), ("", "Jacobs"), ("de", "Haan"), ("", "Vermeulen"),
    ("van den", "Heuvel"), ("van der", "Veen"), ("van den", "Broek"), ("de", "Bruijn"),
    ("van der", "Heijden"), ("", "Schouten"), ("van", "Beek"), ("", "Willems"),
    ("van", "Vliet"), ("van de", "Ven"), ("", "Hoekstra"), ("", "Maas"), ("", "Verhoeven"),
    ("", "Koster"), ("van", "Dam"), ("van der", "Wal"), ("", "Prins"), ("", "Blom"),
    ("", "Huisman"), ("", "El Amrani"), ("", "Yılmaz"), ("", "Öztürk"), ("", "Bouzid"),
    ("", "Nguyen"), ("", "Tjon"), ("ter", "Horst"), ("", "Kuipers"), ("", "Postma"),
    ("op 't", "Hof"), ("in 't", "Veld"),
)
# Trade names for builders and installers (Koster) and for hospitality and shops (Jansen):
# {s} is a surname (with a capitalised tussenvoegsel), {f} a first name, {c} a city.
BUILDER_NAMES = (
    "Installatiebedrijf {s}", "Bouwbedrijf {s} B.V.", "Aannemersbedrijf {s} & Zn.",
    "Schildersbedrijf {s}", "Loodgietersbedrijf {s}", "Dakdekkersbedrijf {s} V.O.F.",
    "Timmerbedrijf {f} {s}", "{s} Bouw B.V.", "{s} & {s2} V.O.F.", "Klussenbedrijf {f} {s}",
    "Hoveniersbedrijf {s}", "Tegelzetbedrijf {s}", "Elektrotechniek {s} B.V.",
    "Stukadoorsbedrijf {s}", "{s} Renovatie B.V.", "Installatietechniek {c} B.V.",
    "Bouwgroep {c} B.V.",
)
HOSPITALITY_NAMES = (
    "Eetcafé {p}", "Restaurant {p}", "Lunchroom {p}", "Hotel {p}", "Supermarkt {s}",
    "Café {p}", "Brasserie {p}", "Catering {s} B.V.", "Strandpaviljoen {p}",
    "Zorgcentrum {p}", "Kantine VV {c}", "Broodjeszaak {f}", "{s} Horeca V.O.F.",
    "Koffiebar {p}", "Partycentrum {p}",
)
PLACE_NAMES = (
    "De Gouden Leeuw", "De Zwaan", "'t Hoekje", "De Molen", "De Kroon", "Het Anker",
    "De Linde", "De Prins", "'t Pleintje", "De Eenhoorn", "Het Wapen", "De Karseboom",
    "De Boterbloem", "Het Zonnehuis", "De Posthoorn",
)
BELGIAN_BUILDER_NAMES = (
    "Bouwwerken {s} BV", "Schrijnwerkerij {s}", "{s} Renovatie NV", "Dakwerken {s} BV",
)
BELGIAN_HOSPITALITY_NAMES = ("Brasserie {p} BV", "Frituur {p}", "Tearoom {p}")
STREETS = (
    "Kerkstraat", "Dorpsstraat", "Molenweg", "Stationsweg", "Schoolstraat", "Julianastraat",
    "Wilhelminastraat", "Beatrixlaan", "Prinses Irenestraat", "Oranjelaan", "Parallelweg",
    "Nieuwstraat", "Hoofdstraat", "Kastanjelaan", "Eikenlaan", "Lindenlaan", "Berkenlaan",
    "Merelstraat", "Vondelstraat", "Rembrandtlaan", "Van Goghstraat", "Havenstraat", "Dijkweg",
    "Zuiderweg", "Noordsingel", "Tulpstraat", "Rozenstraat", "Populierenlaan",
    "Burgemeester de Withstraat", "Prins Bernhardlaan", "Thorbeckestraat", "Mozartlaan",
)
BUSINESS_STREETS = (
    "Industrieweg", "Nijverheidsweg", "Edisonstraat", "Ambachtsweg", "Handelsweg",
    "Energieweg", "Marconistraat", "Transportweg", "Bedrijvenweg", "Havenkade",
)
BELGIAN_STREETS = (
    "Kerkstraat", "Stationsstraat", "Molenstraat", "Nieuwstraat", "Leopoldlaan",
    "Kapelstraat", "Dorpsstraat", "Grote Markt", "Koning Albertlaan", "Brugsesteenweg",
)
# (city, lowest postcode, highest postcode, area code without the trunk 0, weight)
NL_CITIES = (
    ("Amsterdam", 1011, 1109, "20", 12), ("Rotterdam", 3011, 3089, "10", 9),
    ("Den Haag", 2491, 2599, "70", 8), ("Utrecht", 3511, 3585, "30", 6),
    ("Eindhoven", 5611, 5658, "40", 4), ("Groningen", 9711, 9747, "50", 4),
    ("Tilburg", 5011, 5049, "13", 3), ("Almere", 1311, 1364, "36", 3),
    ("Breda", 4811, 4841, "76", 3), ("Nijmegen", 6511, 6546, "24", 3),
    ("Haarlem", 2011, 2037, "23", 4), ("Arnhem", 6811, 6846, "26", 3),
    ("Zwolle", 8011, 8048, "38", 4), ("Amersfoort", 3811, 3829, "33", 5),
    ("Leiden", 2311, 2334, "71", 3), ("Maastricht", 6211, 6229, "43", 2),
    ("Apeldoorn", 7311, 7339, "55", 2), ("Enschede", 7511, 7548, "53", 2),
    ("'s-Hertogenbosch", 5211, 5249, "73", 2), ("Zaandam", 1501, 1509, "75", 2),
    ("Delft", 2611, 2629, "15", 2), ("Dordrecht", 3311, 3329, "78", 2),
    ("Alkmaar", 1811, 1827, "72", 2), ("Deventer", 7411, 7429, "570", 2),
    ("Leeuwarden", 8911, 8939, "58", 2), ("Hilversum", 1211, 1223, "35", 2),
    ("Gouda", 2801, 2809, "182", 1), ("Venlo", 5911, 5928, "77", 1),
    ("Hoorn", 1621, 1689, "229", 1), ("Kampen", 8261, 8266, "38", 1),
)
# (city, postcodes, area code without the trunk 0)
BE_CITIES = (
    ("Antwerpen", (2000, 2018, 2020, 2060, 2100, 2140), "3"),
    ("Gent", (9000, 9030, 9040, 9050), "9"),
    ("Brugge", (8000, 8200, 8310), "50"),
    ("Leuven", (3000, 3001, 3010), "16"),
    ("Hasselt", (3500, 3510), "11"),
    ("Mechelen", (2800, 2811), "15"),
    ("Turnhout", (2300,), "14"),
)
# Letters Dutch postcodes use; SA, SD and SS are never issued.
POSTCODE_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"
# Every demo address ends in the reserved .test domain (RFC 2606), so no mail reaches anyone.
MAIL_PROVIDERS = ("ziggo", "kpnmail", "hotmail", "gmail", "outlook", "xs4all", "live", "home")
NL_BANKS = ("INGB", "RABO", "ABNA", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ")
BE_BANKS = ("001", "068", "363", "735", "973")
DISPUTE_REASONS = (
    "factuur betwist: levering onvolledig",
    "factuur betwist: bedrag klopt niet",
    "debiteur zegt al betaald te hebben",
    "klacht over geleverde dienst",
)
RETURN_REASONS = (
    "ingetrokken door opdrachtgever",
    "oninbaar: onbekend vertrokken",
    "oninbaar: faillissement uitgesproken",
)
# Shares of all cases that end in these outcomes; the rest stays new (recent) or in dunning.
OUTCOME_SHARES = (("paid", 0.08), ("promised", 0.06), ("disputed", 0.04), ("returned", 0.03))
PARTIAL_PAYMENT_SHARE = 0.15

# fmt: on

# --------------------------------------------------------------------------------------------
# The plan: everything random is drawn here, before the database is read
# --------------------------------------------------------------------------------------------


@dataclass
class _InvoicePlan:
    days_ago: int  # invoice date, as days before today
    term_days: int
    amount_cents: int
    paid_before_handoff_cents: int = 0
    reminders_sent: int = 0
    paid_late_days: int | None = None  # historic invoices: days paid after the due date
    number: str = ""

    @property
    def is_open(self) -> bool:
        return self.paid_late_days is None


@dataclass
class _CasePlan:
    opened_ago: int
    outcome: str  # new, dunning, promised, disputed, legal, returned, paid
    segment: Segment
    cost: bool
    partial_pct: int | None  # a partial payment of this percentage of the balance
    direct_payment: bool  # the final payment went to the client instead of the agency
    agent: int | None  # index into AGENT_EMAILS
    next_action_offset: int
    event_fraction: float  # where in the case's life its payment or status change falls
    promise_days: int
    reason: str


@dataclass
class _DebtorPlan:
    code: str
    fields: dict[str, object]
    invoices: list[_InvoicePlan] = field(default_factory=list)
    case: _CasePlan | None = None


T = TypeVar("T")


def _pick_weighted(rng: random.Random, options: Sequence[tuple[T, float]]) -> T:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _slug(text: str) -> str:
    ascii_text = (
        unicodedata.normalize("NFKD", text.replace("ı", "i")).encode("ascii", "ignore").decode()
    )
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


def _surname(rng: random.Random) -> tuple[str, str]:
    return rng.choice(SURNAMES)


def _full_name(first: str, surname: tuple[str, str]) -> str:
    prefix, name = surname
    return f"{first} {prefix} {name}" if prefix else f"{first} {name}"


def _trade_surname(surname: tuple[str, str]) -> str:
    """A surname standing alone, as in a trade name: the tussenvoegsel takes a capital."""
    prefix, name = surname
    return f"{prefix[0].upper()}{prefix[1:]} {name}" if prefix else name


def _phone(rng: random.Random, country: str, area_code: str, mobile: bool) -> str:
    """Draw a phone number valid for its country and return it in E.164."""
    while True:
        if mobile:
            prefix = f"06{rng.randint(1, 5)}" if country == "NL" else f"04{rng.choice('789')}"
            national = f"{prefix}{rng.randint(0, 9_999_999):07d}"
        else:
            # National significant numbers: 9 digits in the Netherlands, 8 in Belgium.
            rest = (9 if country == "NL" else 8) - len(area_code) - 1
            national = f"0{area_code}{rng.randint(2, 9)}{rng.randint(0, 10**rest - 1):0{rest}d}"
        number = phonenumbers.parse(national, country)
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _nl_account(rng: random.Random) -> str:
    """Draw a ten-digit Dutch account number that passes the old eleven-test."""
    while True:
        digits = f"{rng.randint(100_000_000, 999_999_999):010d}"
        if sum(int(d) * w for d, w in zip(digits, range(10, 0, -1), strict=True)) % 11 == 0:
            return digits


def _iban(rng: random.Random, country: str) -> str:
    if country == "BE":
        iban = IBAN.generate(
            "BE", bank_code=rng.choice(BE_BANKS), account_code=f"{rng.randint(0, 9_999_999):07d}"
        )
    else:
        iban = IBAN.generate("NL", bank_code=rng.choice(NL_BANKS), account_code=_nl_account(rng))
    return iban.compact


def _amount_cents(rng: random.Random, median_eur: float, sigma: float, top_eur: int) -> int:
    """Draw an invoice amount, log-normal so that most are small, between EUR 45 and `top_eur`."""
    while True:
        euros = rng.lognormvariate(0, sigma) * median_eur
        if 45 <= euros <= top_eur:
            return round(euros * 100)


def _late_days(rng: random.Random) -> int:
    """Draw how late a debtor paid an invoice: mostly within a week, a few up to three months."""
    lo, hi = _pick_weighted(rng, [((0, 7), 45), ((8, 30), 30), ((31, 60), 19), ((61, 90), 6)])
    return rng.randint(lo, hi)


def _plan_debtor(
    rng: random.Random, spec: _ClientSpec, number: int, kind: DebtorKind, country: str
) -> _DebtorPlan:
    """Draw one debtor with its open and historic invoices and what happens to its case."""
    first = rng.choice(FIRST_NAMES)
    surname = _surname(rng)
    person_name = _full_name(first, surname)
    if country == "BE":
        city, codes, area = rng.choice(BE_CITIES)
        postcode = str(rng.choice(codes))
        street = rng.choice(BELGIAN_STREETS)
        timezone = "Europe/Brussels"
    else:
        city, lo, hi, area, _ = _pick_weighted(rng, [(c, c[4]) for c in NL_CITIES])
        letters = "SA"
        while letters in ("SA", "SD", "SS"):
            letters = rng.choice(POSTCODE_LETTERS) + rng.choice(POSTCODE_LETTERS)
        postcode = f"{rng.randint(lo, hi)} {letters}"
        street = rng.choice(BUSINESS_STREETS if kind is DebtorKind.COMPANY else STREETS)
        timezone = "Europe/Amsterdam"
    house = str(rng.randint(1, 40) if kind is DebtorKind.COMPANY else rng.randint(1, 260))
    if rng.random() < 0.08:
        house += rng.choice(["A", "B", "-1", "-2", " bis" if country == "BE" else "-3"])

    if kind is DebtorKind.COMPANY:
        if spec.mix == "b2b":
            template = rng.choice(BELGIAN_BUILDER_NAMES if country == "BE" else BUILDER_NAMES)
        else:
            template = rng.choice(
                BELGIAN_HOSPITALITY_NAMES if country == "BE" else HOSPITALITY_NAMES
            )
        name = template.format(
            s=_trade_surname(surname),
            s2=_trade_surname(_surname(rng)),
            f=first,
            c=city,
            p=rng.choice(PLACE_NAMES),
        )
        contact_name = _full_name(rng.choice(FIRST_NAMES), _surname(rng))
        domain = _slug(
            name.replace("B.V.", "").replace("V.O.F.", "").replace(" BV", "").replace(" NV", "")
        )
        email = f"{rng.choice(['info', 'administratie', 'facturen', 'boekhouding'])}@{domain}.test"
        mobile = rng.random() < 0.25
        kvk = f"{rng.randint(1_000_000, 99_999_999):08d}" if country == "NL" else None
    else:
        name = person_name
        contact_name = None
        local = rng.choice(
            [
                f"{_slug(first)}.{_slug(surname[0] + surname[1])}",
                f"{_slug(first)[0]}{_slug(surname[0] + surname[1])}",
                f"{_slug(first)}{_slug(surname[1])}{rng.randint(1, 99)}",
                f"{_slug(surname[1])}.{_slug(first)}",
            ]
        )
        email = f"{local}@{rng.choice(MAIL_PROVIDERS)}.test"
        mobile = rng.random() < 0.88
        kvk = None
    phone = _phone(rng, country, area, mobile) if rng.random() < 0.94 else None
    if rng.random() < 0.06:
        email = None
    english = 0.12 if city == "Amsterdam" else 0.03
    language = "en" if rng.random() < english else "nl"
    fields: dict[str, object] = {
        "kind": kind,
        "name": name,
        "contact_name": contact_name,
        "street": f"{street} {house}",
        "postcode": postcode,
        "city": city,
        "country": country,
        "email": email,
        "phone": phone,
        "language": language,
        "timezone": timezone,
        "kvk_number": kvk,
        "iban": _iban(rng, country) if rng.random() < 0.55 else None,
        "consent_email": rng.random() < 0.97,
        "consent_sms": rng.random() < 0.9,
        "vulnerable": kind is DebtorKind.PERSON and rng.random() < 0.03,
    }
    debtor = _DebtorPlan(code=spec.debtor_code_format.format(number), fields=fields)

    # What the client sells this debtor: its invoice sizes and payment term.
    if spec.mix == "b2c":
        median, sigma, top, term = 160.0, 0.8, 3_500, 14
    elif kind is DebtorKind.COMPANY and spec.mix == "b2b":
        median, sigma, top, term = 1_300.0, 1.0, 12_000, 30
    elif kind is DebtorKind.COMPANY:
        median, sigma, top, term = 420.0, 0.8, 5_000, 30
    else:
        median, sigma, top, term = 85.0, 0.6, 600, 14
    segment = Segment.B2C if kind is DebtorKind.PERSON else Segment.B2B

    opened_ago = rng.randint(5, 60)
    for _ in range(_pick_weighted(rng, [(1, 50), (2, 28), (3, 14), (4, 8)])):
        amount = _amount_cents(rng, median, sigma, top)
        invoice = _InvoicePlan(
            days_ago=rng.randint(max(30, opened_ago + term + 10), 300),
            term_days=term,
            amount_cents=amount,
            reminders_sent=_pick_weighted(rng, [(0, 30), (1, 45), (2, 25)]),
        )
        if rng.random() < 0.15:
            paid = round(amount * rng.randint(10, 60) / 100, -2)
            invoice.paid_before_handoff_cents = int(min(max(paid, 100), amount - 100))
        debtor.invoices.append(invoice)
    for _ in range(rng.randint(2, 8)):
        days_ago = rng.randint(90, 720)
        late = min(_late_days(rng), days_ago - term - 1)
        debtor.invoices.append(
            _InvoicePlan(
                days_ago=days_ago,
                term_days=term,
                amount_cents=_amount_cents(rng, median, sigma, top),
                paid_late_days=late,
            )
        )

    # Recently handed-over cases may still wait for their first letter; the other outcomes are
    # dealt out over all cases by `_deal_outcomes`.
    agent_draw = rng.random()
    debtor.case = _CasePlan(
        opened_ago=opened_ago,
        outcome="new" if opened_ago <= 9 and rng.random() < 0.6 else "dunning",
        segment=segment,
        cost=rng.random() < 0.75,
        partial_pct=None,
        direct_payment=rng.random() < 0.2,
        agent=0 if agent_draw < 1 / 3 else 1 if agent_draw < 2 / 3 else None,
        next_action_offset=rng.randint(-10, 10),
        event_fraction=rng.random(),
        promise_days=rng.randint(1, 9),
        reason="",
    )
    return debtor


def _plan_client(rng: random.Random, spec: _ClientSpec) -> list[_DebtorPlan]:
    """Draw the client's debtors and number their invoices in date order."""
    belgian = set(rng.sample(range(spec.debtor_count), spec.belgian_count))
    debtors = []
    for i in range(spec.debtor_count):
        if spec.mix == "b2c":
            kind = DebtorKind.PERSON
        elif spec.mix == "b2b":
            kind = DebtorKind.COMPANY
        else:
            kind = DebtorKind.COMPANY if rng.random() < 0.55 else DebtorKind.PERSON
        number = 1 + i * 7 + rng.randint(0, 6)
        debtors.append(_plan_debtor(rng, spec, number, kind, "BE" if i in belgian else "NL"))
    # The client numbers its invoices in date order; the gaps are invoices paid on time.
    invoices = sorted(
        (
            (inv.days_ago, d, j)
            for d, debtor in enumerate(debtors)
            for j, inv in enumerate(debtor.invoices)
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    sequence = spec.invoice_start
    for _, d, j in invoices:
        sequence += rng.randint(2, 30)
        debtors[d].invoices[j].number = spec.invoice_format.format(sequence)
    return debtors


def _deal_outcomes(rng: random.Random, plan: dict[str, list[_DebtorPlan]]) -> None:
    """Give fixed shares of the cases each outcome, so the mix does not hang on luck."""
    cases = [_case_plan(d) for debtors in plan.values() for d in debtors]
    total = len(cases)
    # Two cases go to a bailiff: the largest B2B claims in dunning for 40 days or more.
    legal = sorted(
        (d for d in plan["KOSTER"] if _case_plan(d).opened_ago >= 40),
        key=lambda d: -sum(i.amount_cents for i in d.invoices if i.is_open),
    )[:2]
    for debtor in legal:
        _case_plan(debtor).outcome = "legal"
        _case_plan(debtor).reason = "overgedragen aan deurwaarder"
    pool = [c for c in cases if c.outcome == "dunning"]
    rng.shuffle(pool)
    for outcome, share in OUTCOME_SHARES:
        # A case is returned to the client only after a month of trying.
        eligible = [c for c in pool if outcome != "returned" or c.opened_ago >= 30]
        for case in eligible[: round(share * total)]:
            case.outcome = outcome
            if outcome == "disputed":
                case.reason = rng.choice(DISPUTE_REASONS)
            elif outcome == "returned":
                case.reason = rng.choice(RETURN_REASONS)
            pool.remove(case)
    worked = [c for c in cases if c.outcome != "new"]
    for case in rng.sample(worked, round(PARTIAL_PAYMENT_SHARE * total)):
        case.partial_pct = rng.randint(15, 60)


def _plan(rng: random.Random) -> dict[str, list[_DebtorPlan]]:
    plan = {spec.code: _plan_client(rng, spec) for spec in CLIENTS}
    _deal_outcomes(rng, plan)
    return plan


def _case_plan(debtor: _DebtorPlan) -> _CasePlan:
    """Return the debtor's case plan (every planned debtor has one)."""
    if debtor.case is None:
        raise ValueError(f"debtor {debtor.code} has no case plan")
    return debtor.case


# --------------------------------------------------------------------------------------------
# Loading: look up by natural key, add what is missing, work the new cases
# --------------------------------------------------------------------------------------------


def _ensure_user(
    email: str, name: str, role: Role, language: str, client: Client | None = None
) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        user = create_user(email, name, DEMO_PASSWORD, role, client=client, language=language)
    return user


def _ensure_client(spec: _ClientSpec) -> Client:
    client = db.session.scalar(sa.select(Client).where(Client.code == spec.code))
    if client is not None:
        return client
    client = Client(
        code=spec.code,
        name=spec.name,
        kvk_number=spec.kvk_number,
        vat_number=spec.vat_number,
        iban=IBAN.generate("NL", bank_code=spec.bank_code, account_code=spec.account_code).compact,
        street=spec.street,
        postcode=spec.postcode,
        city=spec.city,
        country="NL",
        email=spec.email,
        phone=spec.phone,
        commission_pct=spec.commission_pct,
        agency_keeps_costs=spec.agency_keeps_costs,
        vat_on_costs=spec.vat_on_costs,
        default_segment=spec.segment,
        new_payment_term_days=spec.new_payment_term_days,
        plan_max_instalments=spec.plan_max_instalments,
        plan_min_instalment_cents=spec.plan_min_instalment_cents,
        priority=spec.priority,
        sender_name=spec.sender_name,
        brand_colour=spec.brand_colour,
        brand_font=spec.brand_font,
        languages=spec.languages,
    )
    db.session.add(client)
    db.session.flush()
    return client


def _between(lo: date, hi: date, fraction: float) -> date:
    """Return the day a `fraction` of the way from `lo` to `hi` (`hi` when `lo` is later)."""
    return min(lo + timedelta(days=max(0, int((hi - lo).days * fraction))), hi)


def _work_case(
    case: Case,
    plan: _CasePlan,
    client: Client,
    invoices: list[Invoice],
    agents: list[User],
    today: date,
) -> None:
    """Book the handed-over invoices on a new case and play out what happened since."""
    opened_on = case.opened_on
    owed = 0
    for invoice in invoices:
        invoice.case_id = case.id
        amount = invoice.amount_cents - invoice.paid_before_handoff_cents
        book_charge(
            case,
            EntryKind.PRINCIPAL,
            amount,
            invoice=invoice,
            source=EntrySource.HANDOFF,
            booked_on=opened_on,
            description=f"Factuur {invoice.number}",
        )
        owed += amount
    if plan.agent is not None:
        case.assigned_agent_id = agents[plan.agent].id
    if plan.outcome == "new":
        # The first letter is due: today, or overdue by a few days.
        case.next_action_on = today - timedelta(days=abs(plan.next_action_offset) // 3)
        return

    last_event = opened_on + timedelta(days=1)
    transition(case, CaseStatus.DUNNING, on=last_event, reason="eerste aanmaning")
    if plan.cost:
        # B2B: the costs are due from the day after the due date, no letter needed. B2C: only
        # after the 14-day letter (art. 6:96 lid 6 BW): receipt plus 14 days, then a day.
        cost_on = opened_on if plan.segment is Segment.B2B else opened_on + timedelta(days=17)
        if cost_on < today:
            costs = wik_costs(owed, vat=client.vat_on_costs)
            book_charge(
                case,
                EntryKind.COST,
                costs,
                booked_on=cost_on,
                source=EntrySource.DUNNING,
                description="Buitengerechtelijke incassokosten (WIK)",
            )
            owed += costs
            last_event = max(last_event, cost_on)
    yesterday = today - timedelta(days=1)
    if plan.partial_pct is not None:
        paid = min(max(round(owed * plan.partial_pct / 100, -3), 1_000), owed - 500)
        if paid > 0:
            paid_on = _between(last_event + timedelta(days=1), yesterday, plan.event_fraction / 2)
            book_reduction(
                case,
                EntryKind.PAYMENT,
                int(paid),
                booked_on=paid_on,
                source=EntrySource.PAYLINK,
                description="Deelbetaling via betaallink",
            )
            last_event = paid_on

    event_on = _between(last_event + timedelta(days=1), today, plan.event_fraction)
    if plan.outcome == "paid":
        balance = case_balance(case.id).total
        kept = None
        if (
            plan.agent is not None
            and not plan.direct_payment
            and int(plan.event_fraction * 100) % 2
        ):
            # Half of the assigned cases paid through the bank were paid as promised on a call.
            agent = agents[plan.agent]
            promised_on = event_on + timedelta(days=1)
            made_on = max(last_event, event_on - timedelta(days=4))
            contact = log_contact(
                case,
                channel=Channel.CALL_OUT,
                outcome=Outcome.PROMISE,
                note="Betaalt het hele bedrag deze week",
                duration_seconds=180,
                occurred_at=_at(made_on, 11),
                today=made_on,
                actor=agent,
            )
            kept = record_promise(
                case, balance, promised_on, today=made_on, contact=contact, actor=agent
            )
        if plan.direct_payment:
            book_reduction(
                case,
                EntryKind.DIRECT_PAYMENT,
                balance,
                booked_on=event_on,
                source=EntrySource.CLIENT,
                description="Rechtstreeks aan opdrachtgever betaald",
            )
        else:
            book_reduction(
                case,
                EntryKind.PAYMENT,
                balance,
                booked_on=event_on,
                source=EntrySource.BANK,
                description=f"Overboeking o.v.v. {case.reference}",
            )
        if case.status is not CaseStatus.PAID:
            raise RuntimeError(f"case {case.reference} was paid in full but is {case.status.value}")
        if kept is not None:
            settle_promise(kept, today=event_on)
    elif plan.outcome == "returned":
        transition(case, CaseStatus.RETURNED, on=event_on, reason=plan.reason)
    elif plan.outcome == "promised":
        promised_on = today + timedelta(days=plan.promise_days)
        agent = agents[plan.agent] if plan.agent is not None else None
        contact = log_contact(
            case,
            channel=Channel.CALL_OUT,
            outcome=Outcome.PROMISE,
            note="Belooft te betalen na ontvangst salaris",
            duration_seconds=120 + int(plan.event_fraction * 300),
            occurred_at=_at(event_on, 10),
            today=event_on,
            actor=agent,
        )
        balance = case_balance(case.id).total
        record_promise(case, balance, promised_on, today=event_on, contact=contact, actor=agent)
        case.next_action_on = promised_on + timedelta(days=1)
    elif plan.outcome == "disputed":
        disputed = max(invoices, key=lambda i: i.amount_cents)
        open_part = invoice_open_principal(case.id).get(disputed.id, 0)
        if open_part > 0:
            record_dispute(
                case,
                disputed,
                DisputeReason.OTHER,
                open_part,
                note=plan.reason,
                files=[],
                upload_root=Path("."),  # no files in the demo
                today=event_on,
            )
        else:
            transition(case, CaseStatus.DISPUTED, on=event_on, reason=plan.reason)
            pause(case, "dispute", None)
    elif plan.outcome == "legal":
        transition(case, CaseStatus.LEGAL, on=event_on, reason=plan.reason)
        pause(case, "legal", None)

    if plan.outcome == "dunning" and plan.agent is not None:
        _work_the_phone(case, plan, client, invoices, agents[plan.agent], last_event, today)
    if case.is_open:
        if plan.outcome != "promised":
            case.next_action_on = max(today + timedelta(days=plan.next_action_offset), last_event)
    else:
        case.next_action_on = None


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), AGENCY_TZ)


def _work_the_phone(
    case: Case,
    plan: _CasePlan,
    client: Client,
    invoices: list[Invoice],
    agent: User,
    last_event: date,
    today: date,
) -> None:
    """Give an assigned case in dunning the calls an agent would have made: unanswered calls,
    sometimes a shorter payment term agreed, a promise that was broken, or a payment plan."""
    pick = int(plan.event_fraction * 1000) % 10
    call_on = _between(last_event, today - timedelta(days=1), plan.event_fraction)
    log_contact(
        case,
        channel=Channel.CALL_OUT,
        outcome=(Outcome.NO_ANSWER, Outcome.VOICEMAIL)[pick % 2],
        occurred_at=_at(call_on, 9 + pick),
        today=call_on,
        actor=agent,
    )
    term = invoices[-1].due_date - invoices[-1].invoice_date
    if pick == 3 and client.new_payment_term_days and client.new_payment_term_days < term.days:
        contact = log_contact(
            case,
            channel=Channel.CALL_IN,
            outcome=Outcome.PAYMENT_TERM,
            note="Akkoord met kortere betaaltermijn voor nieuwe facturen",
            duration_seconds=240,
            occurred_at=_at(call_on, 15),
            today=call_on,
            actor=agent,
        )
        record_payment_term(
            case,
            term.days,
            client.new_payment_term_days,
            today=call_on,
            contact=contact,
            actor=agent,
        )
    elif pick == 5 and (today - call_on).days > 2 + GRACE_DAYS:
        # A promise made on that call and not kept: the case is back on top of the queue.
        balance = case_balance(case.id).total
        record_promise(case, balance, call_on + timedelta(days=1), today=call_on, actor=agent)
        promise = db.session.scalar(sa.select(Promise).where(Promise.case_id == case.id))
        settle_promise(promise, today=today)
    elif pick == 7 and case.status is CaseStatus.DUNNING:
        balance = case_balance(case.id).total
        count = min(3, client.plan_max_instalments)
        if balance // count >= client.plan_min_instalment_cents:
            propose_arrangement(
                case, balance, count, today + timedelta(days=7), today=today, actor=agent
            )


def _load_client_debtors(
    client: Client, debtors: list[_DebtorPlan], agents: list[User], today: date
) -> None:
    """Add the client's missing debtors and invoices; open and work a case for new open ones."""
    existing = {
        d.debtor_code: d
        for d in db.session.scalars(sa.select(Debtor).where(Debtor.client_id == client.id))
    }
    numbers = set(
        db.session.scalars(sa.select(Invoice.number).where(Invoice.client_id == client.id))
    )
    rows: list[tuple[_DebtorPlan, Debtor, bool]] = []
    for plan in debtors:
        debtor = existing.get(plan.code)
        is_new = debtor is None
        if debtor is None:
            debtor = Debtor(client_id=client.id, debtor_code=plan.code, **plan.fields)
            db.session.add(debtor)
        rows.append((plan, debtor, is_new))
    if any(is_new for _, _, is_new in rows):
        db.session.flush()

    new_open: list[tuple[_DebtorPlan, Debtor, bool, list[Invoice]]] = []
    for plan, debtor, is_new in rows:
        open_invoices = []
        for inv in plan.invoices:
            if inv.number in numbers:
                continue
            invoice_date = today - timedelta(days=inv.days_ago)
            due_date = invoice_date + timedelta(days=inv.term_days)
            invoice = Invoice(
                client_id=client.id,
                debtor_id=debtor.id,
                number=inv.number,
                invoice_date=invoice_date,
                due_date=due_date,
                amount_cents=inv.amount_cents,
                paid_before_handoff_cents=inv.paid_before_handoff_cents,
                reminders_sent=inv.reminders_sent,
                paid_on=(
                    None
                    if inv.paid_late_days is None
                    else due_date + timedelta(days=inv.paid_late_days)
                ),
            )
            db.session.add(invoice)
            if inv.is_open:
                open_invoices.append(invoice)
        if open_invoices:
            new_open.append((plan, debtor, is_new, open_invoices))
    if not new_open:
        return
    db.session.flush()

    for plan, debtor, is_new, invoices in new_open:
        case_plan = _case_plan(plan)
        case = None
        if not is_new:
            # A debtor from an earlier load that is missing invoices: add them to its open case.
            case = db.session.scalar(
                sa.select(Case).where(
                    Case.client_id == client.id,
                    Case.debtor_id == debtor.id,
                    Case.closed_on.is_(None),
                )
            )
        if case is not None:
            for invoice in invoices:
                invoice.case_id = case.id
                book_charge(
                    case,
                    EntryKind.PRINCIPAL,
                    invoice.amount_cents - invoice.paid_before_handoff_cents,
                    invoice=invoice,
                    source=EntrySource.HANDOFF,
                    booked_on=today,
                )
            continue
        opened_on = today - timedelta(days=case_plan.opened_ago)
        case = open_case(client, debtor, opened_on=opened_on, segment=case_plan.segment)
        _work_case(case, case_plan, client, invoices, agents, today)


def load_demo(today: date | None = None) -> list[tuple[str, str, str]]:
    """Add the demo data that is not there yet and return the demo logins (email, role, detail).

    Flushes, never commits. Running it again adds nothing.
    """
    today = today or local_today()
    plan = _plan(random.Random(SEED))
    logins: list[tuple[str, str, str]] = []
    users: dict[str, User] = {}
    for staff in STAFF:
        users[staff.email] = _ensure_user(staff.email, staff.name, staff.role, staff.language)
        logins.append((staff.email, staff.role.value, staff.name))
    agents = [users[email] for email in AGENT_EMAILS]
    for spec in CLIENTS:
        client = _ensure_client(spec)
        _ensure_user(
            spec.portal_email, spec.portal_name, Role.CLIENT, spec.portal_language, client=client
        )
        logins.append((spec.portal_email, Role.CLIENT.value, f"client user of {client.name}"))
        _load_client_debtors(client, plan[spec.code], agents, today)
    refresh_priorities(None, today)
    _simulate_client_money(today)
    db.session.flush()
    return logins


# One client paid gross with a commission by the claim's age at handoff; the others net, flat.
CONTRACTS = {"KOSTER": ("age_tiered", [[0, "12.5"], [180, "17.5"], [365, "25"]], "gross")}
UNKNOWN_PAYER = ("K. de Vries", "NL11RABO0300000002")


def _bank_line(statement_key: str, n: int, **fields) -> BankTransaction:
    key = hashlib.sha256(f"demo|{statement_key}|{n}".encode()).hexdigest()
    return BankTransaction(dedupe_key=key, **fields)


def _simulate_client_money(today: date) -> None:
    """Play the client-money account: every payment arrived on it, a month's remittance run
    paid the clients and moved the agency's share out, one credit waits for an operator and one
    was paid back. Statements are monthly; the reconciliation balances to zero on it."""
    if db.session.scalar(sa.select(BankStatement.id).limit(1)) is not None:
        return
    for code, (kind, tiers, mode) in CONTRACTS.items():
        client = db.session.scalar(sa.select(Client).where(Client.code == code))
        if client is not None:
            client.contract_kind, client.commission_tiers, client.remittance_mode = (
                kind,
                tiers,
                mode,
            )
    lines: list[tuple[BankTransaction, LedgerEntry | None]] = []
    payments = db.session.execute(
        sa.select(LedgerEntry, Case.reference, Debtor.name, Debtor.iban)
        .join(Case, Case.id == LedgerEntry.case_id)
        .join(Debtor, Debtor.id == Case.debtor_id)
        .where(LedgerEntry.kind == EntryKind.PAYMENT, LedgerEntry.reverses_id.is_(None))
        .order_by(LedgerEntry.booked_on, LedgerEntry.id)
    ).all()
    for n, (entry, reference, name, iban) in enumerate(payments):
        txn = _bank_line(
            "credit",
            n,
            booked_on=entry.booked_on,
            amount_cents=-entry.amount_cents,
            counterparty_name=name,
            counterparty_iban=iban,
            reference=reference,
            bank_reference=f"DEMO{n:06d}",
            status=TransactionStatus.BOOKED,
            matched_by=MatchMethod.REFERENCE,
        )
        lines.append((txn, entry))
    name, iban = UNKNOWN_PAYER
    lines.append(
        (
            _bank_line(
                "unknown",
                1,
                booked_on=today - timedelta(days=3),
                amount_cents=42_50,
                counterparty_name=name,
                counterparty_iban=iban,
                remittance="betaling",
                status=TransactionStatus.UNMATCHED,
            ),
            None,
        )
    )
    returned = _bank_line(
        "returned",
        1,
        booked_on=today - timedelta(days=12),
        amount_cents=19_99,
        counterparty_name="Sportschool Fit B.V.",
        counterparty_iban="NL44RABO0123456789",
        remittance="abonnement maart",
        status=TransactionStatus.RETURNED,
        note="Niet voor ons bestemd",
    )
    refund = _bank_line(
        "refund",
        1,
        booked_on=today - timedelta(days=10),
        amount_cents=-19_99,
        counterparty_name="Sportschool Fit B.V.",
        counterparty_iban="NL44RABO0123456789",
        remittance="retour abonnement maart",
        status=TransactionStatus.REFUND,
    )
    refund.related = returned
    lines += [(returned, None), (refund, None)]

    # Last month's remittance run, paid a few days into this month.
    cutoff = today.replace(day=1) - timedelta(days=1)
    execution = min(cutoff + timedelta(days=3), today)
    try:
        run = create_run(cutoff, execution, current_app.config)
    except RemittanceRefused:
        run = None
    if run is not None:
        db.session.flush()
        for line in run.lines:
            if line.payout_cents > 0:
                txn = _bank_line(
                    "payout",
                    line.client_id,
                    booked_on=execution,
                    amount_cents=-line.payout_cents,
                    counterparty_name=line.client.name,
                    counterparty_iban=line.iban,
                    remittance=f"Afdracht {run.number}",
                    status=TransactionStatus.PAYOUT,
                    remittance_run_id=run.id,
                )
                lines.append((txn, None))
        share = sum(line.collected_cents - line.payout_cents for line in run.lines)
        if share > 0:
            office = current_app.config["AGENCY_OFFICE_IBAN"]
            txn = _bank_line(
                "commission",
                run.number,
                booked_on=execution,
                amount_cents=-share,
                counterparty_name=current_app.config["AGENCY_NAME"],
                counterparty_iban=office,
                remittance=f"Provisie afdracht {run.number}",
                status=TransactionStatus.COMMISSION,
            )
            lines.append((txn, None))

    months = sorted({(t.booked_on.year, t.booked_on.month) for t, _ in lines})
    balance = 0
    account = current_app.config["AGENCY_IBAN"].replace(" ", "")
    for year, month in months:
        in_month = [
            (t, e) for t, e in lines if (t.booked_on.year, t.booked_on.month) == (year, month)
        ]
        closing = balance + sum(t.amount_cents for t, _ in in_month)
        statement = BankStatement(
            format=StatementFormat.CAMT053,
            account_iban=account,
            statement_ref=f"DEMO-{year}-{month:02d}",
            filename=f"demo-{year}-{month:02d}.xml",
            checksum=hashlib.sha256(f"demo statement {year}-{month}".encode()).hexdigest(),
            opening_cents=balance,
            closing_cents=closing,
            statement_date=max(t.booked_on for t, _ in in_month),
        )
        db.session.add(statement)
        db.session.flush()
        for txn, entry in in_month:
            txn.statement_id = statement.id
            db.session.add(txn)
            db.session.flush()
            if entry is not None:
                db.session.add(
                    BankBooking(
                        transaction_id=txn.id,
                        entry_id=entry.id,
                        client_id=entry.client_id,
                        amount_cents=txn.amount_cents,
                    )
                )
        balance = closing
    db.session.flush()
