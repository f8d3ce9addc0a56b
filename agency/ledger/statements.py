"""Reading bank statements of the client-money account: CAMT.053 (pycamt) and MT940 (mt-940).

Both formats come out as one `ParsedStatement` with signed cents per line, so matching and
booking never know which format a line came from.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

import mt940
from lxml import etree
from pycamt.parser import Camt053Parser
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from agency.errors import AgencyError
from agency.ledger.models import StatementFormat
from agency.money import to_cents


class StatementRejected(AgencyError):
    """A statement file cannot be read; the message says what is wrong with it."""


@dataclass(frozen=True)
class ParsedLine:
    """One line of a statement: positive cents came in, negative went out."""

    booked_on: date
    amount_cents: int
    is_reversal: bool = False
    counterparty_name: str | None = None
    counterparty_iban: str | None = None
    reference: str | None = None  # a structured creditor reference
    remittance: str | None = None  # free text
    bank_reference: str | None = None
    is_charge: bool = False  # the bank says these are its own charges


@dataclass
class ParsedStatement:
    format: StatementFormat
    account_iban: str
    statement_ref: str
    statement_date: date
    opening_cents: int
    closing_cents: int
    lines: list[ParsedLine] = field(default_factory=list)

    def line_keys(self) -> list[str]:
        """Return a key per line that is the same whenever the same line is read again."""
        seen: dict[str, int] = {}
        keys = []
        for line in self.lines:
            base = "|".join(
                str(part)
                for part in (
                    self.account_iban,
                    line.booked_on.isoformat(),
                    line.amount_cents,
                    line.is_reversal,
                    line.counterparty_iban or "",
                    line.reference or "",
                    " ".join((line.remittance or "").split()),
                    line.bank_reference or "",
                )
            )
            seen[base] = seen.get(base, 0) + 1
            keys.append(hashlib.sha256(f"{base}|{seen[base]}".encode()).hexdigest())
        return keys


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _iban(text: str | None) -> str | None:
    """Return a valid IBAN in its compact form, or None."""
    if not text:
        return None
    try:
        return IBAN(text).compact
    except SchwiftyException:
        return None


def _cents(text: str | None, where: str) -> int:
    try:
        return to_cents(Decimal((text or "").strip().replace(",", ".")))
    except (InvalidOperation, ValueError) as error:
        raise StatementRejected(f"{where}: {text!r} is not an amount") from error


def _date(text: str | None, where: str) -> date:
    try:
        return date.fromisoformat((text or "")[:10])
    except ValueError as error:
        raise StatementRejected(f"{where}: {text!r} is not a date (YYYY-MM-DD)") from error


def read_statement(data: bytes) -> ParsedStatement:
    """Read a CAMT.053 or MT940 file, telling them apart by their first characters."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:200]
    if head.startswith(b"<"):
        return read_camt053(data)
    if b":20:" in data[:400] or head.startswith(b"{1:"):
        return read_mt940(data)
    raise StatementRejected("the file is neither a CAMT.053 (XML) nor an MT940 statement")


# --- CAMT.053 -------------------------------------------------------------------------------------


def read_camt053(data: bytes) -> ParsedStatement:
    """Read a CAMT.053 (ISO 20022 BankToCustomerStatement) file, any published version."""
    try:
        parser = Camt053Parser(data)
    except etree.XMLSyntaxError as error:
        raise StatementRejected(f"the XML cannot be read: {error}") from error
    if parser.version == "unknown" or "camt.053" not in (parser.tree.tag or ""):
        raise StatementRejected("the XML is not a CAMT.053 statement (camt.053.001.xx)")
    infos = parser.get_statement_info()
    if len(infos) != 1:
        raise StatementRejected(f"expected one statement in the file, found {len(infos)}")
    info = infos[0]
    if info.get("Currency") not in (None, "EUR"):
        raise StatementRejected(f"the account is in {info['Currency']}; only EUR is handled")
    account = _iban(info.get("IBAN"))
    if account is None:
        raise StatementRejected("the statement names no valid IBAN for the account")
    if info.get("OpeningBalance") is None or info.get("ClosingBalance") is None:
        raise StatementRejected("the statement has no opening (OPBD) or closing (CLBD) balance")
    opening = _cents(info["OpeningBalance"], "opening balance")
    closing = _cents(info["ClosingBalance"], "closing balance")
    ns = {"c": parser.tree.nsmap.get(None, "")}
    for balance in parser.tree.iterfind(".//c:Stmt/c:Bal", ns):
        code = balance.findtext("c:Tp/c:CdOrPrtry/c:Cd", namespaces=ns)
        if balance.findtext("c:CdtDbtInd", namespaces=ns) == "DBIT":
            if code == "OPBD":
                opening = -opening
            elif code == "CLBD":
                closing = -closing
    stmt_id = parser.tree.find(".//c:Stmt/c:Id", ns)
    header = parser.get_group_header()
    lines = []
    for n, tx in enumerate(parser.get_transactions(), start=1):
        where = f"entry {n}"
        if tx.get("Status") not in (None, "BOOK"):
            continue  # pending or informational entries are not on the account yet
        if tx.get("Currency") not in (None, "EUR"):
            raise StatementRejected(f"{where}: only EUR is handled, not {tx['Currency']}")
        amount = _cents(tx.get("Amount"), where)
        debit = tx.get("CreditDebitIndicator") == "DBIT"
        if tx.get("CreditDebitIndicator") not in ("CRDT", "DBIT"):
            raise StatementRejected(f"{where}: CdtDbtInd must be CRDT or DBIT")
        name = tx.get("CreditorName") if debit else tx.get("DebtorName")
        iban = tx.get("CreditorIBAN") if debit else tx.get("DebtorIBAN")
        # pycamt puts a structured reference (Strd/CdtrRefInf/Ref) in RemittanceInformation.
        full = tx.get("RemittanceInformationFull") or ""
        structured = tx.get("RemittanceInformation")
        if structured and structured in full:
            structured = None
        free = tx.get("RemittanceInformationFull") or tx.get("AdditionalEntryInformation")
        lines.append(
            ParsedLine(
                booked_on=_date(tx.get("BookingDate") or tx.get("ValueDate"), where),
                amount_cents=-amount if debit else amount,
                is_reversal=(tx.get("ReversalIndicator") or "").lower() == "true",
                counterparty_name=name,
                counterparty_iban=_iban(iban),
                reference=structured,
                remittance=free,
                bank_reference=tx.get("TransactionID") or tx.get("EndToEndId"),
                is_charge=tx.get("TransactionSubFamilyCode") == "CHRG",
            )
        )
    statement_date = _date(
        info.get("ClosingBalanceDate") or header.get("CreationDateTime"), "statement"
    )
    ref = stmt_id.text if stmt_id is not None else header.get("MessageID", "")
    return ParsedStatement(
        StatementFormat.CAMT053, account, ref or "", statement_date, opening, closing, lines
    )


