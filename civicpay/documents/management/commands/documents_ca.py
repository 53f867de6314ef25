"""``manage.py documents_ca init`` — create the root, issuing CA and platform certificate if missing.
``manage.py documents_ca rotate --agency CODE`` (or ``--platform``) — new key and certificate for a signer;
the old certificate is kept (retired) so documents it signed still verify.
``manage.py documents_ca list`` — the certificates, current and retired."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicpay.documents import ca
from civicpay.documents.models import Certificate


class Command(BaseCommand):
    help = "Manage the platform's document-signing CA (init, rotate, list)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("init", help="Create the root, issuing CA and platform certificate if missing")
        rotate = sub.add_parser("rotate", help="New key and certificate for an agency or the platform")
        who = rotate.add_mutually_exclusive_group(required=True)
        who.add_argument("--agency", metavar="CODE", help="Agency code")
        who.add_argument("--platform", action="store_true", help="The platform's own certificate")
        sub.add_parser("list", help="List certificates")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "init":
            for certificate in ca.ca_init():
                self.stdout.write(f"{certificate.role:9} {certificate.serial_number}  {certificate.subject_name}")
        elif action == "rotate":
            code = None if options["platform"] else options["agency"]
            try:
                new = ca.certificate_rotate(issuer_agency_code=code)
            except ca.UnknownIssuer as error:
                raise CommandError(str(error)) from None
            self.stdout.write(self.style.SUCCESS(f"New certificate {new.serial_number} for {new.subject_name}"))
        else:
            for certificate in Certificate.objects.order_by("role", "subject_code", "-created_at"):
                state = "current" if certificate.is_current else "retired"
                self.stdout.write(
                    f"{certificate.role:9} {certificate.subject_code:12} {state:8} {certificate.serial_number} "
                    f"{certificate.not_after:%Y-%m-%d}  {certificate.subject_name}"
                )
