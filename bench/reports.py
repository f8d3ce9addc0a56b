"""A client's working-capital dashboard and its monthly PDF, on a book of a million invoices.

A million invoices of 300,000 debtors across 200 clients (BENCH_REPORTS_INVOICES makes it
smaller, debtors and clients in proportion) are generated in PostgreSQL with INSERT ... SELECT
over generate_series into the schema the migrations build. The clients differ in size (client 1
holds about 6% of everything, twice the next but two, the median one about 0.3%) and joined in
the first year; each handed over a file every week for the two years before 23 November 2026.
Of the invoices about 60% are payment history (paid, `paid_on` set, dated from a year before
the first handoffs: daily sales, the DSO before and now) and 40% were handed over, one case per
debtor with open invoices (85% of the debtors), with the statuses of a two-year-old book: young
cases new or in dunning, older ones ever more often closed (paid, returned, written off).
The ledger holds the principal of each invoice, collection costs (EUR 40 per claim for B2B,
the WIK for B2C after the 14-day letter) on most cases, statutory interest on some, credit
notes, payments by payment page and bank, payments the clients received directly, write-offs,
and a few payments the bank took back (reversed); every reduction is allocated by art. 6:44
BW (costs, interest, principal) and 6:43 BW (oldest due first), overpayments kept on the case.
Promises (open, kept, broken), arrangements (active, completed, broken) with their
instalments, disputes, and agreements on the client's shorter payment term complete it; the
debtors who agreed pay their later invoices on the shorter term and sooner.

`reports.dashboard_ms`: median of 15 runs of `dashboard(client, as_of)` for the largest client,
after one warm-up. `reports.pdf_ms`: median of 7 monthly reports for that client, each the
dashboard at the month's end, the charts and the PDF. `reports.dashboard_median_client_ms`:
the dashboard of the client in the middle by size. Floors of the issue: dashboard under 300 ms,
PDF under 2 s for the largest client; `ratio` is median / limit. The slowest statements of one
dashboard are printed with their EXPLAIN (ANALYZE, BUFFERS) figures (BENCH_REPORTS_PLANS=1: the
whole plans).

Needs PostgreSQL: BENCH_REPORTS_DATABASE_URL (emptied!), else a database
`agency_bench_reports` on the local server is created and dropped (BENCH_REPORTS_KEEP=1 keeps
it; BENCH_REPORTS_REUSE=1 then measures it again without generating).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from datetime import date, timedelta

import sqlalchemy as sa

from bench._postgres import (
    INSERT_CLIENTS,
    LOCAL_URL,
    bench_app,
    bench_database,
    drop_database,
    insert_debtors,
    load_1m,
    migrated_app,
    run_sql,
    time_runs,
    vacuum_analyze,
)

INVOICES = int(os.environ.get("BENCH_REPORTS_INVOICES", "1000000"))
SCALE = INVOICES / 1_000_000
CLIENTS = max(10, round(200 * SCALE))
DEBTORS = round(300_000 * SCALE)
CASE_DEBTORS = round(0.85 * DEBTORS)  # debtors with invoices handed over; the rest: history
HANDED = round(0.4 * INVOICES)  # open invoices handed over; credit notes and history the rest
TODAY = date(2026, 11, 23)
# Weekly handoffs over the two years before TODAY, from the Monday of this week on.
BASE = TODAY - timedelta(days=728 + (TODAY - timedelta(days=728)).weekday())
WEEKS = (TODAY - BASE).days // 7
REPORT_MONTH = date(2026, 10, 1)  # the monthly PDF of the last full month
DASHBOARD_RUNS = 15
PDF_RUNS = 7
DASHBOARD_LIMIT_MS = 300
PDF_LIMIT_MS = 2000
DB_NAME = "agency_bench_reports"

# The statements run in this order on one connection, in one transaction. Staging tables:
# gc clients, gh handoffs (client x week), gd debtors, gk cases (with the plan of what
# happened to each), gi invoices, gchg charges, gcn credit notes, gitem what each charge left
# open after credit notes (in the order payments settle it), gtot a case's total, gred
# reductions, gbounce bounced payments, galloc allocations. Ledger ids come from one sequence.
GENERATE = [
    "SELECT setseed(0.2026)",
    INSERT_CLIENTS,
    """
    CREATE TEMP TABLE gc AS
    SELECT id AS client_id,
        -- client n weighs n^-0.65: client 1 about 6% of the book, client 2 two thirds of it
        power(id::float8, -0.65) AS weight,
        CASE WHEN id <= 10 THEN 0 ELSE floor(random() * 52)::int END AS start_week,
        (ARRAY[30, 30, 45, 60, 30, 14])[1 + id % 6] AS old_term,
        id % 4 <> 0 AS offers_terms,
        id % 5 AS weekday,
        (CAST(:today AS date) - CAST(:base AS date) - id % 5) / 7 AS last_week
    FROM clients
    """,
    """
    UPDATE clients SET
        new_payment_term_days = CASE WHEN gc.offers_terms THEN gc.old_term / 2 END,
        brand_colour = '#' || lpad(to_hex((clients.id * 2654435) % 16777216), 6, '0'),
        created_at = CAST(:base AS date) + 7 * gc.start_week - 14
    FROM gc WHERE gc.client_id = clients.id
    """,
    """
    CREATE TEMP TABLE gbounds AS
    SELECT array_agg(cum ORDER BY client_id) AS bounds
    FROM (SELECT client_id, sum(weight) OVER (ORDER BY client_id) / sum(weight) OVER () AS cum
          FROM gc) s
    WHERE client_id < :clients
    """,
    """
    CREATE TEMP TABLE gh AS
    SELECT row_number() OVER (ORDER BY day, client_id)::int AS id, client_id, week, day
    FROM (SELECT gc.client_id, w AS week, CAST(:base AS date) + 7 * w + gc.weekday AS day
          FROM gc, generate_series(0, :weeks) w
          WHERE w BETWEEN gc.start_week AND gc.last_week) s
    """,
    "CREATE UNIQUE INDEX ON gh (client_id, week)",
    "ANALYZE gh",
    # Debtors, each first handed over in a week of its client's (uniform over those weeks).
    """
    CREATE TEMP TABLE gd AS
    WITH draws AS (
        SELECT g, 1 + width_bucket(random(), (SELECT bounds FROM gbounds)) AS client_id,
            random() AS r3, random() AS r4, random() AS r5, random() AS r9,
            random() AS r_week, random() AS r_late
        FROM generate_series(1, :debtors) g
    )
    SELECT d.*, c.old_term, c.offers_terms, c.weekday, h.id AS handoff_id,
        h.day AS first_day, d.g <= :case_debtors AS has_case,
        -- how late the debtor paid before: most a few days, some two or three months
        floor(power(d.r_late, 3) * 90)::int AS late_days
    FROM draws d
    JOIN gc c USING (client_id)
    JOIN gh h ON h.client_id = d.client_id
        AND h.week = c.start_week + floor(d.r_week * (c.last_week - c.start_week + 1))::int
    """,
    "CREATE UNIQUE INDEX ON gd (g)",
    "ANALYZE gd",
    # Cases (id = the debtor's id) and what happened to each: status by age, arrangements,
    # payments, charges, promises, a shorter payment term.
    """
    CREATE TEMP TABLE gk AS
    WITH base AS (
        SELECT g AS case_id, client_id, handoff_id, first_day AS opened_on,
            CAST(:today AS date) - first_day AS age, old_term, offers_terms,
            CASE WHEN r3 < 0.6 THEN 'b2b' ELSE 'b2c' END AS segment,
            random() AS q_close, random() AS q_status, random() AS q_arr, random() AS q_n,
            random() AS q_when, random() AS q_part, random() AS q_frac, random() AS q_pays,
            random() AS q_direct, random() AS q_extra, random() AS q_cost, random() AS q_int,
            random() AS q_promise, random() AS q_term, random() AS q_src
        FROM gd WHERE has_case
    ), statused AS (
        SELECT base.*, CASE
            WHEN age < 14 THEN 'new'
            WHEN age < 40 THEN CASE WHEN q_status < 0.1 THEN 'new' ELSE 'dunning' END
            WHEN q_close < least(0.85, 0.1 + age / 700.0) THEN CASE
                WHEN q_status < 0.55 THEN 'paid' WHEN q_status < 0.8 THEN 'returned'
                ELSE 'written_off' END
            ELSE CASE
                WHEN q_status < 0.55 THEN 'dunning' WHEN q_status < 0.68 THEN 'promised'
                WHEN q_status < 0.80 THEN 'arrangement' WHEN q_status < 0.87 THEN 'disputed'
                WHEN q_status < 0.93 THEN 'legal' ELSE 'dunning' END
        END AS status
        FROM base
    ), arranged AS (
        SELECT statused.*, CASE
            WHEN status = 'paid' AND q_arr < 0.3 AND age >= 79 THEN 'completed'
            WHEN status = 'arrangement' THEN 'active'
            WHEN status IN ('dunning', 'legal') AND age >= 150 AND q_arr < 0.12 THEN 'broken'
        END AS arrangement
        FROM statused
    ), planned AS (
        SELECT arranged.*,
            CASE arrangement
                WHEN 'completed' THEN least(2 + floor(q_n * 5)::int, 1 + (age - 49) / 30)
                WHEN 'active' THEN 3 + floor(q_n * 4)::int
                WHEN 'broken' THEN 4
            END AS instalments,
            CASE
                WHEN arrangement IS NOT NULL THEN 0
                WHEN status = 'paid' THEN 1 + floor(q_pays * 3)::int
                WHEN age >= 40 AND status NOT IN ('new', 'arrangement')
                    AND q_part < CASE WHEN status = 'written_off' THEN 0.4 ELSE 0.3 END
                    THEN 1 + (q_pays < 0.3)::int
                ELSE 0
            END AS payments
        FROM arranged
    )
    SELECT planned.*,
        CASE arrangement
            WHEN 'completed' THEN opened_on + 35
            -- an active plan's last instalment still lies ahead
            WHEN 'active' THEN greatest(opened_on + 35,
                CAST(:today AS date) - 1 - floor(q_when * 30 * (instalments - 1))::int)
            WHEN 'broken' THEN opened_on + 40
        END AS arranged_on,
        CASE
            WHEN arrangement = 'completed' THEN opened_on + 49 + 30 * (instalments - 1)
            WHEN status IN ('paid', 'returned', 'written_off')
                THEN opened_on + 40 + floor(q_when * (age - 40) * 0.8)::int
        END AS closed_on,
        q_direct < 0.15 AS direct,  -- the last payment went to the client
        CASE WHEN status = 'paid' AND arrangement IS NULL AND q_extra < 0.02
            THEN 100 + floor(q_extra * 100000)::bigint ELSE 0 END AS overpaid,
        q_cost < 0.7 AND (segment = 'b2b' OR age >= 17) AS costs,
        age >= 60 AND q_int < 0.35 AS interest,
        age >= 40 AND q_extra > 0.99 AS credited,
        q_extra >= 0.5 AND q_extra < 0.51 AS bounced,
        CASE WHEN status = 'promised'
            THEN CAST(:today AS date) + floor(q_promise * 14)::int END AS promised_on,
        payments > 0 AND q_promise < 0.4 AS promise_kept,
        age >= 60 AND status NOT IN ('new', 'paid') AND q_promise > 0.75 AS promise_broken,
        CASE WHEN offers_terms AND age >= 40 AND q_term < 0.12
            THEN opened_on + 20 + floor(q_term * 150)::int END AS agreed_on,
        CASE WHEN q_src < 0.55 THEN 'paylink' ELSE 'bank' END AS source
    FROM planned
    """,
    "CREATE UNIQUE INDEX ON gk (case_id)",
    "ANALYZE gk",
    # Invoices handed over: every case one, the rest spread over the cases; overdue 15 days
    # to five months at the handoff, one in ten partly paid before.
    """
    CREATE TEMP TABLE gi AS
    WITH pick AS MATERIALIZED (
        SELECT j AS id,
            CASE WHEN j <= :case_debtors THEN j
                ELSE 1 + floor(random() * :case_debtors)::int END AS case_id,
            round(exp(ln(30) + power(random(), 1.4) * ln(400)) * 100)::bigint AS amount,
            random() AS b, random() AS c
        FROM generate_series(1, :handed) j
    )
    SELECT p.id, 'open' AS kind, k.case_id, k.client_id, k.case_id AS debtor_id, k.handoff_id,
        k.opened_on AS created_on,
        k.opened_on - 15 - floor(p.b * 150)::int - k.old_term AS invoice_date,
        k.opened_on - 15 - floor(p.b * 150)::int AS due_date,
        p.amount,
        CASE WHEN p.c < 0.1 THEN floor(p.amount * p.c * 4)::bigint ELSE 0 END AS paid_before,
        1 + floor(p.c * 3)::int AS reminders,
        NULL::date AS paid_on,
        NULL::int AS credits_id
    FROM pick p JOIN gk k USING (case_id)
    """,
    """
    CREATE TEMP TABLE goldest AS
    SELECT DISTINCT ON (case_id) case_id, id AS invoice_id, amount - paid_before AS open
    FROM gi ORDER BY case_id, due_date, id
    """,
    "CREATE UNIQUE INDEX ON goldest (case_id)",
    "CREATE TEMP SEQUENCE gseq",
    # A credit note on one case in a hundred, against its oldest invoice, in the client's next
    # weekly file after the handoff.
    """
    CREATE TEMP TABLE gcn AS
    SELECT :handed + row_number() OVER (ORDER BY k.case_id)::int AS invoice_id,
        nextval('gseq') AS entry_id, k.case_id, k.client_id, h.id AS handoff_id,
        h.day AS booked_on, o.invoice_id AS credited_id,
        greatest(100, floor(o.open * (0.1 + k.q_frac * 0.4)))::bigint AS credit
    FROM gk k
    JOIN goldest o USING (case_id)
    JOIN gc c USING (client_id)
    JOIN gh h ON h.client_id = k.client_id
        AND h.week = ceil((k.opened_on + 10 - CAST(:base AS date) - c.weekday) / 7.0)::int
    WHERE k.credited
    """,
    """
    INSERT INTO gi
    SELECT invoice_id, 'credit', case_id, client_id, case_id, handoff_id, booked_on,
        booked_on, booked_on, -credit, 0, 0, NULL, credited_id
    FROM gcn
    """,
    # Payment history: invoices of any debtor from a year before the first handoffs on (the
    # daily sales look back up to a year from a client's first handoff), paid on the debtor's
    # habit; a debtor in collection pays later invoices sooner, sooner still on a shorter
    # term. Each arrives with the debtor's first file or the client's first file after its
    # payment.
    """
    INSERT INTO gi
    WITH pick AS MATERIALIZED (
        SELECT g, 1 + floor(random() * :debtors)::int AS debtor_id,
            round(exp(ln(20) + power(random(), 1.3) * ln(200)) * 100)::bigint AS amount,
            CAST(:today AS date) - 45 - floor(random() * (CAST(:today AS date) - 45
                - (CAST(:base AS date) - 365)))::int AS invoice_date,
            random() AS c, random() AS c2
        FROM generate_series(1, :invoices - (SELECT count(*) FROM gi)) g
    ), termed AS (
        SELECT p.*, d.client_id, d.first_day, d.has_case, d.late_days, d.weekday, k.agreed_on,
            CASE WHEN k.agreed_on <= p.invoice_date THEN d.old_term / 2
                ELSE d.old_term END AS term,
            CASE WHEN NOT d.has_case OR p.invoice_date < d.first_day THEN 1.0
                WHEN k.agreed_on <= p.invoice_date THEN 0.3 ELSE 0.5 END AS habit
        FROM pick p JOIN gd d ON d.g = p.debtor_id LEFT JOIN gk k ON k.case_id = p.debtor_id
    ), habit AS (
        SELECT termed.*, invoice_date + term AS due_date,
            greatest(invoice_date, invoice_date + term - 3
                + floor(late_days * c * 2 * habit)::int) AS habit_paid_on
        FROM termed
    ), paid AS (
        -- one the habit would have paid after the day was paid some day before it
        SELECT habit.*, CASE WHEN habit_paid_on < CAST(:today AS date) THEN habit_paid_on
            ELSE invoice_date + floor(c2 * (CAST(:today AS date) - invoice_date))::int
            END AS paid_on
        FROM habit
    )
    SELECT (SELECT count(*) FROM gi) + p.g, 'paid', NULL, p.client_id, p.debtor_id, h.id,
        coalesce(h.day, greatest(p.first_day, p.paid_on)), p.invoice_date, p.due_date, p.amount,
        p.amount, CASE WHEN p.paid_on > p.due_date + 14 THEN 1 ELSE 0 END, p.paid_on, NULL
    FROM paid p
    LEFT JOIN gh h ON h.client_id = p.client_id AND h.week = ceil(
        (greatest(p.first_day, p.paid_on) - CAST(:base AS date) - p.weekday) / 7.0)::int
    """,
    "ANALYZE gi",
    # What the debtor was charged: principal per invoice at the handoff, costs (B2B: EUR 40
    # per overdue claim, art. 6:96 lid 4 BW; B2C: the WIK on the summed principal after the
    # 14-day letter), statutory interest per invoice on some cases.
    """
    CREATE TEMP TABLE gchg AS
    SELECT nextval('gseq') AS id, c.* FROM (
        SELECT k.case_id, k.client_id, i.id AS invoice_id, 'principal' AS kind,
            i.amount - i.paid_before AS amount, k.opened_on AS booked_on, 'handoff' AS source,
            i.due_date, 'Factuur F' || lpad(i.id::text, 8, '0') AS description
        FROM gi i JOIN gk k USING (case_id) WHERE i.kind = 'open'
        UNION ALL
        SELECT k.case_id, k.client_id, i.id, 'cost', 4000, k.opened_on, 'dunning', i.due_date,
            'Vergoeding art. 6:96 lid 4 BW'
        FROM gi i JOIN gk k USING (case_id)
        WHERE i.kind = 'open' AND k.costs AND k.segment = 'b2b'
        UNION ALL
        SELECT k.case_id, k.client_id, NULL, 'cost',
            least(677500, greatest(4000, round(
                0.15 * least(p, 250000) + 0.10 * least(greatest(p - 250000, 0), 250000)
                + 0.05 * least(greatest(p - 500000, 0), 500000)
                + 0.01 * least(greatest(p - 1000000, 0), 19000000)
                + 0.005 * greatest(p - 20000000, 0))))::bigint,
            k.opened_on + 17, 'dunning', NULL, 'Buitengerechtelijke incassokosten (WIK)'
        FROM gk k
        JOIN (SELECT case_id, sum(amount - paid_before) AS p FROM gi WHERE kind = 'open'
              GROUP BY case_id) s USING (case_id)
        WHERE k.costs AND k.segment = 'b2c'
        UNION ALL
        SELECT k.case_id, k.client_id, i.id, 'interest',
            greatest(1, round((i.amount - i.paid_before)
                * CASE k.segment WHEN 'b2b' THEN 0.1215 ELSE 0.06 END
                * (k.opened_on + 30 - i.due_date) / 365.0))::bigint,
            k.opened_on + 30, 'dunning', i.due_date, 'Wettelijke rente'
        FROM gi i JOIN gk k USING (case_id) WHERE i.kind = 'open' AND k.interest
    ) c
    """,
    # What a payment settles, in order (art. 6:44 BW: costs, interest, principal; art. 6:43:
    # the case's costs first, then the oldest due claim), after the credit notes: item_end is
    # where each item ends when the case's open items are laid end to end.
    """
    CREATE TEMP TABLE gitem AS
    SELECT c.case_id, c.invoice_id, c.kind AS component,
        c.amount - coalesce(n.credit, 0) AS amount,
        sum(c.amount - coalesce(n.credit, 0)) OVER (PARTITION BY c.case_id ORDER BY
            CASE c.kind WHEN 'cost' THEN 0 WHEN 'interest' THEN 1 ELSE 2 END,
            c.invoice_id IS NOT NULL, c.due_date, c.invoice_id) AS item_end
    FROM gchg c LEFT JOIN gcn n ON c.kind = 'principal' AND n.credited_id = c.invoice_id
    """,
    """
    CREATE TEMP TABLE gtot AS
    SELECT case_id, sum(amount)::bigint AS total FROM gitem GROUP BY case_id
    """,
    "CREATE UNIQUE INDEX ON gtot (case_id)",
    # Reductions: instalments paid on their due dates; payments (paid cases in full, now and
    # then a little more; part payments on a third of the others), the last one sometimes
    # straight to the client; write-offs of what was left.
    """
    CREATE TEMP TABLE gred AS
    SELECT nextval('gseq') AS id, r.* FROM (
        SELECT k.case_id, k.client_id, j AS seq, 'payment' AS kind, k.source,
            CASE WHEN j < k.instalments THEN t.total / k.instalments
                ELSE t.total - t.total / k.instalments * (k.instalments - 1) END AS amount,
            k.arranged_on + 14 + 30 * (j - 1) AS booked_on
        FROM gk k JOIN gtot t USING (case_id), generate_series(1, k.instalments) j
        WHERE k.arrangement = 'completed'
            OR (k.arrangement = 'active' AND k.arranged_on + 14 + 30 * (j - 1) < :today)
            OR (k.arrangement = 'broken' AND j = 1)
        UNION ALL
        SELECT k.case_id, k.client_id, j,
            CASE WHEN j = k.payments AND k.direct THEN 'direct_payment' ELSE 'payment' END,
            CASE WHEN j = k.payments AND k.direct THEN 'client' ELSE k.source END,
            CASE WHEN j < k.payments THEN p.paid / k.payments
                ELSE p.paid - p.paid / k.payments * (k.payments - 1) END,
            k.opened_on + 40 + greatest(0,
                coalesce(k.closed_on, k.opened_on + 40 + floor(k.q_when * (k.age - 40))::int)
                - k.opened_on - 40) * j / k.payments
        FROM gk k
        JOIN (SELECT k.case_id, CASE WHEN k.status = 'paid' THEN t.total + k.overpaid
                ELSE least(t.total - 100, greatest(100,
                    round((t.total * (0.1 + k.q_frac * 0.6))::numeric, -2)))::bigint END AS paid
              FROM gk k JOIN gtot t USING (case_id) WHERE k.payments > 0) p USING (case_id),
            generate_series(1, k.payments) j
        WHERE p.paid > 0
    ) r
    """,
    """
    INSERT INTO gred
    SELECT nextval('gseq'), k.case_id, k.client_id, k.payments + 1, 'write_off', 'agent',
        t.total - coalesce(p.paid, 0), k.closed_on
    FROM gk k
    JOIN gtot t USING (case_id)
    LEFT JOIN (SELECT case_id, sum(amount) AS paid FROM gred GROUP BY case_id) p USING (case_id)
    WHERE k.status = 'written_off'
    """,
    "ANALYZE gred",
    # One case in a hundred with payments first had one the bank took back (a reversal).
    """
    CREATE TEMP TABLE gbounce AS
    SELECT nextval('gseq') AS id, nextval('gseq') AS reversal_id, r.case_id, r.client_id,
        r.amount, r.source, k.opened_on + 36 AS booked_on
    FROM gred r JOIN gk k USING (case_id)
    WHERE r.seq = 1 AND r.kind = 'payment' AND k.bounced
    """,
    # Allocations: the overlap of each reduction with the open items, reductions laid end to
    # end in the order they were booked; beyond the total, an overpayment on the case. A
    # bounced payment came before all others, so it settled from the start, and its reversal
    # undid exactly that.
    """
    CREATE TEMP TABLE galloc AS
    WITH laid AS (
        SELECT id, case_id, amount, booked_on,
            sum(amount) OVER (PARTITION BY case_id ORDER BY seq) AS pay_end
        FROM gred
    )
    SELECT l.id AS entry_id, l.booked_on, i.invoice_id, i.component,
        least(i.item_end, l.pay_end) - greatest(i.item_end - i.amount, l.pay_end - l.amount)
            AS amount
    FROM laid l JOIN gitem i USING (case_id)
    WHERE i.item_end > l.pay_end - l.amount AND i.item_end - i.amount < l.pay_end
    UNION ALL
    SELECT l.id, l.booked_on, NULL, 'overpayment',
        l.pay_end - greatest(l.pay_end - l.amount, t.total)
    FROM laid l JOIN gtot t USING (case_id)
    WHERE l.pay_end > t.total
    UNION ALL
    SELECT b.id, b.booked_on, i.invoice_id, i.component,
        least(i.item_end, b.amount) - (i.item_end - i.amount)
    FROM gbounce b JOIN gitem i USING (case_id)
    WHERE i.item_end - i.amount < b.amount
    UNION ALL
    SELECT b.reversal_id, b.booked_on + 3, i.invoice_id, i.component,
        (i.item_end - i.amount) - least(i.item_end, b.amount)
    FROM gbounce b JOIN gitem i USING (case_id)
    WHERE i.item_end - i.amount < b.amount
    UNION ALL
    SELECT entry_id, booked_on, credited_id, 'principal', credit FROM gcn
    """,
    # The tables themselves, each in the order its rows were made.
    """
    INSERT INTO handoffs (id, client_id, source, filename, checksum, size_bytes, stored_path,
        status, mapping, skip_invalid, report, created_at, started_at, finished_at)
    SELECT h.id, h.client_id, CASE WHEN h.id % 3 = 0 THEN 'api' ELSE 'portal' END,
        'overdracht-' || to_char(h.day, 'YYYY-MM-DD') || '.csv',
        md5(h.id::text) || md5('bench' || h.id), 120 * (coalesce(n.invoices, 0) + 1),
        'handoffs/' || h.client_id || '/' || h.id || '.csv', 'imported', '{}',
        false,
        json_build_object('accepted', true, 'rows', coalesce(n.invoices, 0),
            'valid_rows', coalesce(n.invoices, 0), 'invalid_rows', 0,
            'debtors', coalesce(n.debtors, 0), 'invoices', coalesce(n.open, 0),
            'paid_invoices', coalesce(n.paid, 0), 'credit_notes', coalesce(n.credit, 0),
            'principal_cents', coalesce(n.principal, 0), 'error_count', 0, 'errors', '[]'::json),
        h.day + time '08:00', h.day + time '08:01', h.day + time '08:03'
    FROM gh h
    LEFT JOIN (SELECT handoff_id, count(*) AS invoices, count(DISTINCT debtor_id) AS debtors,
            count(*) FILTER (WHERE kind = 'open') AS open,
            count(*) FILTER (WHERE kind = 'paid') AS paid,
            count(*) FILTER (WHERE kind = 'credit') AS credit,
            sum(amount - paid_before) FILTER (WHERE kind = 'open') AS principal
        FROM gi GROUP BY handoff_id) n ON n.handoff_id = h.id
    ORDER BY h.id
    """,
    insert_debtors("gd ORDER BY first_day, g", "first_day + time '08:02'", "handoff_id"),
    """
    INSERT INTO cases (id, client_id, debtor_id, reference, segment, status, priority_score,
        next_action_on, paused_reason, paused_until, opened_on, closed_on, status_changed_at,
        created_at)
    SELECT case_id, client_id, case_id, 'AG' || lpad(case_id::text, 9, '0'), segment, status,
        CASE WHEN closed_on IS NULL THEN floor(q_n * 600)::int ELSE 0 END,
        CASE WHEN closed_on IS NULL
            THEN CAST(:today AS date) + floor(q_when * 30)::int - 10 END,
        CASE status WHEN 'promised' THEN 'promise' WHEN 'arrangement' THEN 'arrangement'
            WHEN 'disputed' THEN 'dispute' WHEN 'legal' THEN 'legal' END,
        CASE WHEN status = 'promised' THEN promised_on + 3 END,
        opened_on, closed_on,
        coalesce(closed_on, greatest(opened_on, CAST(:today AS date) - floor(q_when * 40)::int))
            + time '10:00',
        opened_on + time '08:02'
    FROM gk ORDER BY opened_on, case_id
    """,
    """
    INSERT INTO invoices (id, client_id, debtor_id, case_id, number, invoice_date, due_date,
        amount_cents, currency, paid_before_handoff_cents, reminders_sent, paid_on, handoff_id,
        created_at)
    SELECT id, client_id, debtor_id, case_id,
        CASE kind WHEN 'credit' THEN 'CN' ELSE 'F' END || lpad(id::text, 8, '0'),
        invoice_date, due_date, amount, 'EUR', paid_before, reminders, paid_on, handoff_id,
        created_on + time '08:02'
    FROM gi ORDER BY created_on, id
    """,
    """
    INSERT INTO ledger_entries (id, client_id, case_id, invoice_id, kind, amount_cents,
        booked_on, source, description, reverses_id, created_at)
    SELECT id, client_id, case_id, invoice_id, kind, amount, booked_on, source, description,
        reverses_id, booked_on + time '10:00'
    FROM (
        SELECT id, client_id, case_id, invoice_id, kind, amount, booked_on, source,
            description, NULL::bigint AS reverses_id
        FROM gchg
        UNION ALL
        SELECT entry_id, client_id, case_id, invoice_id, 'credit_note', -credit, booked_on,
            'client', 'Creditnota CN' || lpad(invoice_id::text, 8, '0'), NULL
        FROM gcn
        UNION ALL
        SELECT id, client_id, case_id, NULL, kind, -amount, booked_on, source,
            CASE kind WHEN 'write_off' THEN 'Afgeboekt' END, NULL
        FROM gred
        UNION ALL
        SELECT id, client_id, case_id, NULL, 'payment', -amount, booked_on, source, NULL, NULL
        FROM gbounce
        UNION ALL
        SELECT reversal_id, client_id, case_id, NULL, 'payment', amount, booked_on + 3, source,
            'Storno door de bank', id
        FROM gbounce
    ) e
    ORDER BY booked_on, id
    """,
    """
    INSERT INTO allocations (entry_id, client_id, kind, booked_on, invoice_id, component,
        amount_cents)
    SELECT a.entry_id, e.client_id, e.kind, e.booked_on, a.invoice_id, a.component, a.amount
    FROM galloc a JOIN ledger_entries e ON e.id = a.entry_id
    ORDER BY a.booked_on, a.entry_id
    """,
    # Arrangements: active (the next instalments still due), completed (a paid case's plan),
    # broken (the second instalment missed; the rest stays open, as check_arrangement leaves it).
    """
    CREATE TEMP TABLE garr AS
    SELECT row_number() OVER (ORDER BY k.arranged_on, k.case_id)::int AS id, k.case_id,
        k.client_id, k.arrangement AS status, k.instalments, k.arranged_on, t.total,
        CASE k.arrangement WHEN 'completed' THEN k.closed_on
            WHEN 'broken' THEN k.arranged_on + 14 + 30 + 4 END AS ended_on
    FROM gk k JOIN gtot t USING (case_id)
    WHERE k.arrangement IS NOT NULL
    """,
    """
    INSERT INTO arrangements (id, client_id, case_id, debtor_id, status, total_cents, made_on,
        ended_on, created_at)
    SELECT id, client_id, case_id, case_id, status, total, arranged_on, ended_on,
        arranged_on + time '11:00'
    FROM garr ORDER BY id
    """,
    """
    INSERT INTO instalments (arrangement_id, seq, due_on, amount_cents, status)
    SELECT a.id, j, a.arranged_on + 14 + 30 * (j - 1),
        CASE WHEN j < a.instalments THEN a.total / a.instalments
            ELSE a.total - a.total / a.instalments * (a.instalments - 1) END,
        CASE
            WHEN a.status = 'completed' THEN 'paid'
            WHEN a.status = 'active'
                THEN CASE WHEN a.arranged_on + 14 + 30 * (j - 1) < :today THEN 'paid'
                    ELSE 'open' END
            WHEN j = 1 THEN 'paid' WHEN j = 2 THEN 'missed' ELSE 'open'
        END
    FROM garr a, generate_series(1, a.instalments) j
    ORDER BY a.id, j
    """,
    # Promises: open on promised cases, kept by the first payment of two in five paying
    # cases, broken early on a quarter of the older cases.
    """
    INSERT INTO promises (client_id, case_id, debtor_id, amount_cents, made_on, promised_on,
        status, paid_cents, settled_on, created_at)
    SELECT client_id, case_id, case_id, amount, made_on, promised_on, status, paid, settled_on,
        made_on + time '12:00'
    FROM (
        SELECT k.case_id, k.client_id,
            greatest(100, ((t.total - coalesce(p.paid, 0)) * (0.3 + 0.7 * k.q_frac))::bigint)
                AS amount,
            CAST(:today AS date) - floor(k.q_when * 10)::int AS made_on,
            k.promised_on, 'open' AS status, 0 AS paid, NULL::date AS settled_on
        FROM gk k JOIN gtot t USING (case_id)
        LEFT JOIN (SELECT case_id, sum(amount) AS paid FROM gred GROUP BY case_id) p
            USING (case_id)
        WHERE k.status = 'promised'
        UNION ALL
        SELECT k.case_id, k.client_id, r.amount, r.booked_on - 3 - floor(k.q_when * 10)::int,
            r.booked_on, 'kept', r.amount, r.booked_on
        FROM gk k JOIN gred r USING (case_id)
        WHERE k.promise_kept AND r.seq = 1 AND r.kind <> 'write_off'
        UNION ALL
        SELECT k.case_id, k.client_id, greatest(100, t.total / 2),
            k.opened_on + 18 + floor(k.q_when * 5)::int,
            k.opened_on + 25 + floor(k.q_when * 5)::int, 'broken', 0,
            k.opened_on + 29 + floor(k.q_when * 5)::int
        FROM gk k JOIN gtot t USING (case_id)
        WHERE k.promise_broken
    ) p
    ORDER BY made_on, case_id
    """,
    """
    INSERT INTO disputes (client_id, case_id, invoice_id, reason, amount_cents, status,
        created_at)
    SELECT k.client_id, k.case_id, o.invoice_id,
        (ARRAY['not_delivered', 'defective', 'wrong_amount', 'already_paid', 'not_ordered',
               'other'])[1 + floor(k.q_term * 6)::int],
        i.amount, 'open',
        CAST(:today AS date) - floor(k.q_when * 30)::int + time '13:00'
    FROM gk k
    JOIN goldest o USING (case_id)
    JOIN gitem i ON i.invoice_id = o.invoice_id AND i.component = 'principal'
    WHERE k.status = 'disputed'
    ORDER BY k.case_id
    """,
    """
    INSERT INTO payment_term_agreements (client_id, case_id, debtor_id, old_days, new_days,
        agreed_on, created_at)
    SELECT client_id, case_id, case_id, old_term, old_term / 2, agreed_on,
        agreed_on + time '14:00'
    FROM gk WHERE agreed_on IS NOT NULL ORDER BY agreed_on, case_id
    """,
    "SELECT setval(pg_get_serial_sequence('clients', 'id'), :clients)",
    "SELECT setval(pg_get_serial_sequence('handoffs', 'id'), (SELECT max(id) FROM handoffs))",
    "SELECT setval(pg_get_serial_sequence('debtors', 'id'), (SELECT max(id) FROM debtors))",
    "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))",
    "SELECT setval(pg_get_serial_sequence('invoices', 'id'), (SELECT max(id) FROM invoices))",
    """SELECT setval(pg_get_serial_sequence('ledger_entries', 'id'),
        (SELECT max(id) FROM ledger_entries))""",
    """SELECT setval(pg_get_serial_sequence('arrangements', 'id'),
        (SELECT max(id) FROM arrangements))""",
    """DROP TABLE gc, gbounds, gh, gd, gk, gi, goldest, gcn, gchg, gitem, gtot, gred, gbounce,
        galloc, garr""",
    "DROP SEQUENCE gseq",
]

# What a generated book must satisfy; each query counts the rows that break a rule.
CHECKS = {
    "reductions whose allocations do not add up to minus their amount": """
        SELECT count(*) FROM ledger_entries e
        LEFT JOIN (SELECT entry_id, sum(amount_cents) AS s FROM allocations GROUP BY entry_id) a
            ON a.entry_id = e.id
        WHERE (e.kind IN ('payment', 'direct_payment', 'credit_note', 'write_off')
               AND coalesce(a.s, 0) <> -e.amount_cents)
           OR (e.kind IN ('principal', 'cost', 'interest') AND a.s IS NOT NULL)
    """,
    "items settled beyond what was charged": """
        SELECT count(*) FROM (
            SELECT e.case_id, e.invoice_id, e.kind AS component, sum(e.amount_cents) AS charged
            FROM ledger_entries e WHERE e.kind IN ('principal', 'cost', 'interest')
            GROUP BY 1, 2, 3) c
        JOIN (SELECT e.case_id, a.invoice_id, a.component, sum(a.amount_cents) AS settled
              FROM allocations a JOIN ledger_entries e ON e.id = a.entry_id
              GROUP BY 1, 2, 3) s
            ON s.case_id = c.case_id AND s.invoice_id IS NOT DISTINCT FROM c.invoice_id
            AND s.component = c.component
        WHERE s.settled > c.charged
    """,
    "paid or written-off cases that owe, others that owe nothing": """
        SELECT count(*) FROM cases c
        JOIN (SELECT case_id, sum(amount_cents) AS balance FROM ledger_entries GROUP BY case_id) b
            ON b.case_id = c.id
        WHERE (c.status IN ('paid', 'written_off')) <> (b.balance <= 0)
           OR (c.status = 'written_off' AND b.balance <> 0)
    """,
    "bookings after the day or outside their case's life": """
        SELECT count(*) FROM ledger_entries e JOIN cases c ON c.id = e.case_id
        WHERE e.booked_on > :today OR e.booked_on < c.opened_on
           OR e.booked_on > coalesce(c.closed_on, :today)
    """,
    "historic invoices paid after the day, or arriving before they were paid": """
        SELECT count(*) FROM invoices i LEFT JOIN handoffs h ON h.id = i.handoff_id
        WHERE i.paid_on > :today OR CAST(h.created_at AS date) < i.paid_on
    """,
    "active arrangements fully paid, instalments not adding up to the total": """
        SELECT count(*) FROM arrangements a
        JOIN (SELECT arrangement_id, sum(amount_cents) AS total,
                  bool_and(status = 'paid') AS all_paid
              FROM instalments GROUP BY arrangement_id) i ON i.arrangement_id = a.id
        WHERE i.total <> a.total_cents OR (a.status = 'active' AND i.all_paid)
    """,
}


def _generate(app) -> float:
    """Fill the database; return the seconds it took (ANALYZE included)."""
    from agency.extensions import db

    params = {
        "today": TODAY,
        "base": BASE,
        "weeks": WEEKS,
        "clients": CLIENTS,
        "debtors": DEBTORS,
        "case_debtors": CASE_DEBTORS,
        "handed": HANDED,
        "invoices": INVOICES,
    }
    verbose = bool(os.environ.get("BENCH_REPORTS_VERBOSE"))

    def progress(statement: str, seconds: float) -> None:
        if verbose:
            print(f"  {seconds:7.2f} s  {' '.join(statement.split())[:90]}", flush=True)

    started = time.perf_counter()
    with app.app_context():
        with db.engine.begin() as conn:
            run_sql(conn, GENERATE, params, progress)
        vacuum_analyze(db.engine)
    return time.perf_counter() - started


def _check_and_count(app) -> dict[str, int]:
    """Raise if the book breaks a rule of the ledger; return the row counts."""
    from agency.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        for rule, sql in CHECKS.items():
            broken = conn.execute(sa.text(sql), {"today": TODAY} if ":today" in sql else {})
            count = broken.scalar_one()
            assert count == 0, f"{count} rows: {rule}"
        counts = {
            table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
            for table in (
                "clients",
                "debtors",
                "cases",
                "invoices",
                "ledger_entries",
                "allocations",
                "promises",
                "arrangements",
                "instalments",
                "payment_term_agreements",
                "handoffs",
            )
        }
        counts["historic_invoices"] = conn.execute(
            sa.text("SELECT count(*) FROM invoices WHERE paid_on IS NOT NULL")
        ).scalar_one()
    return counts


def _clients(app) -> list[tuple[int, str, str, int]]:
    """Clients by invoices, the largest first: id, name, brand colour, invoices."""
    from agency.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                sa.text(
                    "SELECT c.id, c.name, c.brand_colour, count(i.id) FROM clients c"
                    " JOIN invoices i ON i.client_id = c.id GROUP BY c.id ORDER BY 4 DESC, 1"
                )
            )
        ]


class StatementLog:
    """Times every statement the engine runs while it is attached (SQLAlchemy events)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.records: list[tuple[float, str, object]] = []

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        took = time.perf_counter() - conn.info["bench_started"].pop()
        self.records.append((took, statement, parameters))

    def __enter__(self) -> StatementLog:
        sa.event.listen(self.engine, "before_cursor_execute", self._before)
        sa.event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._before)
        sa.event.remove(self.engine, "after_cursor_execute", self._after)


