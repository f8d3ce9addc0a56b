"""Reading uploaded CSV and XLSX exports into a header and rows of cell texts."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from agency.clients.intake.reader import FileRejected, Table, cell_text, read_table, sha256_hex

HEADER = ["Debiteurnummer", "Naam", "Factuurnummer", "Bedrag"]


def rows_of(table: Table) -> list[tuple[int, list[str]]]:
    return list(table.rows)


# --- CSV -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "delimiter_name"),
    [
        ("Debiteurnummer;Naam;Factuurnummer;Bedrag\n10023;Café Müller;F-1;1.234,56\n", "semicolon"),
        ('Debiteurnummer,Naam,Factuurnummer,Bedrag\n10023,Café Müller,F-1,"1.234,56"\n', "comma"),
        ("Debiteurnummer\tNaam\tFactuurnummer\tBedrag\n10023\tCafé Müller\tF-1\t1.234,56\n", "tab"),
    ],
)
def test_csv_delimiters_are_sniffed(text: str, delimiter_name: str) -> None:
    table = read_table(text.encode(), "export.csv")

    assert table.kind == "csv"
    assert table.headers == HEADER
    assert rows_of(table) == [(2, ["10023", "Café Müller", "F-1", "1.234,56"])]


def test_csv_delimiter_tie_goes_to_semicolon() -> None:
    # Split on ";" and on "," this header has three cells either way.
    table = read_table(b"A;B;C,D,E\n1;2;3,4,5\n", "tie.csv")

    assert table.headers == ["A", "B", "C,D,E"]
    assert rows_of(table) == [(2, ["1", "2", "3,4,5"])]


def test_csv_delimiter_of_the_header_wins_over_a_title_with_commas() -> None:
    text = (
        "Openstaande posten, per debiteur\nDebiteurnummer;Naam;Factuurnummer;Bedrag\n1;A;F;2,50\n"
    )

    table = read_table(text.encode(), "export.csv")

    assert table.headers == HEADER
    assert table.header_row == 2
    assert rows_of(table) == [(3, ["1", "A", "F", "2,50"])]


@pytest.mark.parametrize(
    ("data", "encoding_name"),
    [
        ("Naam;Plaats;Bedrag\nCafé Müller;Zürich;€ 1.234,56\n".encode(), "utf-8"),
        (b"\xef\xbb\xbf" + "Naam;Plaats;Bedrag\nCafé Müller;Zürich;€ 1.234,56\n".encode(), "bom"),
        ("Naam;Plaats;Bedrag\nCafé Müller;Zürich;€ 1.234,56\n".encode("cp1252"), "cp1252"),
        ("Naam\tPlaats\tBedrag\nCafé Müller\tZürich\t€ 1.234,56\n".encode("utf-16"), "utf-16"),
    ],
)
def test_csv_encodings(data: bytes, encoding_name: str) -> None:
    table = read_table(data, "export.csv")

    assert table.headers == ["Naam", "Plaats", "Bedrag"]
    assert rows_of(table) == [(2, ["Café Müller", "Zürich", "€ 1.234,56"])]


def test_cp1252_is_chosen_only_when_the_file_is_not_utf8() -> None:
    # "Ã©" is what UTF-8 "é" looks like when wrongly read as cp1252.
    table = read_table("Naam;Plaats;Bedrag\nCafé;x;1\n".encode(), "export.csv")

    assert rows_of(table)[0][1][0] == "Café"


def test_title_lines_are_skipped_and_row_numbers_are_the_files() -> None:
    text = (
        "Openstaande posten per 31-10-2026\n"
        "\n"
        "Debiteurnummer;Naam;Factuurnummer;Bedrag\n"
        "10023;A;F-1;10\n"
        "\n"
        ";;;\n"
        "10024;B;F-2;20\n"
    )

    table = read_table(text.encode(), "export.csv")

    assert table.header_row == 3
    assert table.headers == HEADER
    assert rows_of(table) == [(4, ["10023", "A", "F-1", "10"]), (7, ["10024", "B", "F-2", "20"])]


def test_title_line_with_trailing_delimiters_is_not_the_header() -> None:
    text = "Openstaande posten;;;\nDebiteurnummer;Naam;Factuurnummer;Bedrag\n1;A;F;2\n"

    table = read_table(text.encode(), "export.csv")

    assert table.header_row == 2
    assert table.headers == HEADER


def test_cells_are_stripped_and_rows_fit_the_header() -> None:
    text = (
        "Debiteurnummer ; Naam ;Factuurnummer;Bedrag;;\n"
        " 10023 ;  Café  ;F-1\n"
        "10024;B;F-2;20;extra;more\n"
    )

    table = read_table(text.encode(), "export.csv")

    assert table.headers == HEADER
    assert rows_of(table) == [
        (2, ["10023", "Café", "F-1", ""]),
        (3, ["10024", "B", "F-2", "20"]),
    ]


def test_quoted_fields_keep_delimiters_quotes_and_newlines() -> None:
    text = (
        "Debiteurnummer;Naam;Factuurnummer;Bedrag\r\n"
        '10023;"Müller; Zn. ""de Oude""";"F-1\r\nvervolg";"1.234,56"\r\n'
        "10024;B;F-2;20\r\n"
    )

    table = read_table(text.encode(), "export.csv")

    # Row numbers count records, as Excel shows the file, not physical lines.
    assert rows_of(table) == [
        (2, ["10023", 'Müller; Zn. "de Oude"', "F-1\r\nvervolg", "1.234,56"]),
        (3, ["10024", "B", "F-2", "20"]),
    ]


