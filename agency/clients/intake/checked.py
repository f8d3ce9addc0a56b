"""The rows a check accepted, kept beside the upload so the import need not read the file again.

Reading and normalising a file (dates, amounts, phone numbers, e-mail) is the slow half of an
intake; the import takes the checked rows from here instead. The file is plain CSV in this
module's own layout, with a version line; when it is missing or of another version the
import simply checks the upload again.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from dataclasses import fields
from datetime import date
from functools import lru_cache
from pathlib import Path

from agency.clients.intake.rows import InvoiceRow

FORMAT = "agency-checked-rows/1"
_FIELDS = [f.name for f in fields(InvoiceRow)]
_INTS = {"row", "amount_cents", "open_cents", "reminders_sent"}
_DATES = {"invoice_date", "due_date", "paid_on"}


@lru_cache(maxsize=8192)
def _date(text: str) -> date:
    return date.fromisoformat(text)


def save(path: Path, rows: Iterable[InvoiceRow]) -> None:
    """Write the checked rows atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8", newline="") as f:
        f.write(FORMAT + "\n")
        writer = csv.writer(f)
        writer.writerow(_FIELDS)
        for row in rows:
            writer.writerow(
                [
                    ""
                    if (value := getattr(row, name)) is None
                    else value.isoformat()
                    if name in _DATES
                    else value
                    for name in _FIELDS
                ]
            )
    os.replace(partial, path)


def load(path: Path) -> list[InvoiceRow] | None:
    """Read checked rows back; None when there is no usable file."""
    try:
        f = path.open(encoding="utf-8", newline="")
    except FileNotFoundError:
        return None
    with f:
        if f.readline().strip() != FORMAT:
            return None
        reader = csv.reader(f)
        if next(reader, None) != _FIELDS:
            return None
        index = {name: i for i, name in enumerate(_FIELDS)}
        ints = [index[n] for n in _INTS]
        dates = [index[n] for n in _DATES]
        optional = [index[f.name] for f in fields(InvoiceRow) if "None" in str(f.type)]
        rows = []
        for cells in reader:
            values: list = list(cells)
            for i in optional:
                if values[i] == "":
                    values[i] = None
            for i in ints:
                values[i] = int(values[i])
            for i in dates:
                if values[i] is not None:
                    values[i] = _date(values[i])
            rows.append(InvoiceRow(*values))
        return rows