# --- MT940 ----------------------------------------------------------------------------------------

# The structured :86: field Dutch banks write (/TAG/value/TAG/value...).
_TAGS = (
    "EREF|CNTP|REMI|RTRN|TRTP|MARF|CSID|BENM|ORDP|IREF|PURP|ULTC|ULTD|ULTB|SVCL|ISDT|FX|BUSP|PREF"
)
_TAG = re.compile(rf"/({_TAGS})/")


def _details(text: str) -> dict[str, str]:
    """Split a structured :86: field into its tags; free text comes back under 'text'."""
    text = text.replace("\r", "").replace("\n", "")
    parts = _TAG.split(text)
    if len(parts) < 3:
        return {"text": text.strip()}
    fields = {}
    for tag, value in zip(parts[1::2], parts[2::2], strict=True):
        fields[tag] = value
    return fields


def _plain(day: date) -> date:
    return date(day.year, day.month, day.day)


def read_mt940(data: bytes) -> ParsedStatement:
    """Read an MT940 customer statement (one statement per file)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    # RC (a credit reversed) takes money off the account; mt-940 signs it so when asked.
    statements = mt940.models.Transactions(options=mt940.Options(reversal_sign=True))
    try:
        statements.parse(text)
    except Exception as error:  # the parser raises plain errors on malformed tags
        raise StatementRejected(f"the MT940 file cannot be read: {error}") from error
    info = statements.data
    account_field = (info.get("account_identification") or "").replace(" ", "")
    account = _iban(account_field[:-3] if account_field.endswith("EUR") else account_field)
    if account is None:
        raise StatementRejected(":25: does not name a valid IBAN for the account")
    opening = info.get("final_opening_balance") or info.get("opening_balance")
    closing = info.get("final_closing_balance") or info.get("closing_balance")
    if opening is None or closing is None:
        raise StatementRejected("the statement has no opening (:60F:) or closing (:62F:) balance")
    lines = []
    for n, tx in enumerate(statements, start=1):
        d = tx.data
        if d.get("currency") not in (None, "EUR"):
            raise StatementRejected(f"line {n}: only EUR is handled, not {d['currency']}")
        fields = _details(d.get("transaction_details") or "")
        cntp = fields.get("CNTP", "").split("/")
        remi = fields.get("REMI", "")
        reference = free = None
        if remi.startswith("STRD/"):
            reference = remi.split("/")[2] if remi.count("/") >= 2 else None
        elif remi.startswith("USTD/"):
            free = remi[5:].strip("/").strip() or None
        else:
            free = fields.get("text") or remi.strip("/") or None
        status = d.get("status") or ""
        lines.append(
            ParsedLine(
                booked_on=_plain(d.get("entry_date") or d["date"]),
                amount_cents=to_cents(d["amount"].amount),
                is_reversal=status.startswith("R") or "RTRN" in fields,
                counterparty_name=(cntp[2].strip() or None) if len(cntp) > 2 else None,
                counterparty_iban=_iban(cntp[0]) if cntp else None,
                reference=reference,
                remittance=free,
                bank_reference=d.get("bank_reference"),
                is_charge=d.get("id") in ("NCHG", "FCHG"),
            )
        )
    return ParsedStatement(
        StatementFormat.MT940,
        account,
        f"{info.get('transaction_reference', '')}/{info.get('statement_number', '')}",
        _plain(closing.date),
        to_cents(opening.amount.amount),
        to_cents(closing.amount.amount),
        lines,
    )
