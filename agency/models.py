"""Every model, imported in one place so metadata (and Alembic) knows all tables."""

from agency.audit import AuditEvent
from agency.auth.models import User
from agency.cases.models import Case, Debtor, InterestRate, Invoice
from agency.clients.models import ApiToken, Client, Handoff, HeaderMapping
from agency.contact_log.models import (
    Arrangement,
    ContactEntry,
    Dispute,
    DisputeFile,
    Instalment,
    PaymentTermAgreement,
    Promise,
)
from agency.ledger.models import (
    Allocation,
    BankBooking,
    BankStatement,
    BankTransaction,
    LedgerEntry,
    RemittanceLine,
    RemittanceRun,
    RemittedEntry,
)
from agency.letters.models import DunningPolicy, DunningStep, LetterTemplate, Message
from agency.paylink.models import DebtorFile, DebtorRequest, PayToken, ProviderPayment
from agency.reports.models import ReportMailing
from agency.sandbox.models import SandboxRecord

__all__ = [
    "Arrangement",
    "ContactEntry",
    "Dispute",
    "DisputeFile",
    "Instalment",
    "PaymentTermAgreement",
    "Promise",
    "Allocation",
    "BankBooking",
    "BankStatement",
    "BankTransaction",
    "RemittanceLine",
    "RemittanceRun",
    "RemittedEntry",
    "ApiToken",
    "Handoff",
    "HeaderMapping",
    "AuditEvent",
    "Case",
    "DebtorFile",
    "DebtorRequest",
    "Client",
    "Debtor",
    "DunningPolicy",
    "DunningStep",
    "InterestRate",
    "Invoice",
    "LedgerEntry",
    "LetterTemplate",
    "Message",
    "PayToken",
    "ProviderPayment",
    "ReportMailing",
    "SandboxRecord",
    "User",
]
