"""Helpers shared by the portal tests (fixtures are in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from civicpay.accounts.models import Officer, Organisation, User
from civicpay.billing.models import PaymentRequest
from civicpay.billing.types import LineInput
from civicpay.directory.models import Agency, FeeKind, Procedure
from civicpay.dossiers.models import Dossier
from civicpay.dossiers.services import dossier_request_payment

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def pdf_upload(name: str = "don-de-nghi.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


@dataclass
class World:
    agency: Agency
    procedure: Procedure
    owner: User
    colleague: User
    other_rep: User
    stranger: User
    officer: Officer
    org: Organisation
    other_org: Organisation
    own: Dossier
    org_dossier: Dossier

    def issue_notice(self, dossier: Dossier) -> PaymentRequest:
        """The officer's "Yêu cầu thanh toán" with one fee and one charge (lệ phí)."""
        return dossier_request_payment(
            dossier=dossier,
            officer=self.officer,
            lines=[
                LineInput(kind=FeeKind.FEE, description="Phí thẩm định hồ sơ", amount=1_000_000),
                LineInput(kind=FeeKind.CHARGE, description="Lệ phí cấp phiếu", amount=5_000),
            ],
        )
