"""Benchmark: VNPay IPNs through the whole platform, next to a minimal hand-written handler.

Run with ``./dev bench ipn [--seconds 20] [--concurrency 16] [--payments 5000] [--db sqlite|postgres|both]``.
It is not a test: it prints throughput and latency, and checks that nothing was applied twice.

What it does, per database:
1. Starts from an empty database of its own: ``var/bench/ipn.sqlite3`` (deleted first), and when
   ``DATABASE_URL`` points at PostgreSQL, ``<that database>_ipnbench`` (dropped and created again) —
   the dev database is never touched. Migrates it.
2. Creates ``--payments`` payments in ``started`` state, each for its own dossier's fee notice: the
   first through the real services (``dossier_submit`` → ``dossier_request_payment`` →
   ``payment_create`` → ``payment_start``), the others as ``bulk_create`` copies of those rows
   (dossier, payment request and its lines, payment, item, allocations) with their own codes, numbers
   and references. The minimal handler gets its own table with the same references and amounts.
3. Serves the platform (``civicpay.wsgi``) under gunicorn (``--workers`` × ``--threads``, gthread,
   ``--preload``) on a free localhost port and fires one signed IPN per payment — each payment once —
   from ``--concurrency`` keep-alive connections (an asyncio client) for ``--seconds`` or until the
   payments run out, after a short warm-up. Then the same for ``bench/ipn_minimal.py`` under the same
   gunicorn settings, with exactly the same requests, and for ``bench/ipn_django_floor.py`` (the minimal
   handler's work as a Django view in the platform's settings: the framework's share of the gap).
4. Prints requests, throughput, p50/p99 latency and errors side by side with the ratio ours/minimal,
   and checks the database: every IPN answered ``00``; every fired payment ``success`` once, with one
   ledger entry, one stored callback, its fee notice and dossier paid, one SMS and one e-mail queued;
   every other payment still ``started``.

``--profile`` then runs 300 more IPNs through the platform's WSGI handler in this process under
cProfile and prints where the time goes and how many SQL statements one IPN runs.

Each database runs in a child process, because Django's settings (the database) are fixed at start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
SQLITE_PATH = BENCH_DIR / "ipn.sqlite3"
IPN_PATH = "/thanh-toan/vnpay/ipn/"
PROFILE_IPNS = 400
HANDLERS = {
    "civicpay": "civicpay.wsgi:application",
    "minimal": "bench.ipn_minimal:application",
    "floor": "bench.ipn_django_floor:application",
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--seconds", type=float, default=20, help="timed run per handler (default 20)")
    parser.add_argument("--concurrency", type=int, default=16, help="connections of the load generator (16)")
    parser.add_argument("--payments", type=int, default=5000, help="started payments to pay (default 5,000)")
    parser.add_argument(
        "--db",
        choices=["sqlite", "postgres", "both"],
        help="default: sqlite, and PostgreSQL too when DATABASE_URL points at it",
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (default 4)")
    parser.add_argument("--warmup", type=int, default=64, help="IPNs fired before timing (default 64)")
    parser.add_argument("--only", choices=sorted(HANDLERS), help="run one handler only")
    parser.add_argument(
        "--settle",
        choices=["beside", "after"],
        default="beside",
        help="run the settlement worker (civicpay_worker) beside the server during the timed run (default), "
        "or only drain its backlog after the run",
    )
    parser.add_argument("--profile", action="store_true", help="also profile the platform's IPN path")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def postgres_bench_url(url: str, suffix: str = "_ipnbench") -> str:
    """``postgres://u@h:5432/civicpay`` → ``postgres://u@h:5432/civicpay_ipnbench`` (or another ``suffix``)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "civicpay"
    return urlunsplit(parts._replace(path=f"/{name}{suffix}"))


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.backend:
        return run_backend(args)
    database_url = os.environ.get("DATABASE_URL", "")
    on_postgres = database_url.startswith(("postgres://", "postgresql://"))
    wanted = args.db or ("both" if on_postgres else "sqlite")
    if wanted in ("postgres", "both") and not on_postgres:
        print("--db postgres needs DATABASE_URL=postgres://… (the benchmark uses <that database>_ipnbench)")
        return 2
    targets = []
    if wanted in ("sqlite", "both"):
        targets.append(("sqlite", f"sqlite:///{SQLITE_PATH}"))
    if wanted in ("postgres", "both"):
        targets.append(("postgres", postgres_bench_url(database_url)))
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    status = 0
    results = []
    for backend, url in targets:
        reset_database(backend, url)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "CIVICPAY_ENV": "embedded",
            "DJANGO_SETTINGS_MODULE": "civicpay.settings",
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
        }
        child = subprocess.run([sys.executable, __file__, *argv, "--backend", backend], env=env, cwd=ROOT, check=False)
        status = status or child.returncode
        result_file = BENCH_DIR / f"ipn-{backend}.json"
        if child.returncode == 0 and result_file.exists():
            results.append(json.loads(result_file.read_text()))
    if len(results) > 1:
        print_summary(results)
    return status


