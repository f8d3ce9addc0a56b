"""Read an uploaded CSV or XLSX export into a header and rows of cell texts.

Nothing here knows what the columns mean: `columns` maps headers to fields and `rows` parses
the cells. The reader only decides the file type, encoding and delimiter, finds the header line
below any title lines, and turns spreadsheet values into the texts a person would have typed.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from operator import methodcaller
from pathlib import Path
from typing import IO, BinaryIO

import python_calamine

from agency.clients.intake.columns import normalise_header
from agency.errors import AgencyError

# The header is the first line with at least this many filled cells among the first lines.
HEADER_MIN_CELLS = 3
HEADER_SEARCH_LINES = 20

# Dutch Excel writes ";"; on a tie between delimiters the first of this order wins.
DELIMITERS = (";", "\t", ",")

# A zip member that unpacks to more than this many times its packed size, and to more than
# MAX_RATIO_BYTES, is not a spreadsheet a bookkeeper exported.
MAX_RATIO = 200
MAX_RATIO_BYTES = 10 * 1024 * 1024

# Excel keeps 15 significant digits; more are float noise such as 0.30000000000000004.
_EXCEL_DIGITS = 15

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and password-protected .xlsx
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_SNIFF_BYTES = 64 * 1024
_CHUNK = 1024 * 1024
_strip_newline = methodcaller("rstrip", "\r\n")


class FileRejected(AgencyError):
    """The whole file cannot be read; the message tells the user what to do about it."""


@dataclass(frozen=True)
class Table:
    """The header of an uploaded file and an iterator over its rows of cell texts.

    ``rows`` yields ``(row number, cells)`` once, lazily: the row number is the one the user
    sees in the spreadsheet (the header counts as a row, blank lines are skipped but counted),
    and ``cells`` holds one stripped text per header column.
    """

    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]
    kind: str  # "csv" | "xlsx"
    header_row: int = 1


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 checksum of an upload as 64 hex digits."""
    return hashlib.sha256(data).hexdigest()


def read_table(
    source: bytes | Path, filename: str, *, max_xlsx_uncompressed: int = 200 * 1024 * 1024
) -> Table:
    """Read an uploaded CSV or XLSX file into its header and rows; raise FileRejected.

    ``source`` is the file's content or its path; a CSV file on disk is read as a stream, so a
    large one is never held in memory whole.
    """
    head = _head(source, _SNIFF_BYTES)
    if not head:
        raise FileRejected("The file is empty.")
    extension = filename.rpartition(".")[2].casefold() if "." in filename else ""
    if head.startswith(_OLE_MAGIC):
        raise FileRejected(
            "This is a password-protected workbook or an old Excel 97-2003 (.xls) file. "
            "Remove the password, or save it as .xlsx or CSV, and upload it again."
        )
    if head.startswith((_ZIP_MAGIC, _EMPTY_ZIP_MAGIC)):
        data = source if isinstance(source, bytes) else source.read_bytes()
        return _read_xlsx(data, max_uncompressed=max_xlsx_uncompressed)
    if extension in ("xlsx", "xlsm"):
        raise FileRejected("This file is not a valid .xlsx workbook; it may be damaged.")
    if extension in ("xls", "ods", "numbers", "pdf", "doc", "docx"):
        raise FileRejected(
            f"A .{extension} file cannot be read; save it as .xlsx or CSV and upload it again."
        )
    return _read_csv(source, head)


def _head(source: bytes | Path, size: int) -> bytes:
    if isinstance(source, bytes):
        return source[:size]
    with source.open("rb") as f:
        return f.read(size)


def _open_binary(source: bytes | Path) -> BinaryIO:
    return io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")


# --- CSV -----------------------------------------------------------------------------------


def _read_csv(source: bytes | Path, head: bytes) -> Table:
    encoding, quoted = _csv_encoding(source, head)
    text_head = codecs.getincrementaldecoder(encoding)().decode(head)
    delimiter = _sniff_delimiter(text_head)

    stream = io.TextIOWrapper(_open_binary(source), encoding=encoding, newline="")
    records: Iterable[list[str]]
    if encoding != "utf-16" and not quoted:
        # Without quotes csv.reader would split exactly like this, only slower.
        records = map(methodcaller("split", delimiter), map(_strip_newline, stream))
    else:
        records = csv.reader(stream, delimiter=delimiter, skipinitialspace=True)
    return _table(_closing(records, stream), kind="csv")