@pytest.mark.parametrize("filename", ["export.txt", "export", "EXPORT.CSV", "export.dat"])
def test_csv_is_read_whatever_the_name_says(filename: str) -> None:
    table = read_table(b"A;B;C\n1;2;3\n", filename)

    assert table.kind == "csv"
    assert rows_of(table) == [(2, ["1", "2", "3"])]


def test_header_on_line_20_is_found() -> None:
    text = "titel\n" * 19 + "A;B;C\n1;2;3\n"

    table = read_table(text.encode(), "export.csv")

    assert table.header_row == 20
    assert rows_of(table) == [(21, ["1", "2", "3"])]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\r\n  \r\n;;;\r\n", "The file is empty."),
        (
            b"Bedrag\n12\n",
            "No header line found in the first 20 lines: the header is the first line with "
            "at least 3 column names, such as Debiteurnummer, Factuurnummer and Bedrag.",
        ),
        (
            ("titel\n" * 20 + "A;B;C\n").encode(),
            "No header line found in the first 20 lines: the header is the first line with "
            "at least 3 column names, such as Debiteurnummer, Factuurnummer and Bedrag.",
        ),
        (
            b"Bedrag;Naam;Bedrag\n1;2;3\n",
            "The header (row 1) has the column 'Bedrag' twice; give each column its own name "
            "and upload the file again.",
        ),
        (
            b"Titel\nDeb.nr.;Naam;Debnr\n1;2;3\n",
            "The header (row 2) has the column 'Deb.nr.' and 'Debnr' twice; give each column "
            "its own name and upload the file again.",
        ),
        (
            b"Naam;Plaats;Bedrag\n\x81\x8d;\x8f;\x90\x9d\n",
            "The text in this file could not be read (it is not UTF-8 or Windows-1252). "
            "Export it again as CSV (UTF-8) or .xlsx.",
        ),
        (
            b"Naam;Plaats;Bedrag\n\x00\x01;2;3\n",
            "This file contains binary data, not text; upload a CSV or .xlsx export.",
        ),
        (
            b'A;B;C\n1;2;3\n4;"' + b"x" * 200_000 + b'";6\n',
            'Row 3 of the file cannot be read: a value is too long, or a quote (") is opened '
            "and never closed.",
        ),
    ],
)
def test_csv_whole_file_problems(data: bytes, message: str) -> None:
    with pytest.raises(FileRejected) as caught:
        rows_of(read_table(data, "export.csv"))

    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
            "export.xls",
            "This is a password-protected workbook or an old Excel 97-2003 (.xls) file. "
            "Remove the password, or save it as .xlsx or CSV, and upload it again.",
        ),
        (
            b"A;B;C\n1;2;3\n",
            "export.xlsx",
            "This file is not a valid .xlsx workbook; it may be damaged.",
        ),
        (
            b"%PDF-1.4 ...",
            "export.pdf",
            "A .pdf file cannot be read; save it as .xlsx or CSV and upload it again.",
        ),
    ],
)
def test_files_that_are_neither_csv_nor_xlsx(data: bytes, filename: str, message: str) -> None:
    with pytest.raises(FileRejected) as caught:
        read_table(data, filename)

    assert str(caught.value) == message