def reset_database(backend: str, url: str, *, suffix: str = "_ipnbench", sqlite_path: Path = SQLITE_PATH) -> None:
    """A fresh database each run: the SQLite file is deleted, the PostgreSQL ``*_ipnbench`` database
    (or another benchmark's ``suffix``) dropped and created again (connecting to the server's ``postgres``
    database)."""
    if backend == "sqlite":
        for ending in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{ending}").unlink(missing_ok=True)
        return
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.endswith(suffix):
        raise SystemExit(f"refusing to drop {name!r}: not a benchmark database")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


# --- Inside the child process: Django is configured for one database -----------------------------------


@dataclass
class RunResult:
    """What the load generator saw for one handler."""

    handler: str
    requests: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    replies: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    fired: list[str] = field(default_factory=list, repr=False)
    ran_out: bool = False
    server_cpu_seconds: float = 0.0  # user + system time of gunicorn and its workers during the timed run
    load_before: float = 0.0  # the machine's 1-minute load average when the timed run started
    worker_cpu_seconds: float = 0.0  # the settlement worker's CPU during the timed run (--settle beside)
    settled_in_run: int = 0  # successes the worker settled by the end of the timed run
    drain_seconds: float = 0.0  # time to settle the rest after the run, in one process
    drained: int = 0

    @property
    def cpu_ms(self) -> float:
        """Server CPU time per IPN: unlike latency, barely moved by other work on the machine."""
        return self.server_cpu_seconds * 1000 / self.requests if self.requests else 0.0

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else 0.0

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 0.99)


