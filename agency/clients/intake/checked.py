"""The rows a check accepted, kept beside the upload so the import need not read the file again.

Reading and normalising a file (dates, amounts, phone numbers, e-mail) is the slow half of an
intake; the import takes the checked rows from here instead. The file is plain CSV in this
module's own layout, with a version line; when it is missing or of another version the
import checks the upload again. Both sides stream: the check writes the rows as they pass,
the import reads them back a batch at a time.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import date
from functools import lru_cache
from itertools import islice
from pathlib import Path

from agency.clients.intake.rows import InvoiceRow

FORMAT = "agency-checked-rows/1"
_FIELDS = [f.name for f in fields(InvoiceRow)]
_INTS = [_FIELDS.index(n) for n in ("row", "amount_cents", "open_cents", "reminders_sent")]
_DATES = [_FIELDS.index(n) for n in ("invoice_date", "due_date", "paid_on")]
_OPTIONAL = [i for i, f in enumerate(fields(InvoiceRow)) if "None" in str(f.type)]


@lru_cache(maxsize=8192)
def _date(text: str) -> date:
    return date.fromisoformat(text)


def _cells(row: InvoiceRow) -> list:
    cells: list = [getattr(row, name) for name in _FIELDS]
    for i in _DATES:
        if cells[i] is not None:
            cells[i] = cells[i].isoformat()
    return cells


@contextmanager
def writer(path: Path) -> Iterator[Callable[[Iterable[InvoiceRow]], None]]:
    """Yield a function that appends rows; the file appears whole, only if the block ends well."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as f:
            f.write(FORMAT + "\n")
            out = csv.writer(f)
            out.writerow(_FIELDS)
            yield lambda rows: out.writerows(map(_cells, rows))
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)


def save(path: Path, rows: Iterable[InvoiceRow]) -> None:
    """Write the checked rows atomically (a reader never sees half a file)."""
    with writer(path) as write:
        write(rows)


def batches(path: Path, size: int = 5000) -> Iterator[list[InvoiceRow]] | None:
    """Return an iterator over the checked rows, ``size`` at a time; None when there is no
    usable file."""
    try:
        f = path.open(encoding="utf-8", newline="")
    except FileNotFoundError:
        return None
    if f.readline().strip() != FORMAT:
        f.close()
        return None
    reader = csv.reader(f)
    if next(reader, None) != _FIELDS:
        f.close()
        return None
    return _read(f, reader, size)


def keys(path: Path) -> Iterator[tuple[str, str]]:
    """Yield (debtor code, invoice number) of every checked row, reading only those columns."""
    code, number = _FIELDS.index("debtor_code"), _FIELDS.index("invoice_number")
    with path.open(encoding="utf-8", newline="") as f:
        f.readline()
        reader = csv.reader(f)
        next(reader, None)
        for cells in reader:
            yield cells[code], cells[number]


def _read(f, reader: Iterator[list[str]], size: int) -> Iterator[list[InvoiceRow]]:
    with f:
        while chunk := list(islice(reader, size)):
            yield [_row(cells) for cells in chunk]


def _row(values: list) -> InvoiceRow:
    for i in _OPTIONAL:
        if values[i] == "":
            values[i] = None
    for i in _INTS:
        values[i] = int(values[i])
    for i in _DATES:
        if values[i] is not None:
            values[i] = _date(values[i])
    return InvoiceRow(*values)


def load(path: Path) -> list[InvoiceRow] | None:
    """Read all checked rows back; None when there is no usable file."""
    found = batches(path)
    return None if found is None else [row for batch in found for row in batch]
