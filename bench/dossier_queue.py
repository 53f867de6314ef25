"""Benchmark: the officer's online-dossier queue ("Tiếp nhận hồ sơ qua mạng") over a million dossiers.

Run with ``./dev bench dossier_queue [--rows N] [--repeat N]``. It is not a test: it prints timings.

What it does, per database:
1. Uses its own database so nothing else is disturbed: ``var/bench/dossier_queue.sqlite3`` always, and when
   ``DATABASE_URL`` points at PostgreSQL, a database named ``<that name>_bench`` on the same server (created
   if missing). Migrates it.
2. Inserts ``--rows`` dossiers (default 1,000,000) across ``--agencies`` agencies (default 20) once; later runs
   reuse them (``--rebuild`` starts over). Rows go in by ``executemany`` in batches on SQLite and by ``COPY``
   on PostgreSQL — the ORM's ``bulk_create`` is several times slower at this size.
3. Times exactly what the queue view runs — ``dossier_list_for_officer`` + ``keyset_page`` (the capped count
   and one 25-row page) — for one agency: first page, filtered by status, a code-prefix search, an applicant
   name search, and a page deep in the list. Prints p50/p99 over ``--repeat`` runs and the indexes the
   query plan uses.

Each database runs in a child process, because Django's settings (the database) are fixed at start-up.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
SQLITE_PATH = BENCH_DIR / "dossier_queue.sqlite3"
FIRST_NAMES = ["Nguyễn Văn", "Trần Thị", "Lê Minh", "Phạm Thu", "Hoàng Đức", "Võ Thị", "Đặng Quốc", "Bùi Ngọc"]
LAST_NAMES = ["An", "Bình", "Cường", "Dung", "Giang", "Hà", "Khánh", "Lan", "Mai", "Nam", "Phúc", "Quyên", "Sơn"]
STATUS_WEIGHTS = {
    "submitted": 20,
    "awaiting_payment": 10,
    "paid": 10,
    "received": 15,
    "processing": 15,
    "result_ready": 5,
    "completed": 20,
    "rejected": 4,
    "withdrawn": 1,
}
FEE_FOR_STATUS = {"awaiting_payment": "awaiting", "paid": "paid", "received": "paid", "processing": "paid"}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--rows", type=int, default=1_000_000, help="dossiers to insert (default 1,000,000)")
    parser.add_argument("--agencies", type=int, default=20, help="agencies the dossiers are spread over")
    parser.add_argument("--repeat", type=int, default=50, help="timed runs per query (default 50)")
    parser.add_argument("--rebuild", action="store_true", help="drop the benchmark data and insert it again")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def postgres_bench_url(url: str) -> str:
    """``postgres://u@h:5432/civicpay`` → ``postgres://u@h:5432/civicpay_bench``."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "civicpay"
    return urlunsplit(parts._replace(path=f"/{name}_bench"))


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.backend:
        run_backend(args)
        return 0
    targets = [("sqlite", f"sqlite:///{SQLITE_PATH}")]
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        targets.append(("postgres", postgres_bench_url(database_url)))
    status = 0
    for backend, url in targets:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "CIVICPAY_ENV": "embedded",
            "DJANGO_SETTINGS_MODULE": "civicpay.settings",
        }
        if backend == "postgres":
            ensure_postgres_database(url)
        child = subprocess.run([sys.executable, __file__, *argv, "--backend", backend], env=env, cwd=ROOT, check=False)
        status = status or child.returncode
    return status