def run_backend(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    label = connection.settings_dict["NAME"]
    print(f"\n=== {connection.vendor}: {label} ===", flush=True)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.perf_counter() - started:.1f} s", flush=True)
    extra = PROFILE_IPNS if args.profile else 0
    started = time.perf_counter()
    payments = seed(args.payments + extra)
    seed_minimal(payments[: args.payments])
    print(
        f"{args.payments:,} started payments (+ the same in the minimal handler's table) in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    targets = ipn_targets(payments)
    timed, profiled = targets[: args.payments], targets[args.payments :]
    database = minimal_target(connection)
    connection.close()

    print(
        f"gunicorn gthread {args.workers} workers × {args.threads} threads; {args.concurrency} connections; "
        f"{args.seconds:g} s or until the payments run out; {args.warmup} warm-up IPNs",
        flush=True,
    )
    runs: dict[str, RunResult] = {}
    problems = {}
    for handler in HANDLERS:
        if args.only and handler != args.only:
            continue
        path = IPN_PATH if handler == "civicpay" else "/ipn"
        if handler != "civicpay":
            reset_minimal()  # the minimal and the floor handler pay the same rows, each from "started"
        runs[handler] = serve_and_fire(
            handler,
            args,
            requests=[(ref, f"{path}?{query}") for ref, query in timed],
            env={"BENCH_IPN_DATABASE": database, "BENCH_IPN_SECRET": secret()},
        )
        if handler != "civicpay":
            problems[handler] = check_minimal(runs[handler], total=args.payments)
    if "civicpay" in runs:
        settle_backlog(runs["civicpay"], profile=args.profile)
        problems["civicpay"] = check_platform(runs["civicpay"], total=len(payments))
    print_runs(runs, problems)
    result = {
        "backend": connection.vendor,
        "database": str(label),
        "payments": args.payments,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "threads": args.threads,
        "runs": {
            name: {
                "requests": run.requests,
                "seconds": round(run.seconds, 2),
                "throughput": round(run.throughput, 1),
                "p50_ms": round(run.p50, 2),
                "p99_ms": round(run.p99, 2),
                "errors": run.errors,
                "cpu_ms_per_ipn": round(run.cpu_ms, 2),
                "worker_cpu_ms_per_ipn": round(run.worker_cpu_seconds * 1000 / run.requests, 2) if run.requests else 0,
                "settled_in_run": run.settled_in_run,
                "drained_after": run.drained,
                "drain_seconds": round(run.drain_seconds, 2),
                "load_before": round(run.load_before, 1),
                "replies": dict(run.replies),
                "ran_out": run.ran_out,
                "problems": problems[name],
            }
            for name, run in runs.items()
        },
    }
    (BENCH_DIR / f"ipn-{'sqlite' if connection.vendor == 'sqlite' else 'postgres'}.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False)
    )
    if args.profile:
        profile_platform(profiled)
    return 1 if any(problems.values()) else 0


def secret() -> str:
    from django.conf import settings

    return str(settings.VNPAY_HASH_SECRET)


def minimal_target(connection: Any) -> str:
    """What the minimal handler connects to: the same database, by URL or by file."""
    if connection.vendor == "sqlite":
        return str(connection.settings_dict["NAME"])
    return os.environ["DATABASE_URL"]


# --- Data ----------------------------------------------------------------------------------------------


def seed(count: int) -> list[tuple[str, int]]:
    """``count`` started payments, each for its own dossier's fee notice; returns ``(reference, amount)``.

    The first goes through the real services, so the rows are exactly what the portal creates; the
    others are copies of those rows with their own keys (the services would take minutes for
    thousands). History rows (audit, status timeline, notices' outbox messages) are not copied: the
    IPN path never reads them.
    """
    from django.db import transaction

    from civicpay.accounts.models import Officer, OfficerRole, User
    from civicpay.billing.models import PaymentRequest, PaymentRequestLine
    from civicpay.billing.payables import payables_for_requests
    from civicpay.billing.types import LineInput
    from civicpay.directory.models import Agency, FeeKind, Procedure
    from civicpay.dossiers.models import Dossier
    from civicpay.dossiers.services import dossier_request_payment, dossier_submit
    from civicpay.payments.models import Payment, PaymentAllocation, PaymentItem
    from civicpay.payments.services import payment_create, payment_reference_new, payment_start

    agency = Agency.objects.create(code="B99.01", name="Sở Tư pháp (thử tải IPN)", province_code=56)
    procedure = Procedure.objects.create(
        agency=agency, code="1.999999", name="Cấp phiếu lý lịch tư pháp (thử tải)", processing_days=10
    )
    officer = Officer.objects.create(
        user=User.objects.create(email="bench-officer@example.vn", full_name="Cán bộ thử tải", password="!"),
        agency=agency,
        roles=[OfficerRole.RECEPTION.value],
    )
    applicant = User.objects.create(
        email="bench-applicant@example.vn",
        full_name="Nguyễn Văn An",
        phone="0912345678",
        id_number="079000000001",
        password="!",
    )
    dossier = dossier_submit(
        user=applicant,
        procedure=procedure,
        details={"summary": "Đề nghị cấp phiếu lý lịch tư pháp số 1", "notes": ""},
        attachments=[],
    )
    request = dossier_request_payment(
        dossier=dossier,
        officer=officer,
        lines=[
            LineInput(kind=FeeKind.FEE, description="Phí cung cấp thông tin lý lịch tư pháp", amount=150_000),
            LineInput(kind=FeeKind.CHARGE, description="Lệ phí cấp phiếu", amount=60_000),
        ],
    )
    payment = payment_create(
        items=payables_for_requests([request]),
        provider="vnpay",
        payer_user=applicant,
        payer_name=applicant.full_name,
        payer_email=applicant.email,
        payer_phone=applicant.phone or "",
        return_url="/thanh-toan/ket-qua/",
        client_ip="203.0.113.5",
    )
    payment_start(payment=payment, client_ip="203.0.113.5")
    for row in (dossier, request, payment):  # the services changed copies of these in their transactions
        row.refresh_from_db()
    item = payment.items.get()
    request_lines = list(request.lines.all())
    allocations = list(item.allocations.all())

    copies = count - 1
    with transaction.atomic():
        # Each payer their own account, as in life: the dossier lock also locks its applicant's row.
        applicants = User.objects.bulk_create(
            (
                copy_of(
                    applicant,
                    email=f"bench-applicant-{n}@example.vn",
                    phone=f"09{n:08d}",
                    id_number=f"{79_100_000_000 + n:012d}",
                    full_name=f"Nguyễn Văn An {n}",
                )
                for n in range(copies)
            ),
            batch_size=2000,
        )
        dossiers = Dossier.objects.bulk_create(
            (
                copy_of(
                    dossier,
                    code=f"{dossier.code}-{n:05d}",
                    applicant_id=user.pk,
                    applicant_name=user.full_name,
                    applicant_email=user.email,
                    applicant_phone=user.phone,
                    applicant_id_number=user.id_number,
                )
                for n, user in enumerate(applicants)
            ),
            batch_size=2000,
        )
        requests = PaymentRequest.objects.bulk_create(
            (
                copy_of(
                    request,
                    number=f"{request.number}{n:05d}",
                    owner_id=d.pk,
                    owner_reference=d.code,
                    description=request.description.replace(dossier.code, d.code),
                    payer_user_id=d.applicant_id,
                    payer_name=d.applicant_name,
                    payer_email=d.applicant_email,
                    payer_phone=d.applicant_phone,
                )
                for n, d in enumerate(dossiers)
            ),
            batch_size=2000,
        )
        PaymentRequestLine.objects.bulk_create(
            (copy_of(line, request_id=r.pk) for r in requests for line in request_lines), batch_size=2000
        )
        references = [f"{r.owner_reference} ({r.number})" for r in requests]
        payments = Payment.objects.bulk_create(
            (
                copy_of(
                    payment,
                    reference=payment_reference_new(),
                    description=ref,
                    payer_user_id=r.payer_user_id,
                    payer_name=r.payer_name,
                    payer_email=r.payer_email,
                    payer_phone=r.payer_phone,
                )
                for r, ref in zip(requests, references, strict=True)
            ),
            batch_size=2000,
        )
        items = PaymentItem.objects.bulk_create(
            (
                copy_of(item, payment_id=p.pk, payable_id=str(r.pk), reference=ref)
                for p, r, ref in zip(payments, requests, references, strict=True)
            ),
            batch_size=2000,
        )
        PaymentAllocation.objects.bulk_create(
            (copy_of(a, item_id=i.pk) for i in items for a in allocations), batch_size=2000
        )
    return [(payment.reference, payment.amount)] + [(p.reference, p.amount) for p in payments]


def copy_of(row: Any, **changes: Any) -> Any:
    """A new unsaved instance with ``row``'s column values, except the primary key and ``changes``."""
    model = type(row)
    values = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields if not f.primary_key}
    return model(**{**values, **changes})