def _plan_summary(plan: dict) -> dict[str, object]:
    """Execution and planning time, buffers, JIT time and the sequential scans of a plan."""
    scans: set[str] = set()

    def walk(node: dict) -> None:
        if node.get("Node Type") == "Seq Scan":
            scans.add(node.get("Relation Name", "?"))
        for child in node.get("Plans", []):
            walk(child)

    top = plan["Plan"]
    walk(top)
    return {
        "execution_ms": round(plan["Execution Time"], 1),
        "planning_ms": round(plan["Planning Time"], 1),
        "shared_hit": top.get("Shared Hit Blocks", 0),
        "shared_read": top.get("Shared Read Blocks", 0),
        "temp_written": top.get("Temp Written Blocks", 0),
        "jit_ms": round(plan.get("JIT", {}).get("Timing", {}).get("Total", 0), 1),
        "seq_scans": sorted(scans),
    }


def _slowest_statements(app, client_id: int, top: int = 5) -> tuple[int, float]:
    """Run one dashboard with every statement timed; print the slowest with their plans.

    Returns the number of statements and their summed time in milliseconds.
    """
    from agency.extensions import db
    from agency.reports.queries import dashboard

    with app.app_context():
        with StatementLog(db.engine) as log:
            dashboard(client_id, as_of=TODAY)
        db.session.rollback()
        slowest = sorted(log.records, key=lambda record: record[0], reverse=True)[:top]
        print(f"reports: the {len(slowest)} slowest of {len(log.records)} dashboard statements")
        whole = bool(os.environ.get("BENCH_REPORTS_PLANS"))
        with db.engine.connect() as conn:
            for n, (took, statement, parameters) in enumerate(slowest, 1):
                explain = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement
                plan = conn.exec_driver_sql(explain, parameters or None).scalar_one()[0]
                print(f"  #{n} {took * 1000:.1f} ms in the app; {json.dumps(_plan_summary(plan))}")
                print("     " + " ".join(statement.split())[:400])
                if whole:
                    text = conn.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters or None
                    ).scalars()
                    print("\n".join("       " + line for line in text))
            conn.rollback()
        sys.stdout.flush()
    return len(log.records), sum(record[0] for record in log.records) * 1000


