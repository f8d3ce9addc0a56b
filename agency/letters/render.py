"""Texts of a letter: template rendering in a sandbox, money and dates in the letter's language."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from babel.dates import format_date
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from agency.errors import AgencyError
from agency.letters.wording import FRAME
from agency.money import format_eur

_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


class TemplateInvalid(AgencyError):
    """A letter template cannot be rendered (syntax error or unknown name)."""


def money(cents: int, language: str) -> str:
    """Format cents as euros the way the letter's language writes them."""
    return format_eur(cents, language)


def long_date(value: date | str, language: str) -> str:
    """Write a date out in full in the letter's language, e.g. '14 mei 2025'."""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return format_date(value, format="long", locale=language)


@lru_cache(maxsize=512)
def _compiled(source: str):
    # A run of letters uses a handful of texts; compiling one costs more than rendering it.
    return _env.from_string(source)


def render_text(source: str, variables: dict[str, Any]) -> str:
    """Render template text with the letter's variables; raise TemplateInvalid on errors."""
    try:
        return _compiled(source).render(**variables)
    except TemplateError as exc:
        raise TemplateInvalid(str(exc)) from exc


def template_variables(content: dict[str, Any]) -> dict[str, str]:
    """The names a template may use, formatted from a letter's content snapshot."""
    lang = content["language"]
    balance = content["balance"]
    term = content.get("term_ends_on")
    stated = content.get("stated_costs_cents")
    stated_text = money(stated, lang) if stated is not None else ""
    if stated and content.get("vat_on_costs"):
        stated_text += f" ({FRAME[lang]['vat_included']})"
    return {
        "debtor_name": content["debtor"]["name"],
        "creditor": content["creditor"]["name"],
        "reference": content["reference"],
        "total": money(balance["total"], lang),
        "principal": money(balance["principal"], lang),
        "costs": money(balance["cost"], lang),
        "interest": money(balance["interest"], lang),
        "stated_costs": stated_text,
        "term_ends_on": long_date(term, lang) if term else "",
        "payment_url": content["payment_url"],
        "sender": content["creditor"]["sender_name"],
        "agency": content["agency"]["name"],
    }