def seed_minimal(payments: list[tuple[str, int]]) -> None:
    """The minimal handler's tables, with the same references and amounts (each payment ``started``)."""
    from django.db import connection, transaction

    from bench.ipn_minimal import SCHEMA_POSTGRES, SCHEMA_SQLITE

    with transaction.atomic(), connection.cursor() as cursor:
        for statement in SCHEMA_SQLITE if connection.vendor == "sqlite" else SCHEMA_POSTGRES:
            cursor.execute(statement)
        cursor.executemany("INSERT INTO ipnmin_payment (txn_ref, amount, status) VALUES (%s, %s, 'started')", payments)
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE ipnmin_payment")


def reset_minimal() -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM ipnmin_callback")
        cursor.execute("UPDATE ipnmin_payment SET status = 'started', transaction_no = '', paid_at = NULL")
    connection.close()


def ipn_targets(payments: list[tuple[str, int]]) -> list[tuple[str, str]]:
    """``(reference, query string)``: what VNPay sends to the IPN URL for a successful card payment."""
    from django.conf import settings

    from civicpay.core import clock
    from civicpay.payments.providers import vnpay_protocol as vnp

    pay_date = vnp.format_date(clock.now())
    targets = []
    for n, (reference, amount) in enumerate(payments):
        params = {
            "vnp_Amount": str(amount * 100),
            "vnp_BankCode": "NCB",
            "vnp_BankTranNo": f"VNP{14_400_000 + n}",
            "vnp_CardType": "ATM",
            "vnp_OrderInfo": f"Thanh toan {reference}",
            "vnp_PayDate": pay_date,
            "vnp_ResponseCode": "00",
            "vnp_TmnCode": settings.VNPAY_TMN_CODE,
            "vnp_TransactionNo": str(14_400_000 + n),
            "vnp_TransactionStatus": "00",
            "vnp_TxnRef": reference,
        }
        params["vnp_SecureHash"] = vnp.sign(params, settings.VNPAY_HASH_SECRET)
        targets.append((reference, urlencode(params)))
    return targets


