"""Commission per the client's contract, and VAT on it.

A contract kind is a small class with one method, `commission`, registered in CONTRACTS under
the name stored in `Client.contract_kind`. A new kind of contract is a new class here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from agency.clients.models import Client
from agency.errors import AgencyError
from agency.money import from_cents, to_cents

VAT_PCT = Decimal("21")  # Dutch standard rate on the agency's commission


class ContractError(AgencyError):
    """A client's contract cannot be applied as stored."""


@dataclass(frozen=True)
class CollectedPrincipal:
    """Principal collected on one invoice (negative when a payment was reversed)."""

    cents: int
    age_days: int  # how overdue the claim was when the client handed it over


class Contract(Protocol):
    def commission(self, collected: Iterable[CollectedPrincipal]) -> int:
        """Return the commission in cents (without VAT) on the collected principal."""


def _percent_of(cents_by_rate: dict[Decimal, int]) -> int:
    """Round once per run: the sum over rates of cents times the rate."""
    total = sum((from_cents(cents) * pct / 100 for pct, cents in cents_by_rate.items()), Decimal(0))
    return to_cents(total)


@dataclass(frozen=True)
class FlatRate:
    """One percentage of all collected principal."""

    pct: Decimal

    def commission(self, collected: Iterable[CollectedPrincipal]) -> int:
        return _percent_of({self.pct: sum(item.cents for item in collected)})


@dataclass(frozen=True)
class AgeTiered:
    """A percentage by the claim's age at handoff: older claims cost more to collect."""

    tiers: tuple[tuple[int, Decimal], ...]  # (minimum age in days, percentage), ascending

    def rate(self, age_days: int) -> Decimal:
        chosen = self.tiers[0][1]
        for minimum, pct in self.tiers:
            if age_days >= minimum:
                chosen = pct
        return chosen

    def commission(self, collected: Iterable[CollectedPrincipal]) -> int:
        by_rate: dict[Decimal, int] = defaultdict(int)
        for item in collected:
            by_rate[self.rate(item.age_days)] += item.cents
        return _percent_of(by_rate)


def _age_tiered(client: Client) -> Contract:
    try:
        tiers = tuple(
            sorted((int(days), Decimal(str(pct))) for days, pct in client.commission_tiers)
        )
    except (TypeError, ValueError) as error:
        raise ContractError(f"the commission tiers of {client.name} cannot be read") from error
    if not tiers or any(not 0 <= pct <= 100 for _, pct in tiers):
        raise ContractError(f"{client.name} needs tiers of [days, percentage 0-100]")
    return AgeTiered(tiers)


CONTRACTS = {
    "flat": lambda client: FlatRate(Decimal(client.commission_pct)),
    "age_tiered": _age_tiered,
}


def contract_for(client: Client) -> Contract:
    """Return the contract the client signed."""
    try:
        build = CONTRACTS[client.contract_kind]
    except KeyError as error:
        raise ContractError(f"unknown contract kind {client.contract_kind!r}") from error
    return build(client)


def vat_on(commission_cents: int) -> int:
    """Return the VAT on a commission, rounded half-up to the cent."""
    return to_cents(from_cents(commission_cents) * VAT_PCT / 100)
