"""Handoff intake: a large CSV end to end into PostgreSQL, against raw COPY of the same file.

`import.rows_per_s`: a generated handoff CSV (default 1,000,000 rows for 300,000 debtors, the
columns an accounting export has) goes through the portal's code path — `receive_file`, the row
check, `confirm` and the `import_handoff` job function — into PostgreSQL. The limit is
PostgreSQL's own `COPY` of the same file into a table of text columns, in the same run.
`import.peak_rss_mb`: the peak memory of the process that did the import.
`import.xlsx_rows_per_s`: reading a 200,000-row XLSX through `read_table` (python-calamine),
against iterating the same sheet with python-calamine alone.

Needs PostgreSQL: BENCH_DATABASE_URL (emptied!), else a database `agency_bench` on the local
server is created. BENCH_IMPORT_ROWS / BENCH_XLSX_ROWS make the files smaller for a quick look.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import random
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "1000000"))
XLSX_ROWS = int(os.environ.get("BENCH_XLSX_ROWS", "200000"))
HEADER = [
    "Debiteurnummer",
    "Naam",
    "Adres",
    "Postcode",
    "Plaats",
    "E-mail",
    "Telefoon",
    "Factuurnummer",
    "Factuurdatum",
    "Vervaldatum",
    "Bedrag",
    "Openstaand",
    "Betaald op",
    "Aanmaningen",
    "Omschrijving",
]
STREETS = ["Dorpsstraat", "Kerkweg", "Stationsplein", "Molenlaan", "Industrieweg", "Hoofdstraat"]
CITIES = ["Amsterdam", "Rotterdam", "Utrecht", "Den Haag", "Eindhoven", "Groningen", "Zwolle"]
NAMES = ["Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer"]


def database_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    admin = sa.create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS agency_bench"))
        conn.execute(sa.text("CREATE DATABASE agency_bench"))
    admin.dispose()
    return "postgresql+psycopg://postgres@127.0.0.1:5432/agency_bench"


def generate_csv(path: Path, rows: int) -> None:
    """Write a Dutch-style handoff: ~3.3 invoices per debtor, a quarter of them paid history."""
    rnd = random.Random(1)
    debtors = max(1, rows * 3 // 10)
    start = date(2025, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(";".join(HEADER) + "\r\n")
        for n in range(rows):
            d = n * debtors // rows
            invoice_date = start + timedelta(days=(n * 7) % 600)
            due = invoice_date + timedelta(days=30)
            cents = rnd.randint(2_500, 1_500_000)
            amount = f"{cents // 100}.{cents % 100:02d}".replace(".", ",")
            paid = n % 4 == 0
            f.write(
                ";".join(
                    [
                        f"D{d:07d}",
                        f"{NAMES[d % 8]} {d} B.V.",
                        f"{STREETS[d % 6]} {d % 200 + 1}",
                        f"{1000 + d % 9000} {chr(65 + d % 26)}{chr(65 + (d // 26) % 26)}",
                        CITIES[d % 7],
                        f"debiteur{d}@voorbeeld.nl",
                        f"06{20000000 + d:08d}",
                        f"F{n:08d}",
                        invoice_date.strftime("%d-%m-%Y"),
                        due.strftime("%d-%m-%Y"),
                        amount,
                        "0" if paid else amount,
                        (due + timedelta(days=12)).strftime("%d-%m-%Y") if paid else "",
                        str(n % 3),
                        "Levering",
                    ]
                )
                + "\r\n"
            )


def raw_copy_rows_per_s(url: str, path: Path) -> float:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS bench_copy"))
        columns = ", ".join(f"c{i} text" for i in range(len(HEADER)))
        conn.execute(sa.text(f"CREATE UNLOGGED TABLE bench_copy ({columns})"))
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        started = time.perf_counter()
        with (
            raw.cursor() as cursor,
            cursor.copy(
                "COPY bench_copy FROM STDIN (FORMAT csv, DELIMITER ';', HEADER true)"
            ) as copy,
            path.open("rb") as f,
        ):
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        conn.execute(sa.text("DROP TABLE bench_copy"))
    engine.dispose()
    return ROWS / elapsed


def _end_to_end(url: str, path: str, upload_dir: str, queue) -> None:
    """In a fresh process (so its peak memory is the import's own): the portal's path."""
    import flask_migrate

    from agency import create_app
    from agency.clients.models import Client, HandoffSource, HandoffStatus
    from agency.clients.operations import confirm, receive_file
    from agency.clients.tasks import import_handoff
    from agency.extensions import db

    app = create_app(
        {
            "AGENCY_ENV": "test",
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": None,
            "JOBS_RUN_PERIODIC": False,
            "UPLOAD_DIR": upload_dir,
        }
    )
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        flask_migrate.upgrade()
        client = Client(code="BENCH", name="Bench B.V.")
        db.session.add(client)
        db.session.commit()
        started = time.perf_counter()
        with Path(path).open("rb") as upload:  # as the portal passes Werkzeug's spooled upload
            handoff = receive_file(
                client, upload, "bench.csv", source=HandoffSource.PORTAL, check_now=True
            )
        checked = time.perf_counter()
        confirm(handoff, skip_invalid=False, actor=None, queue=False)  # run here, not in a thread
        db.session.commit()
        import_handoff(handoff.id)
        done = time.perf_counter()
        db.session.refresh(handoff)
        assert handoff.status is HandoffStatus.IMPORTED, handoff.failure_reason
        invoices = db.session.scalar(sa.text("SELECT count(*) FROM invoices"))
        assert invoices == ROWS, invoices
        sql_only = _invoices_by_sql_alone()
        db.engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(
        {
            "total": done - started,
            "check": checked - started,
            "import": done - checked,
            "peak_mb": peak_mb,
            "sql_only": sql_only,
        }
    )


def _invoices_by_sql_alone() -> float:
    """Rows/s of PostgreSQL writing the imported invoices once more, with nothing in Python.

    The same rows under new numbers, by INSERT ... SELECT in one statement, rolled back: what
    the database itself needs per invoice with the schema's keys, indexes and checks. No
    import can be faster than this for its invoices alone, before debtors, cases and ledger.
    """
    from agency.extensions import db

    with db.engine.connect() as conn, conn.begin() as transaction:
        columns = (
            "client_id, debtor_id, case_id, invoice_date, due_date, amount_cents, currency, "
            "paid_before_handoff_cents, reminders_sent, paid_on, created_at, description, "
            "handoff_id"
        )
        started = time.perf_counter()
        statement = f"INSERT INTO invoices (number, {columns}) SELECT 'X' || number, {columns} "
        count = conn.execute(sa.text(statement + "FROM invoices")).rowcount
        elapsed = time.perf_counter() - started
        transaction.rollback()
    return count / elapsed


def import_rows_per_s(emit) -> None:
    url = database_url()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "handoff.csv"
        generate_csv(path, ROWS)
        limit = raw_copy_rows_per_s(url, path)
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        process = context.Process(target=_end_to_end, args=(url, str(path), tmp, queue))
        process.start()
        result = queue.get(timeout=3600)
        process.join()
    value = ROWS / result["total"]
    emit(
        "import.rows_per_s",
        value,
        "rows/s",
        limit=round(limit),
        ratio=round(value / limit, 3),
        rows=ROWS,
        check_s=round(result["check"], 1),
        import_s=round(result["import"], 1),
        limit_is="PostgreSQL COPY of the same file into text columns",
        floor_ratio=0.15,
    )
    emit(
        "import.invoices_sql_only_rows_per_s",
        result["sql_only"],
        "rows/s",
        limit=round(limit),
        ratio=round(result["sql_only"] / limit, 3),
        limit_is="PostgreSQL COPY of the same file into text columns",
        what="INSERT ... SELECT of the imported invoices again: the database's own cost",
    )
    emit(
        "import.peak_rss_mb",
        result["peak_mb"],
        "MB",
        limit=500,
        ratio=round(result["peak_mb"] / 500, 3),
        limit_is="floor of the issue",
    )


def xlsx_rows_per_s(emit) -> None:
    from openpyxl import Workbook
    from python_calamine import CalamineWorkbook

    from agency.clients.intake.reader import read_table

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Openstaand")
    sheet.append(HEADER)
    start = date(2025, 1, 1)
    for n in range(XLSX_ROWS):
        d = n * 3 // 10
        sheet.append(
            [
                d,
                f"Klant {d}",
                "Dorpsstraat 1",
                "1234 AB",
                "Utrecht",
                None,
                None,
                f"F{n:08d}",
                start + timedelta(days=n % 600),
                start + timedelta(days=n % 600 + 30),
                100 + (n % 9000) / 100,
                100 + (n % 9000) / 100,
                None,
                n % 3,
                "Levering",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()

    started = time.perf_counter()
    table = read_table(data, "bench.xlsx")
    count = sum(1 for _ in table.rows)
    ours = count / (time.perf_counter() - started)

    started = time.perf_counter()
    raw = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    limit = (len(raw) - 1) / (time.perf_counter() - started)
    emit(
        "import.xlsx_rows_per_s",
        ours,
        "rows/s",
        limit=round(limit),
        ratio=round(ours / limit, 3),
        rows=count,
        floor=100000,
        limit_is="python-calamine reading the same sheet, nothing else",
    )


BENCHMARKS = {"import.rows_per_s": import_rows_per_s, "import.xlsx_rows_per_s": xlsx_rows_per_s}
