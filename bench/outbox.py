"""Benchmark: delivering the outbox — what a payment's SMS and e-mail cost the worker.

Run with ``./dev bench outbox [--messages 2000] [--db sqlite|postgres|both]``. It is not a test: it prints
messages per second, CPU per message and the database work per message.

Each run starts from a fresh database (``var/bench/outbox.sqlite3``; with ``DATABASE_URL`` on PostgreSQL,
``<that database>_outboxbench``, dropped and created again). ``--messages`` messages are written the way a
settlement writes them — an SMS and an e-mail per transaction, through ``notification_send`` — and then
delivered by the worker's own machinery (``core.worker.run_until_idle``: due tasks and draining periodic
jobs, until nothing is left) to the dev transports (the dev mailbox, i.e. one more row per message, as in
the embedded profile). Printed for both phases: wall time, CPU, SQL statements by kind and write
transactions (commits) per message — the figure that matters on SQLite, where every write transaction is a
turn at the database's single write lock that the IPNs also wait for.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ipn import postgres_bench_url, reset_database  # noqa: E402

SQLITE_PATH = ROOT / "var" / "bench" / "outbox.sqlite3"
SUFFIX = "_outboxbench"


class Meter:
    """SQL statements by kind and write transactions on the default connection, while installed."""

    def __init__(self) -> None:
        self.statements: Counter[str] = Counter()
        self.commits = 0
        self.autocommit_writes = 0

    def __enter__(self) -> Meter:
        from django.db import connection

        self._original_commit = connection._commit  # type: ignore[attr-defined]

        def counted_commit() -> None:
            self.commits += 1
            self._original_commit()

        connection._commit = counted_commit  # type: ignore[attr-defined]
        self._wrapper = connection.execute_wrapper(self._record)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        from django.db import connection

        self._wrapper.__exit__(None, None, None)
        connection._commit = self._original_commit  # type: ignore[attr-defined]

    def _record(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        from django.db import connection

        kind = sql.split(None, 1)[0].upper()
        self.statements[kind] += 1
        if kind in ("INSERT", "UPDATE", "DELETE") and not connection.in_atomic_block:
            self.autocommit_writes += 1  # a write transaction of its own
        return execute(sql, params, many, context)

    def per(self, count: int) -> dict[str, float]:
        figures = {kind: round(n / count, 2) for kind, n in self.statements.most_common()}
        figures["write transactions"] = round((self.commits + self.autocommit_writes) / count, 2)
        return figures


def run_backend(messages: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from civicpay.core.worker import run_until_idle
    from civicpay.notifications.models import DevMessage, OutboxMessage, Status
    from civicpay.notifications.services import notification_send

    call_command("migrate", verbosity=0)
    pairs = messages // 2
    result: dict[str, Any] = {"backend": connection.vendor, "messages": pairs * 2}

    cpu, wall = time.process_time(), time.perf_counter()
    with Meter() as meter:
        for number in range(pairs):
            with transaction.atomic():  # as a settlement writes them: both in the caller's transaction
                notification_send(
                    channel="sms", to="0912345678", body=f"CivicPay: Đã thanh toán {number}", key=f"b:{number}:sms"
                )
                notification_send(
                    channel="email",
                    to="cong.dan@example.vn",
                    subject=f"Xác nhận thanh toán {number}",
                    body="Kính gửi ông/bà, chúng tôi đã nhận thanh toán.",
                    key=f"b:{number}:email",
                )
    result["write"] = {
        "seconds": round(time.perf_counter() - wall, 2),
        "cpu_ms_per_message": round((time.process_time() - cpu) * 1000 / (pairs * 2), 3),
        **meter.per(pairs * 2),
    }

    cpu, wall = time.process_time(), time.perf_counter()
    with Meter() as meter:
        run_until_idle()
    seconds = time.perf_counter() - wall
    result["deliver"] = {
        "seconds": round(seconds, 2),
        "messages_per_second": round(pairs * 2 / seconds),
        "cpu_ms_per_message": round((time.process_time() - cpu) * 1000 / (pairs * 2), 3),
        **meter.per(pairs * 2),
    }
    sent = OutboxMessage.objects.filter(status=Status.SENT).count()
    caught = DevMessage.objects.count()
    if sent != pairs * 2 or caught != pairs * 2:
        raise SystemExit(f"expected {pairs * 2} messages sent and caught, got {sent} sent and {caught} caught")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description="Outbox delivery: messages/s, CPU and database work per message")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backend:
        print(json.dumps(run_backend(args.messages)))
        return 0
    database_url = os.environ.get("DATABASE_URL", "")
    on_postgres = database_url.startswith(("postgres://", "postgresql://"))
    wanted = args.db or ("both" if on_postgres else "sqlite")
    if wanted in ("postgres", "both") and not on_postgres:
        print(f"--db postgres needs DATABASE_URL=postgres://… (the benchmark uses <that database>{SUFFIX})")
        return 2
    targets = [("sqlite", f"sqlite:///{SQLITE_PATH}")] if wanted in ("sqlite", "both") else []
    if wanted in ("postgres", "both"):
        targets.append(("postgres", postgres_bench_url(database_url, SUFFIX)))
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    print(f"outbox: {args.messages} messages per database, load average {os.getloadavg()[0]:.2f}")
    for backend, url in targets:
        reset_database(backend, url, suffix=SUFFIX, sqlite_path=SQLITE_PATH)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "CIVICPAY_ENV": "embedded",
            "DJANGO_SETTINGS_MODULE": "civicpay.settings",
            "SMS_BACKEND": "devinbox",
            "EMAIL_URL": "",
            "LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, __file__, "--messages", str(args.messages), "--backend", backend]
        child = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
        if child.returncode:
            print(child.stdout, child.stderr)
            return child.returncode
        result = json.loads(child.stdout.strip().splitlines()[-1])
        for phase in ("write", "deliver"):
            figures = result[phase]
            rest = ", ".join(f"{k} {v}" for k, v in figures.items() if k not in ("seconds", "cpu_ms_per_message"))
            print(
                f"  {backend:8} {phase:7} {figures['seconds']:6.2f} s  "
                f"CPU {figures['cpu_ms_per_message']:.3f} ms/message  per message: {rest}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