def ensure_postgres_database(url: str) -> None:
    """Create the ``*_bench`` database if it does not exist yet (connecting to the server's ``postgres`` db)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


# --- Inside the child process: Django is configured for one database -----------------------------------


def run_backend(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    print(f"\n=== {connection.vendor}: {connection.settings_dict['NAME']} ===", flush=True)
    call_command("migrate", verbosity=0)
    officer = seed(args)
    time_queries(officer, repeat=args.repeat)


def seed(args: argparse.Namespace) -> Any:
    """Agencies, procedures, applicants and ``args.rows`` dossiers; returns an officer of the first agency."""
    from django.db import connection, transaction

    from civicpay.accounts.models import Officer, OfficerRole, User
    from civicpay.directory.models import Agency, Procedure
    from civicpay.dossiers.models import Dossier

    if args.rebuild:
        with transaction.atomic():
            Officer.objects.filter(user__email__startswith="bench-").delete()
            Dossier.objects.all().delete()
            User.objects.filter(email__startswith="bench-").delete()
    existing = Dossier.objects.count()
    with transaction.atomic():
        agencies = [
            Agency.objects.get_or_create(
                code=f"B{n:02d}.01", defaults={"name": f"Cơ quan thử tải {n}", "province_code": 42}
            )[0]
            for n in range(args.agencies)
        ]
        procedures = {
            agency.pk: [
                Procedure.objects.get_or_create(agency=agency, code=f"1.{p:06d}", defaults={"name": f"Thủ tục {p}"})[
                    0
                ].pk
                for p in range(5)
            ]
            for agency in agencies
        }
        officer_user, _ = User.objects.get_or_create(
            email="bench-officer@example.vn", defaults={"full_name": "Cán bộ thử tải", "is_active": True}
        )
        officer, _ = Officer.objects.get_or_create(
            user=officer_user, defaults={"agency": agencies[0], "roles": [OfficerRole.RECEPTION.value]}
        )
        applicants = list(User.objects.filter(email__startswith="bench-applicant-").values_list("pk", flat=True))
        if not applicants:
            User.objects.bulk_create(
                User(email=f"bench-applicant-{n}@example.vn", full_name=f"Người nộp {n}", password="!")
                for n in range(2000)
            )
            applicants = list(User.objects.filter(email__startswith="bench-applicant-").values_list("pk", flat=True))
    if existing >= args.rows:
        print(f"reusing {existing:,} dossiers", flush=True)
        return officer
    missing = args.rows - existing
    print(f"inserting {missing:,} dossiers across {len(agencies)} agencies …", flush=True)
    started = time.perf_counter()
    rows = dossier_rows(
        start=existing, count=missing, agencies=[a.pk for a in agencies], procedures=procedures, applicants=applicants
    )
    if connection.vendor == "postgresql":
        copy_rows(rows)
    else:
        insert_rows(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"inserted in {time.perf_counter() - started:.1f} s", flush=True)
    return officer


COLUMNS = [
    "code",
    "agency_id",
    "procedure_id",
    "applicant_id",
    "applicant_name",
    "applicant_email",
    "applicant_phone",
    "applicant_id_number",
    "applicant_address",
    "details",
    "status",
    "fee_status",
    "submitted_at",
    "rejection_reason",
    "additional_info_reason",
    "result_note",
    "updated_at",
]


def dossier_rows(
    *, start: int, count: int, agencies: list[int], procedures: dict[int, list[int]], applicants: list[int]
) -> Iterator[tuple[Any, ...]]:
    """Plausible dossiers over the last two years, each agency's codes ``B07.01-yymmdd-NNNNNN``."""
    rng = random.Random(start)
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    now = datetime.now(UTC)
    span = timedelta(days=730).total_seconds()
    for n in range(start, start + count):
        agency = agencies[n % len(agencies)]
        submitted = now - timedelta(seconds=span * (1 - n / (start + count)) + rng.random())
        status = rng.choices(statuses, weights)[0]
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {n % 997}"
        yield (
            f"B{agencies.index(agency):02d}.01-{submitted:%y%m%d}-{n:07d}",
            agency,
            rng.choice(procedures[agency]),
            rng.choice(applicants),
            name,
            f"nguoinop{n}@example.vn",
            f"09{n:08d}",
            f"{79_000_000_000 + n:012d}",
            "Phường Nha Trang, Tỉnh Khánh Hòa",
            "{}",
            status,
            FEE_FOR_STATUS.get(status, "none"),
            submitted,
            "",
            "",
            "",
            submitted,
        )