def test_sha256_hex() -> None:
    assert sha256_hex(b"abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


# --- XLSX ----------------------------------------------------------------------------------


def xlsx_bytes(workbook: openpyxl.Workbook, cached: dict[str, str] | None = None) -> bytes:
    """Save a workbook; ``cached`` gives formula cells (by formula text) a cached value."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    if not cached:
        return buffer.getvalue()
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    patched = io.BytesIO()
    with zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                text = content.decode()
                for formula, value in cached.items():
                    text, count = re.subn(
                        # openpyxl writes `<v/>` or, with lxml installed, `<v></v>`.
                        rf"<f>{re.escape(formula)}</f>\s*(?:<v\s*/>|<v></v>)",
                        f"<f>{formula}</f><v>{value}</v>",
                        text,
                    )
                    assert count == 1, formula
                content = text.encode()
            target.writestr(info.filename, content)
    return patched.getvalue()


def handoff_workbook() -> openpyxl.Workbook:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Openstaande posten per 31-10-2026"])
    sheet.append([])
    sheet.append(["Debiteurnummer", "Naam", "Factuurdatum", "Bedrag", "Openstaand", "Datum 2"])
    sheet.append([10023, "Café Müller", date(2025, 1, 15), 1234.5, "=D4/2", 45678])
    sheet.append([10024, "  B.V. Test ", datetime(2025, 2, 14, 0, 0), 0.1, 0.30000000000000004])
    return workbook


def test_xlsx_values_become_the_texts_a_person_typed() -> None:
    data = xlsx_bytes(handoff_workbook(), cached={"D4/2": "999"})

    table = read_table(data, "export.xlsx")

    assert table.kind == "xlsx"
    assert table.header_row == 3
    assert table.headers == [
        "Debiteurnummer",
        "Naam",
        "Factuurdatum",
        "Bedrag",
        "Openstaand",
        "Datum 2",
    ]
    assert rows_of(table) == [
        # The formula's cached value (999) is read; 1234.5 / 2 is never computed.
        (4, ["10023", "Café Müller", "2025-01-15", "1234.5", "999", "45678"]),
        (5, ["10024", "B.V. Test", "2025-02-14", "0.1", "0.3", ""]),
    ]


def test_xlsx_is_recognised_by_its_content_whatever_its_name() -> None:
    data = xlsx_bytes(handoff_workbook(), cached={"D4/2": "999"})

    assert read_table(data, "export.csv").kind == "xlsx"


def test_xlsx_formula_without_cached_value_is_empty() -> None:
    # openpyxl saves formulas without results; Excel would have stored one.
    table = read_table(xlsx_bytes(handoff_workbook()), "export.xlsx")

    assert rows_of(table)[0][1][4] == ""


def test_xlsx_reads_the_first_visible_sheet_and_keeps_sheet_row_numbers() -> None:
    workbook = openpyxl.Workbook()
    hidden = workbook.active
    hidden.title = "Instellingen"
    hidden.append(["Niet", "deze", "sheet"])
    hidden.sheet_state = "hidden"
    sheet = workbook.create_sheet("Debiteuren")
    sheet["C3"], sheet["D3"], sheet["E3"] = "Debiteurnummer", "Naam", "Bedrag"
    sheet["C5"], sheet["D5"], sheet["E5"] = 7, "A", 12.5
    workbook.create_sheet("Later")

    table = read_table(xlsx_bytes(workbook), "export.xlsx")

    assert table.headers == ["Debiteurnummer", "Naam", "Bedrag"]
    assert table.header_row == 3
    assert rows_of(table) == [(5, ["7", "A", "12.5"])]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1234.5, "1234.5"),
        (0.1, "0.1"),
        (1234.56, "1234.56"),
        (10023.0, "10023"),
        (-12.5, "-12.5"),
        (0.30000000000000004, "0.3"),  # a formula's float noise; Excel shows 0.3
        (1234.5600000000002, "1234.56"),
        (1e-05, "0.00001"),
        (1e20, "100000000000000000000"),
        (-0.0, "0"),
        (7, "7"),
        (True, "TRUE"),
        (date(2025, 1, 31), "2025-01-31"),
        (datetime(2025, 1, 31, 13, 45), "2025-01-31"),
        ("  tekst ", "tekst"),
        ("", ""),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


# --- Zip bombs and broken workbooks --------------------------------------------------------


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def patch_sizes(data: bytes, *, uncompressed: int | None = None, flags: int | None = None) -> bytes:
    """Rewrite what the local and central headers of a one-member zip claim."""
    patched = bytearray(data)
    local = patched.index(b"PK\x03\x04")
    central = patched.index(b"PK\x01\x02")
    if uncompressed is not None:
        struct.pack_into("<L", patched, local + 22, uncompressed)
        struct.pack_into("<L", patched, central + 24, uncompressed)
    if flags is not None:
        struct.pack_into("<H", patched, local + 6, flags)
        struct.pack_into("<H", patched, central + 8, flags)
    return bytes(patched)


def test_workbook_unpacking_above_the_limit_is_rejected() -> None:
    data = xlsx_bytes(handoff_workbook())
    small_limit = 2_000  # the sheet alone unpacks to more than this

    with pytest.raises(FileRejected, match="^The workbook unpacks to more than 0.0019"):
        read_table(data, "export.xlsx", max_xlsx_uncompressed=small_limit)
    assert read_table(data, "export.xlsx", max_xlsx_uncompressed=20 * small_limit).headers


def test_highly_compressible_member_above_the_limit_is_rejected() -> None:
    data = zip_bytes({"xl/worksheets/sheet1.xml": b"<row/>" * 500_000})  # 3 MB

    with pytest.raises(FileRejected) as caught:
        read_table(data, "bom.xlsx", max_xlsx_uncompressed=1024 * 1024)

    assert str(caught.value) == (
        "The workbook unpacks to more than 1 MB. Split it into smaller files, or upload it as CSV."
    )


def test_absurd_compression_ratio_is_rejected_within_the_size_limit() -> None:
    data = zip_bytes({"xl/worksheets/sheet1.xml": b"\x00" * (12 * 1024 * 1024)})

    with pytest.raises(FileRejected) as caught:
        read_table(data, "bom.xlsx")

    assert str(caught.value) == (
        "The workbook looks damaged or malicious (it unpacks to an absurd size); refused."
    )


def test_member_unpacking_to_more_than_it_declares_is_rejected() -> None:
    honest = zip_bytes({"xl/worksheets/sheet1.xml": b"<row/>" * 100_000})
    lying = patch_sizes(honest, uncompressed=1_000)

    with pytest.raises(FileRejected) as caught:
        read_table(lying, "bom.xlsx")

    assert str(caught.value) == (
        "The workbook looks damaged or malicious (it unpacks to an absurd size); refused."
    )


def test_encrypted_zip_member_is_rejected() -> None:
    data = patch_sizes(zip_bytes({"xl/workbook.xml": b"<workbook/>"}), flags=0x1)

    with pytest.raises(FileRejected) as caught:
        read_table(data, "export.xlsx")

    assert str(caught.value) == (
        "The workbook is encrypted; remove the password and upload it again."
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"PK\x03\x04" + b"\x00" * 64,
            "This file is not a valid .xlsx workbook; it may be damaged.",
        ),
        (
            zip_bytes({"readme.txt": b"not a workbook"}),
            "The workbook cannot be read; it may be damaged",
        ),
    ],
)
def test_broken_workbooks_are_rejected(data: bytes, message: str) -> None:
    with pytest.raises(FileRejected) as caught:
        read_table(data, "export.xlsx")

    assert str(caught.value).startswith(message)