def _closing(records: Iterable[list[str]], stream: IO) -> Iterator[list[str]]:
    """Yield the records and close the file after the last one."""
    with stream:
        yield from records


def _csv_encoding(source: bytes | Path, head: bytes) -> tuple[str, bool]:
    """Return the codec that decodes the whole file (UTF-8 with or without BOM, else cp1252)
    and whether the file holds any quote character."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", True  # Excel's "Unicode text" export
    quoted = False
    for candidate in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(candidate)()
        try:
            with _open_binary(source) as f:
                while chunk := f.read(_CHUNK):
                    if b"\x00" in chunk:
                        raise FileRejected(
                            "This file contains binary data, not text; "
                            "upload a CSV or .xlsx export."
                        )
                    quoted = quoted or b'"' in chunk
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return candidate, quoted
    raise FileRejected(
        "The text in this file could not be read (it is not UTF-8 or Windows-1252). "
        "Export it again as CSV (UTF-8) or .xlsx."
    )


def _sniff_delimiter(head: str) -> str:
    """Pick the delimiter that splits some early line into the most filled cells.

    The widest of the first lines is the header (a title line above it has one or two cells);
    on a tie ';' wins, as Dutch Excel writes it.
    """
    lines = [line for line in head.splitlines() if line.strip()][:HEADER_SEARCH_LINES]
    widest = dict.fromkeys(DELIMITERS, 0)
    for line in lines:
        for delimiter in DELIMITERS:
            try:
                cells = next(csv.reader([line], delimiter=delimiter))
            except csv.Error:
                continue
            if len(cells) > 1:
                filled = sum(1 for cell in cells if cell.strip())
                widest[delimiter] = max(widest[delimiter], filled)
    return max(DELIMITERS, key=widest.__getitem__)  # max() keeps the first of a tie


# --- XLSX ----------------------------------------------------------------------------------


def _read_xlsx(data: bytes, *, max_uncompressed: int) -> Table:
    _check_zip(data, max_uncompressed=max_uncompressed)
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        visible = [
            sheet.name
            for sheet in workbook.sheets_metadata
            if sheet.visible == python_calamine.SheetVisibleEnum.Visible
            and sheet.typ == python_calamine.SheetTypeEnum.WorkSheet
        ]
        if not visible:
            raise FileRejected("The workbook has no visible worksheet.")
        sheet = workbook.get_sheet_by_name(visible[0])
        # iter_rows() starts at row 1 of the sheet (leading blank rows come as empty lists),
        # so enumerating from 1 gives the row numbers Excel shows.
        raw_rows = sheet.iter_rows()
    except python_calamine.PasswordError:
        raise FileRejected(
            "The workbook is password-protected; remove the password and upload it again."
        ) from None
    except python_calamine.CalamineError as error:
        raise FileRejected(f"The workbook cannot be read; it may be damaged ({error}).") from None
    return _table(map(_row_texts, raw_rows), kind="xlsx")


def _check_zip(data: bytes, *, max_uncompressed: int) -> None:
    """Refuse zip bombs, encrypted and damaged archives before any parser unpacks them.

    The sizes in the zip directory are only claims, so every member is also unpacked here
    (streaming, in chunks) and counted: a member that unpacks to more than it declares, or the
    whole to more than ``max_uncompressed`` bytes, is refused.
    """
    limit_mb = max_uncompressed / (1024 * 1024)
    too_big = (
        f"The workbook unpacks to more than {limit_mb:g} MB. "
        "Split it into smaller files, or upload it as CSV."
    )
    bomb = "The workbook looks damaged or malicious (it unpacks to an absurd size); refused."
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise FileRejected("This file is not a valid .xlsx workbook; it may be damaged.") from None
    if not members:
        raise FileRejected("This file is not a valid .xlsx workbook: the archive is empty.")

    declared = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise FileRejected(
                "The workbook is encrypted; remove the password and upload it again."
            )
        declared += member.file_size
        if declared > max_uncompressed:
            raise FileRejected(too_big)
        if member.file_size > MAX_RATIO_BYTES and member.file_size > MAX_RATIO * max(
            member.compress_size, 1
        ):
            raise FileRejected(bomb)

    for member in members:
        unpacked = _unpacked_size(data, member, cap=member.file_size)
        if unpacked is None:
            raise FileRejected("This file is not a valid .xlsx workbook; it may be damaged.")
        if unpacked > member.file_size:
            raise FileRejected(bomb)


def _unpacked_size(data: bytes, member: zipfile.ZipInfo, *, cap: int) -> int | None:
    """Unpack one member's raw bytes, stopping just past ``cap``; None if it is damaged."""
    offset = member.header_offset
    header = data[offset : offset + _LOCAL_HEADER.size]
    if len(header) != _LOCAL_HEADER.size or header[:4] != _ZIP_MAGIC:
        return None
    name_length, extra_length = _LOCAL_HEADER.unpack(header)[-2:]
    start = offset + _LOCAL_HEADER.size + name_length + extra_length
    packed = data[start : start + member.compress_size]
    method = member.compress_type
    if method == 0:  # stored
        return len(packed)
    if method != 8:  # xlsx files use deflate only
        return None
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    size = 0
    try:
        pending = packed
        while pending and size <= cap:
            size += len(inflater.decompress(pending, _CHUNK))
            pending = inflater.unconsumed_tail
        if size <= cap:
            size += len(inflater.flush())
    except zlib.error:
        return None
    return size


