"""``manage.py load_demo_data``: create the demo agencies, procedures and accounts; print the accounts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from civicpay.directory.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo_data


class Command(BaseCommand):
    help = "Load the demo data (idempotent: creates only what is missing) and print the demo accounts."

    def handle(self, *args: Any, **options: Any) -> None:
        report = load_demo_data()
        if report.created:
            summary = ", ".join(f"{count} {what}" for what, count in sorted(report.created.items()))
            self.stdout.write(f"Demo data created: {summary}.")
        else:
            self.stdout.write("Demo data already present: nothing to create.")
        self.stdout.write(self.account_table())

    @staticmethod
    def account_table() -> str:
        rows = [("E-mail", "Vai trò", "Mật khẩu")] + [(a.email, a.role, DEMO_PASSWORD) for a in DEMO_ACCOUNTS]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = [" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
        lines.insert(1, "-+-".join("-" * width for width in widths))
        return "\nDemo accounts (log in with the e-mail or the phone number):\n" + "\n".join(lines)