def _dashboard_figures(app, largest, median) -> dict[str, tuple[float, float, float]]:
    """Median, p95 and CPU ms of the dashboard of the largest and of the median client."""
    from agency.extensions import db
    from agency.reports.queries import dashboard

    with app.app_context():
        # A fresh transaction for each run, as each page view has its own.
        figures = {
            key: time_runs(
                lambda c=client: dashboard(c[0], as_of=TODAY),
                DASHBOARD_RUNS,
                warmup=1,
                between=db.session.rollback,
            )
            for key, client in (("dashboard", largest), ("median", median))
        }
        db.session.remove()
    return figures


def _pdf_figures(app, client) -> tuple[tuple[float, float, float], dict[str, object]]:
    """Median, p95 and CPU ms of the client's monthly report, and where its time went.

    A monthly report is what the portal's PDF download and the mailing job do: the dashboard as
    of the month's last day, then `monthly_report_pdf` (the four charts and the PDF). The parts
    are medians over the same runs; `charts_ms` is the four charts alone, rendered as the PDF
    renders them.
    """
    from agency.extensions import db
    from agency.reports import charts, pdf
    from agency.reports.queries import dashboard, month_end

    client_id, name, colour, _ = client
    parts: dict[str, list[float]] = {"dashboard_part_ms": [], "render_ms": [], "charts_ms": []}
    sizes = []

    def monthly_report() -> None:
        started = time.perf_counter()
        figures = dashboard(client_id, as_of=month_end(REPORT_MONTH))
        queried = time.perf_counter()
        document = pdf.monthly_report_pdf(
            figures,
            client_name=name,
            brand_colour=colour,
            logo_path=None,
            month=REPORT_MONTH,
            language="nl",
        )
        parts["dashboard_part_ms"].append((queried - started) * 1000)
        parts["render_ms"].append((time.perf_counter() - queried) * 1000)
        assert document.startswith(b"%PDF"), document[:20]
        sizes.append(len(document))

    with app.app_context():
        figures = time_runs(monthly_report, PDF_RUNS, warmup=1, between=db.session.rollback)
        month = dashboard(client_id, as_of=month_end(REPORT_MONTH))
        for _ in range(PDF_RUNS):
            started = time.perf_counter()
            for chart in charts.CHARTS:
                charts.render(chart, month, language="nl", dpi=pdf.CHART_DPI)
            parts["charts_ms"].append((time.perf_counter() - started) * 1000)
        db.session.remove()
    detail: dict[str, object] = {
        key: round(statistics.median(values), 1) for key, values in parts.items()
    }
    detail["pdf_bytes"] = sizes[-1]
    return figures, detail


