"""Benchmark: short write transactions on SQLite from several processes and threads at once.

Run with ``./dev bench sqlite_writes [--processes 4] [--threads 4] [--seconds 5] [--engine ours|stock]``.
It is not a test: it prints transactions per second and CPU per transaction.

What a burst of IPNs does to the embedded database, without the rest of the platform: every thread of every
process loops over ``atomic()`` blocks of one ``INSERT`` and ``--work-ms`` of Python work (an IPN holds
the write lock for ~3 ms of ORM work) into its own file (``var/bench/sqlite_writes.sqlite3``,
recreated on every run), through the platform's SQLite backend (``civicpay.core.db.sqlite``: writers queue
in the process, then on a file lock) or Django's stock one (SQLite's busy handler, sleeping 1–100 ms).
Printed: transactions/s over all processes, p50/p99 of one transaction (queueing included), and the CPU
time of the processes per transaction — the figure that shows what waiting costs (CPU spent by waiters
is CPU the writers do not get).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_PATH = ROOT / "var" / "bench" / "sqlite_writes.sqlite3"
ENGINES = {"ours": "civicpay.core.db.sqlite", "stock": "django.db.backends.sqlite3"}


def _setup_django(engine: str) -> None:
    os.environ["CIVICPAY_ENV"] = "embedded"
    os.environ["DATABASE_URL"] = f"sqlite:///{DB_PATH}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "civicpay.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    django.setup()
    settings.DATABASES["default"]["ENGINE"] = ENGINES[engine]
    from django.db import connections

    connections.close_all()


def _spin(seconds: float) -> None:
    """Python work inside the transaction, as the ORM's is in an IPN's (it holds the GIL, like the ORM)."""
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        pass


def child(engine: str, threads: int, seconds: float, work: float, between: float) -> None:
    _setup_django(engine)
    from django.db import connection, transaction

    durations: list[list[float]] = [[] for _ in range(threads)]
    start = threading.Barrier(threads + 1)

    def loop(index: int) -> None:
        start.wait()
        until = time.monotonic() + seconds
        mine = durations[index]
        try:
            while time.monotonic() < until:
                began = time.perf_counter()
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("INSERT INTO bench_writes (worker, at) VALUES (%s, %s)", [index, began])
                    _spin(work)
                mine.append(time.perf_counter() - began)
                time.sleep(between)  # the request's I/O before its next transaction
        finally:
            connection.close()

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    print("ready", flush=True)
    sys.stdin.readline()
    cpu_before = time.process_time()
    start.wait()
    for worker in workers:
        worker.join()
    cpu = time.process_time() - cpu_before
    print(json.dumps({"cpu": cpu, "durations": [d for per in durations for d in per]}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="SQLite write transactions from many processes and threads")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4, help="threads per process")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--engine", choices=sorted(ENGINES), default="ours")
    parser.add_argument(
        "--work-ms", type=float, default=3.0, help="Python work inside each transaction (default 3 ms, ~an IPN's)"
    )
    parser.add_argument(
        "--between-ms", type=float, default=1.0, help="sleep between a thread's transactions (default 1 ms: I/O)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.engine, args.threads, args.seconds, args.work_ms / 1000, args.between_ms / 1000)
        return

    DB_PATH.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", ".writelock"):
        Path(f"{DB_PATH}{suffix}").unlink(missing_ok=True)
    _setup_django(args.engine)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_writes (id INTEGER PRIMARY KEY, worker INTEGER, at REAL)")
    connection.close()

    command = [sys.executable, __file__, "--child", "--engine", args.engine]
    command += ["--threads", str(args.threads), "--seconds", str(args.seconds), "--work-ms", str(args.work_ms)]
    command += ["--between-ms", str(args.between_ms)]
    sys.path.insert(0, str(ROOT))
    from bench.together import run_together

    load = os.getloadavg()[0]
    results = run_together([command] * args.processes)
    durations = sorted(d for result in results for d in result["durations"])
    count = len(durations)
    cpu = sum(result["cpu"] for result in results)
    p99 = durations[min(count - 1, int(0.99 * count))]
    print(
        f"sqlite_writes: engine {args.engine} ({ENGINES[args.engine]}), {args.processes} processes × "
        f"{args.threads} threads, {args.work_ms:g} ms of work per transaction, {args.seconds:g} s, "
        f"load average {load:.2f}\n"
        f"  {count / args.seconds:8.0f} transactions/s   p50 {1000 * statistics.median(durations):.2f} ms   "
        f"p99 {1000 * p99:.2f} ms   CPU {1000 * cpu / count:.3f} ms per transaction"
    )


if __name__ == "__main__":
    main()
