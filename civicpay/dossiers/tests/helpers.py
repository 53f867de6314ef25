"""Small builders for dossier tests: real files by content, real services."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from civicpay.accounts.models import Officer, User
from civicpay.billing.types import LineInput
from civicpay.directory.models import FeeKind, Procedure
from civicpay.dossiers.models import Dossier
from civicpay.dossiers.services import dossier_submit

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 32


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    """A browser upload: the name and content type are what the client claims, not the truth."""
    return SimpleUploadedFile(name, content, content_type=content_type)


def lines(*amounts: int) -> list[LineInput]:
    return [
        LineInput(kind=FeeKind.CHARGE, description=f"Lệ phí {i}", amount=amount) for i, amount in enumerate(amounts)
    ]


def submit_dossier(user: User, procedure: Procedure, **kwargs: object) -> Dossier:
    return dossier_submit(
        user=user,
        procedure=procedure,
        details={"summary": "Đề nghị cấp phiếu lý lịch tư pháp số 1", "notes": ""},
        attachments=[upload("don-de-nghi.pdf", PDF_BYTES)],
        **kwargs,  # type: ignore[arg-type]
    )


def officer_for(procedure: Procedure) -> Officer:
    from civicpay.accounts.tests.factories import OfficerFactory

    return OfficerFactory.create(agency=procedure.agency)