def _row_texts(row: list[object]) -> list[str]:
    # Most cells are texts: those skip the call.
    return [value.strip() if type(value) is str else cell_text(value) for value in row]


def cell_text(value: object) -> str:
    """Write a spreadsheet value as the text a person would have typed in a CSV.

    Numbers keep Excel's 15 significant digits and lose a trailing ".0" (so the number 10023
    stays a code, 1234.5 stays an amount, and no float ever reaches money); dates become
    ISO dates. Excel serial numbers in an unformatted cell stay numbers: the date parser
    knows them.
    """
    if type(value) is str:
        return value.strip()
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        text = repr(value)  # the shortest text that reads back as this float
        if "e" not in text and len(text) - text.startswith("-") - 1 <= _EXCEL_DIGITS:
            return text  # at most 15 digits: what Excel shows, no rounding to do
        text = format(Decimal(format(value, f".{_EXCEL_DIGITS}g")), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return "" if value is None else str(value).strip()


# --- Both ----------------------------------------------------------------------------------


def _table(records: Iterable[list[str]], *, kind: str) -> Table:
    """Find the header among the first lines and wrap the rest as a lazy row iterator."""
    records = iter(records)
    header_row = 0
    headers: list[str] | None = None
    seen_text = False
    try:
        for header_row, record in enumerate(records, 1):
            cells = [cell.strip() for cell in record]
            filled = sum(1 for cell in cells if cell)
            if filled >= HEADER_MIN_CELLS:
                headers = cells
                break
            seen_text = seen_text or filled > 0
            if header_row >= HEADER_SEARCH_LINES:
                break
    except csv.Error:
        raise _unreadable_row(header_row + 1) from None
    if headers is None:
        if not seen_text and next(records, None) is None:
            raise FileRejected("The file is empty.")
        raise FileRejected(
            f"No header line found in the first {HEADER_SEARCH_LINES} lines: the header is "
            f"the first line with at least {HEADER_MIN_CELLS} column names, such as "
            "Debiteurnummer, Factuurnummer and Bedrag."
        )
    while headers and not headers[-1]:
        headers.pop()
    _check_duplicate_headers(headers, header_row)
    return Table(
        headers=headers,
        rows=_data_rows(records, first=header_row + 1, width=len(headers)),
        kind=kind,
        header_row=header_row,
    )


def _check_duplicate_headers(headers: list[str], header_row: int) -> None:
    seen: dict[str, str] = {}
    for header in headers:
        key = normalise_header(header)
        if not key:
            continue
        if key in seen:
            same = f"{header!r}" if seen[key] == header else f"{seen[key]!r} and {header!r}"
            raise FileRejected(
                f"The header (row {header_row}) has the column {same} twice; "
                "give each column its own name and upload the file again."
            )
        seen[key] = header


def _data_rows(
    records: Iterator[list[str]], *, first: int, width: int
) -> Iterator[tuple[int, list[str]]]:
    strip = str.strip
    number = first - 1
    try:
        for number, record in enumerate(records, first):
            cells = list(map(strip, record))
            if len(cells) != width:
                if len(cells) < width:
                    cells.extend([""] * (width - len(cells)))
                else:
                    del cells[width:]
            if any(cells):
                yield number, cells
    except csv.Error:
        raise _unreadable_row(number + 1) from None


def _unreadable_row(number: int) -> FileRejected:
    # csv.Error: a field beyond the csv module's size limit, nearly always a quote left open.
    return FileRejected(
        f'Row {number} of the file cannot be read: a value is too long, or a quote (") '
        "is opened and never closed."
    )