def batched(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def insert_rows(rows: Iterator[tuple[Any, ...]]) -> None:
    from django.db import connection, transaction

    from civicpay.dossiers.models import Dossier

    sql = f"INSERT INTO {Dossier._meta.db_table} ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
    for batch in batched(rows, 20_000):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                sql, [(*row[:12], row[12].isoformat(), *row[13:16], row[16].isoformat()) for row in batch]
            )


def copy_rows(rows: Iterator[tuple[Any, ...]]) -> None:
    from django.db import connection, transaction

    from civicpay.dossiers.models import Dossier

    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor: COPY is not part of the DB-API
        with raw.copy(f"COPY {Dossier._meta.db_table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


# --- Timing ---------------------------------------------------------------------------------------------


def time_queries(officer: Any, *, repeat: int) -> None:
    from django.db import connection, reset_queries

    from civicpay.backoffice.paging import keyset_page
    from civicpay.dossiers.models import Dossier
    from civicpay.dossiers.selectors import dossier_list_for_officer

    sample = Dossier.objects.filter(agency=officer.agency).order_by("-submitted_at", "-pk")
    newest = sample.first()
    assert newest is not None, "no dossiers for the benchmark agency"
    depth = min(5000, sample.count() // 2)
    deep = sample[depth : depth + 1].get()
    deep_cursor = f"{deep.submitted_at.isoformat()}~{deep.pk}"
    code_prefix = newest.code.rsplit("-", 1)[0]  # "B00.01-yymmdd": one day's dossiers
    name = newest.applicant_name.rsplit(" ", 1)[0]  # "Nguyễn Văn An"
    print(
        f"agency {officer.agency.code}: {Dossier.objects.filter(agency=officer.agency).count():,} of "
        f"{Dossier.objects.count():,} dossiers",
        flush=True,
    )

    cases: list[tuple[str, dict[str, Any], str]] = [
        ("first page", {}, ""),
        ("status = submitted", {"status": "submitted"}, ""),
        (f"code prefix {code_prefix!r}", {"q": code_prefix}, ""),
        (f"applicant name {name!r}", {"q": name}, ""),
        (f"page after row {depth:,}", {}, deep_cursor),
    ]
    print(f"{'query':<40} {'p50 ms':>8} {'p99 ms':>8} {'rows':>5} {'count':>7}  indexes in the plan")
    for label, filters, after in cases:

        def run(filters: dict[str, Any] = filters, after: str = after) -> Any:
            return keyset_page(dossier_list_for_officer(officer=officer, **filters), after=after)

        samples, page = measure(run, repeat=repeat)
        queryset = dossier_list_for_officer(officer=officer, **filters)
        plan = queryset[:26].explain()
        count_plan = queryset.order_by().values("pk")[:1001].explain()
        indexes = sorted(used_indexes(plan) | used_indexes(count_plan))
        count = f"{page.count}{'+' if page.count_capped else ''}"
        p50 = statistics.median(samples) * 1000
        p99 = percentile(samples, 0.99) * 1000
        print(f"{label:<40} {p50:8.2f} {p99:8.2f} {len(page.rows):5d} {count:>7}  {', '.join(indexes) or '(none)'}")
        if os.environ.get("BENCH_SHOW_PLANS"):
            print(plan, "\n", count_plan, sep="")
    reset_queries()
    connection.close()


def measure(run: Callable[[], Any], *, repeat: int) -> tuple[list[float], Any]:
    run()  # warm the cache once; we time a steady state
    samples = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        samples.append(time.perf_counter() - started)
    return samples, result


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def used_indexes(plan: str) -> set[str]:
    """Index names mentioned by an EXPLAIN (SQLite: ``USING INDEX x``; PostgreSQL: ``Index Scan using x``)."""
    names = set()
    for line in plan.splitlines():
        for marker in ("USING INDEX ", "USING COVERING INDEX ", " using ", "Bitmap Index Scan on "):
            if marker in line:
                names.add(line.split(marker, 1)[1].split()[0].strip("()"))
    return names


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