# --- Server and load generator -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def gunicorn(
    app: str, args: argparse.Namespace, *, env: dict[str, str], log: Path
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """gunicorn serving ``app`` on a free port (the app preloaded, so workers are ready when forked)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--worker-class",
        "gthread",
        "--keep-alive",
        "30",
        "--backlog",
        "1024",
        "--preload",
        "--log-level",
        "warning",
    ]
    with log.open("w") as output:
        server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=output, stderr=output)
        try:
            wait_for_port(port, server)
            yield port, server
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@contextlib.contextmanager
def settlement_worker(
    handler: str, args: argparse.Namespace, *, env: dict[str, str]
) -> Iterator[subprocess.Popen[bytes] | None]:
    """``manage.py civicpay_worker --queues default`` beside the platform's server (``--settle beside``):
    it settles the successes (fee notice, dossier, receipt, messages) while the IPNs arrive, on the same
    cores, as a deployment would run it."""
    if handler != "civicpay" or args.settle != "beside":
        yield None
        return
    from civicpay.core.models import WorkerHeartbeat

    log = BENCH_DIR / "ipn-worker.log"
    command = [sys.executable, "manage.py", "civicpay_worker", "--queues", "default", "--interval", "0.2"]
    with log.open("w") as output:
        worker = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=output, stderr=output)
        try:
            deadline = time.monotonic() + 60
            while not WorkerHeartbeat.objects.filter(pid=worker.pid, stopped_at__isnull=True).exists():
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the settlement worker did not start: see {log.relative_to(ROOT)}")
                time.sleep(0.1)
            yield worker
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def settle_backlog(run: RunResult, *, profile: bool = False) -> None:
    """Count what the worker settled during the run, then settle the rest here (timed) for the checks;
    with ``profile``, print a cProfile of the drain (the settlement's cost per payment)."""
    import cProfile
    import pstats

    from civicpay.payments.models import Payment
    from civicpay.payments.settlement import payments_settle_pending

    run.settled_in_run = Payment.objects.filter(status="success", settled_at__isnull=False).count()
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    while payments_settle_pending(limit=500):  # what the worker's payments.settle job does on each loop
        pass
    if profiler:
        profiler.disable()
    run.drain_seconds = time.perf_counter() - started
    if profiler:
        print("\n--- cProfile of the settlement drain, by cumulative ---")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(35)
        from django.db import connection

        profiler.dump_stats(BENCH_DIR / f"ipn-settlement-{connection.vendor}.prof")
    run.drained = Payment.objects.filter(status="success", settled_at__isnull=False).count() - run.settled_in_run


def server_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by process ``pid`` and its children (Linux ``/proc``; 0 elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    for process in [str(pid), *children]:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def wait_for_port(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise SystemExit("gunicorn did not start within 60 s")


def serve_and_fire(
    handler: str, args: argparse.Namespace, *, requests: list[tuple[str, str]], env: dict[str, str]
) -> RunResult:
    log = BENCH_DIR / f"ipn-gunicorn-{handler}.log"
    queue = deque(requests)
    # The worker is started (and has beaten) before the warm-up, as in a deployment where it is already
    # running: its start-up (imports, checks) is not part of the timed run.
    with (
        gunicorn(HANDLERS[handler], args, env=env, log=log) as (port, server),
        settlement_worker(handler, args, env=env) as worker,
    ):
        warmup = RunResult(handler)
        asyncio.run(fire(port, queue, warmup, concurrency=args.concurrency, seconds=60, limit=args.warmup))
        time.sleep(0.5)
        result = RunResult(handler, load_before=os.getloadavg()[0])
        cpu_before = server_cpu_seconds(server.pid)
        worker_before = server_cpu_seconds(worker.pid) if worker else 0.0
        asyncio.run(fire(port, queue, result, concurrency=args.concurrency, seconds=args.seconds))
        result.server_cpu_seconds = server_cpu_seconds(server.pid) - cpu_before
        result.worker_cpu_seconds = server_cpu_seconds(worker.pid) - worker_before if worker else 0.0
    # The checks cover the warm-up's payments too; the figures only the timed run.
    result.fired = warmup.fired + result.fired
    result.errors += warmup.errors
    result.replies.update(warmup.replies)
    if log.stat().st_size:
        print(f"  ({handler}: gunicorn wrote to {log.relative_to(ROOT)})", flush=True)
    return result


async def fire(
    port: int,
    queue: deque[tuple[str, str]],
    result: RunResult,
    *,
    concurrency: int,
    seconds: float,
    limit: int | None = None,
) -> None:
    """Send the queued IPNs over ``concurrency`` keep-alive connections until ``seconds`` have passed,
    the queue is empty, or ``limit`` IPNs were sent. Each payment is taken from the queue once."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = started + seconds
    budget = [limit if limit is not None else len(queue)]

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while queue and budget[0] > 0 and loop.time() < deadline:
                budget[0] -= 1
                reference, target = queue.popleft()
                result.fired.append(reference)
                sent = time.perf_counter()
                try:
                    writer.write(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
                    await writer.drain()
                    status, body, keep_alive = await read_response(reader)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    result.errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    continue
                result.latencies_ms.append((time.perf_counter() - sent) * 1000)
                result.requests += 1
                code = reply_code(status, body)
                result.replies[code] += 1
                if code != "00":
                    result.errors += 1
                if not keep_alive:
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    result.seconds = loop.time() - started
    result.ran_out = not queue


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the connection stays open (HTTP/1.1 with Content-Length)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, body, headers.get("connection", "").lower() != "close"


def reply_code(status: int, body: bytes) -> str:
    if status != 200:
        return f"HTTP {status}"
    try:
        return str(json.loads(body)["RspCode"])
    except (ValueError, KeyError):
        return "not JSON"


# --- Checks --------------------------------------------------------------------------------------------


def check_platform(run: RunResult, *, total: int) -> list[str]:
    """Every fired payment paid exactly once, with everything that goes with it; the rest untouched."""
    from django.db.models import Count

    from civicpay.billing.models import PaymentRequest
    from civicpay.dossiers.models import Dossier
    from civicpay.notifications.models import OutboxMessage
    from civicpay.payments.models import LedgerEntry, Payment, ProviderCallback

    fired = set(run.fired)
    problems = []
    if len(fired) != len(run.fired):
        problems.append("a payment was fired twice")
    if run.errors or run.replies["00"] != len(fired):
        problems.append(f"{run.errors} errors; replies {dict(run.replies)}")
    success = set(Payment.objects.filter(status="success").values_list("reference", flat=True))
    if success != fired:
        problems.append(f"{len(success)} payments success for {len(fired)} IPNs")
    started = Payment.objects.filter(status="started").count()
    if started != total - len(fired):
        problems.append(f"{started} payments still started, expected {total - len(fired)}")
    entries = LedgerEntry.objects.filter(kind="payment_success").values("payment_id").annotate(n=Count("id"))
    if len(entries) != len(fired) or any(e["n"] != 1 for e in entries):
        problems.append(f"{len(entries)} payments with a ledger entry for {len(fired)} IPNs, or one with several")
    callbacks = ProviderCallback.objects.filter(kind="ipn")
    applied = callbacks.filter(outcome="applied", reply_code="00", times_received=1).count()
    if callbacks.count() != len(fired) or applied != len(fired):
        problems.append(f"{callbacks.count()} IPN callbacks stored, {applied} applied once, for {len(fired)} IPNs")
    paid_requests = PaymentRequest.objects.filter(status="paid").count()
    paid_dossiers = Dossier.objects.filter(status="paid", fee_status="paid").count()
    if paid_requests != len(fired) or paid_dossiers != len(fired):
        problems.append(f"{paid_requests} fee notices and {paid_dossiers} dossiers paid for {len(fired)} IPNs")
    for channel in ("sms", "email"):
        sent = OutboxMessage.objects.filter(channel=channel, key__endswith=":success:" + channel).count()
        if sent != len(fired):
            problems.append(f"{sent} {channel} messages for {len(fired)} payments")
    return problems


def check_minimal(run: RunResult, *, total: int) -> list[str]:
    from django.db import connection

    fired = set(run.fired)
    problems = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT txn_ref FROM ipnmin_payment WHERE status = 'success'")
        success = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT COUNT(*), COUNT(DISTINCT payment_id) FROM ipnmin_callback")
        callbacks, distinct = cursor.fetchone()
    if run.errors or run.replies["00"] != len(fired):
        problems.append(f"{run.errors} errors; replies {dict(run.replies)}")
    if success != fired:
        problems.append(f"{len(success)} rows success for {len(fired)} IPNs")
    if callbacks != len(fired) or distinct != len(fired):
        problems.append(f"{callbacks} callback rows for {len(fired)} IPNs")
    if len(fired) > total:
        problems.append("more IPNs than payments")
    return problems


# --- Output --------------------------------------------------------------------------------------------


def print_runs(runs: dict[str, RunResult], problems: dict[str, list[str]]) -> None:
    print(
        f"{'handler':<10} {'requests':>9} {'seconds':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
        f"{'CPU ms/IPN':>11} {'load':>5}"
    )
    for name, run in runs.items():
        note = "  (payments ran out)" if run.ran_out else ""
        print(
            f"{name:<10} {run.requests:9,d} {run.seconds:8.1f} {run.throughput:8.1f} {run.p50:8.1f} "
            f"{run.p99:8.1f} {run.errors:7d} {run.cpu_ms:11.2f} {run.load_before:5.1f}{note}"
        )
    if "civicpay" in runs:
        ours = runs["civicpay"]
        fired = len(ours.fired)
        rate = ours.drained / ours.drain_seconds if ours.drain_seconds else 0.0
        print(
            f"settlement: {ours.settled_in_run:,} of {fired:,} successes settled by the worker during the run "
            f"(worker CPU {ours.worker_cpu_seconds * 1000 / ours.requests if ours.requests else 0:.2f} ms/IPN); "
            f"{ours.drained:,} after it in {ours.drain_seconds:.1f} s ({rate:.0f}/s, one process)"
        )
    if {"civicpay", "minimal"} <= runs.keys():
        ours, minimal = runs["civicpay"], runs["minimal"]
        throughput = ours.throughput / minimal.throughput if minimal.throughput else 0
        p99 = ours.p99 / minimal.p99 if minimal.p99 else 0
        print(
            f"ours/minimal: throughput {throughput:.2f} (target ≥ 0.50), p99 {p99:.2f}× "
            f"(target: ours < 100 ms → {'met' if ours.p99 < 100 else 'missed'})"
        )
    if {"floor", "minimal"} <= runs.keys() and runs["minimal"].throughput:
        floor = runs["floor"].throughput / runs["minimal"].throughput
        print(f"floor/minimal: throughput {floor:.2f} (the minimal work as a Django view: the framework's share)")
    for name, found in problems.items():
        fired = len(runs[name].fired)
        if found:
            print(f"CHECK FAILED ({name}): " + "; ".join(found))
        elif name == "civicpay":
            print(
                f"checks ({name}): {fired:,} IPNs all 00; {fired:,} payments success once, one ledger entry, one "
                "stored callback, fee notice and dossier paid, one SMS and one e-mail each; the rest still started"
            )
        else:
            print(f"checks ({name}): {fired:,} IPNs all 00; {fired:,} rows success once, one callback row each")
    sys.stdout.flush()


def print_summary(results: list[dict[str, Any]]) -> None:
    print("\n=== summary (docs/performance.md) ===")
    print("| database | handler | requests | req/s | p50 ms | p99 ms | errors | server CPU ms/IPN | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for result in results:
        for name, run in result["runs"].items():
            print(
                f"| {result['backend']} | {name} | {run['requests']:,} | {run['throughput']:.0f} | "
                f"{run['p50_ms']:.1f} | {run['p99_ms']:.1f} | {run['errors']} | {run['cpu_ms_per_ipn']:.2f} | "
                f"{run['load_before']:.1f} |"
            )
    for result in results:
        runs = result["runs"]
        if {"civicpay", "minimal"} <= runs.keys() and runs["minimal"]["throughput"]:
            ratio = runs["civicpay"]["throughput"] / runs["minimal"]["throughput"]
            p99 = runs["civicpay"]["p99_ms"] / runs["minimal"]["p99_ms"] if runs["minimal"]["p99_ms"] else 0
            print(f"{result['backend']}: ours/minimal throughput {ratio:.2f}, p99 {p99:.2f}×")
        if {"floor", "minimal"} <= runs.keys() and runs["minimal"]["throughput"]:
            ratio = runs["floor"]["throughput"] / runs["minimal"]["throughput"]
            print(f"{result['backend']}: floor/minimal throughput {ratio:.2f}")


def percentile(samples: list[float], fraction: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# --- Profile -------------------------------------------------------------------------------------------


def profile_platform(targets: list[tuple[str, str]]) -> None:
    """IPNs through the platform's WSGI handler in this process, one after another: the time one IPN
    takes without contention, the SQL statements it runs (and their time), and a cProfile of the rest."""
    import cProfile
    import io
    import pstats

    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    handler = WSGIHandler()
    statements: list[tuple[str, float]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        return lambda data: None

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append((sql, time.perf_counter() - started))

    def call(query: str) -> None:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": IPN_PATH,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": io.BytesIO(),
            "wsgi.url_scheme": "http",
        }
        body = b"".join(handler(environ, start_response))
        if b'"00"' not in body:
            raise SystemExit(f"profiled IPN answered {body!r}")

    warm, plain, profiled = targets[:20], targets[20:120], targets[120:]
    for _, query in warm:
        call(query)
    started = time.perf_counter()
    for _, query in plain:
        with connection.execute_wrapper(record):
            call(query)
    per_ipn = (time.perf_counter() - started) / len(plain) * 1000
    sql_ms = sum(seconds for _, seconds in statements) / len(plain) * 1000
    kinds = Counter(sql.split()[0].upper() for sql, _ in statements)
    print(
        f"\n--- one IPN at a time, no contention ({len(plain)} IPNs): {per_ipn:.1f} ms each, "
        f"{len(statements) / len(plain):.1f} SQL statements taking {sql_ms:.1f} ms ---"
    )
    print("statements per IPN: " + ", ".join(f"{kind} {n / len(plain):g}" for kind, n in kinds.most_common()))
    if os.environ.get("BENCH_SHOW_SQL"):
        for sql, seconds in statements[: len(statements) // len(plain)]:
            print(f"  {seconds * 1000:6.2f} ms  {sql[:150]}")
    profiler = cProfile.Profile()
    profiler.enable()
    for _, query in profiled:
        call(query)
    profiler.disable()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(30)
        print(f"--- cProfile, {len(profiled)} IPNs, by {order} ---")
        print(out.getvalue().split("\n\n", 1)[-1].strip(), "\n")
    profiler.dump_stats(BENCH_DIR / f"ipn-{connection.vendor}.prof")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