def _app_and_book() -> tuple[object, str, bool, float | None]:
    """The app on a generated book: (app, url, created here, generation seconds or None)."""
    if os.environ.get("BENCH_REPORTS_REUSE"):
        url = os.environ.get("BENCH_REPORTS_DATABASE_URL") or LOCAL_URL.format(name=DB_NAME)
        return bench_app(url), url, False, None
    url, created = bench_database("BENCH_REPORTS_DATABASE_URL", DB_NAME)
    app = migrated_app(url)
    return app, url, created, _generate(app)


def reports_benchmark(emit) -> None:
    app, url, created, generated_s = _app_and_book()
    try:
        counts = _check_and_count(app)
        clients = _clients(app)
        largest, median = clients[0], clients[len(clients) // 2]
        context = {
            "invoices": counts["invoices"],
            "debtors": counts["debtors"],
            "clients": counts["clients"],
            "as_of": TODAY.isoformat(),
            "cores": os.cpu_count(),
        }
        if generated_s is not None:
            emit(
                "reports.generate_s",
                generated_s,
                "s",
                **counts,
                largest_client_invoices=largest[3],
                second_client_invoices=clients[1][3],
                median_client_invoices=median[3],
            )
        statements, statements_ms = _slowest_statements(app, largest[0])
        figures = _dashboard_figures(app, largest, median)
        figures["pdf"], pdf_detail = _pdf_figures(app, largest)
        for name, key, client, limit, runs in (
            ("reports.dashboard_ms", "dashboard", largest, DASHBOARD_LIMIT_MS, DASHBOARD_RUNS),
            ("reports.pdf_ms", "pdf", largest, PDF_LIMIT_MS, PDF_RUNS),
            (
                "reports.dashboard_median_client_ms",
                "median",
                median,
                DASHBOARD_LIMIT_MS,
                DASHBOARD_RUNS,
            ),
        ):
            value, p95, cpu = figures[key]
            extra: dict[str, object] = {}
            if key == "dashboard":
                extra = {"statements": statements, "statements_ms": round(statements_ms, 1)}
            elif key == "pdf":
                extra = {**pdf_detail, "month": REPORT_MONTH.isoformat()}
            emit(
                name,
                value,
                "ms",
                p95=round(p95, 1),
                cpu_ms=round(cpu, 1),
                limit=limit,
                ratio=round(value / limit, 3),
                limit_is=(f"floor of the issue for the largest client: median under {limit} ms"),
                runs=runs,
                client_id=client[0],
                client_invoices=client[3],
                **extra,
                **context,
                **load_1m(),
            )
    finally:
        if created and not os.environ.get("BENCH_REPORTS_KEEP"):
            drop_database(DB_NAME)


BENCHMARKS = {"reports": reports_benchmark}
