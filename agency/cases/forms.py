"""What the case lists accept from the query string."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import abort, request

from agency.cases.models import CaseStatus


@dataclass(frozen=True)
class CaseListArgs:
    """Filters and the keyset position of a case list page."""

    status: CaseStatus | None = None
    search: str | None = None
    after_id: int | None = None

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> CaseListArgs:
        """Read `status`, `q` and `after`; raise ValueError on a value that makes no sense."""
        status = args.get("status") or None
        after = args.get("after") or None
        return cls(
            status=CaseStatus(status) if status else None,
            search=(args.get("q") or "").strip() or None,
            after_id=int(after) if after else None,
        )

    @classmethod
    def from_request(cls) -> CaseListArgs:
        """Parse the current request's query string, or answer 400."""
        try:
            return cls.parse(request.args)
        except ValueError:
            abort(400)
