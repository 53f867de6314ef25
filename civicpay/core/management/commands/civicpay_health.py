"""``manage.py civicpay_health``: every health check, for people and monitoring systems.

Exit code: 0 all OK, 1 a warning, 2 a failure (the Nagios plugin convention). ``--json`` prints what
``GET /status`` answers; ``--check NAME`` (repeatable) runs only those checks.
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from civicpay.core.health import Status, health_report, health_run, registered_checks, worst


class Command(BaseCommand):
    help = "Run the health checks; exit 0 (OK), 1 (warning) or 2 (failure)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print the report as JSON (as GET /status)."
        )
        parser.add_argument(
            "--check", action="append", dest="checks", metavar="NAME", help="Run only this check (repeatable)."
        )

    def handle(self, *args: Any, as_json: bool = False, checks: list[str] | None = None, **options: Any) -> None:
        try:
            results = health_run(names=checks)
        except KeyError as exc:
            raise CommandError(f"{exc.args[0]}; known: {', '.join(registered_checks())}") from exc
        status = worst(results)
        if as_json:
            self.stdout.write(json.dumps(health_report(results), ensure_ascii=False, indent=2))
        else:
            width = max((len(result.name) for result in results), default=0)
            for result in results:
                style = {Status.OK: self.style.SUCCESS, Status.WARN: self.style.WARNING}.get(
                    result.status, self.style.ERROR
                )
                self.stdout.write(
                    f"{style(result.status.label.upper().ljust(4))}  {result.name.ljust(width)}  {result.summary}"
                )
            self.stdout.write(f"status: {status.label}")
        self.stdout.flush()
        sys.exit(int(status))
