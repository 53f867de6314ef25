"""``manage.py civicpay_worker``: the task worker for every queue in settings.TASKS, and periodic jobs."""

from __future__ import annotations

import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from civicpay.core.db.sqlite.base import mark_background_writer
from civicpay.core.process import configure_long_running_process
from civicpay.core.worker import install_stop_signals, periodic_jobs, run_worker_loop


class Command(BaseCommand):
    help = "Run background tasks (every configured queue) and periodic jobs until SIGTERM/SIGINT."

    def add_arguments(self, parser: ArgumentParser) -> None:
        # Every configured queue by default, so a new queue (e.g. "sandbox" for the VNPay IPNs) is never orphaned.
        queues = ",".join(settings.TASKS["default"].get("QUEUES", []))
        parser.add_argument("--queues", default=queues, help="Comma-separated queue names.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds to wait when idle.")

    def handle(self, *args: Any, queues: str, interval: float, **options: Any) -> None:
        configure_long_running_process()  # garbage-collector settings (civicpay/core/process.py)
        mark_background_writer()  # on SQLite, web requests waiting to write go first (a no-op elsewhere)
        stop = threading.Event()
        install_stop_signals(stop)
        names = [job.name for job in periodic_jobs()]
        self.stdout.write(f"civicpay_worker: queues={queues} periodic={','.join(names) or '-'}")
        run_worker_loop(stop=stop, queue_names=[q for q in queues.split(",") if q], interval=interval)
        self.stdout.write("civicpay_worker: stopped")
