"""Attachments are judged by their bytes and stored privately under random names."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from django.conf import settings

from civicpay.accounts.tests.factories import UserFactory
from civicpay.directory.tests.factories import ProcedureFactory
from civicpay.dossiers.errors import UploadRejected
from civicpay.dossiers.services import dossier_submit
from civicpay.dossiers.tests.helpers import EXE_BYTES, JPEG_BYTES, PDF_BYTES, PNG_BYTES, upload
from civicpay.dossiers.uploads import MAX_UPLOAD_BYTES, validate_upload

pytestmark = pytest.mark.django_db


def submit(*files):
    return dossier_submit(
        user=UserFactory.create(),
        procedure=ProcedureFactory.create(),
        details={"summary": "Đề nghị"},
        attachments=files,
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [(PDF_BYTES, "application/pdf"), (PNG_BYTES, "image/png"), (JPEG_BYTES, "image/jpeg")],
)
def test_accepted_types_are_detected_from_content(content, expected):
    assert validate_upload(upload("tai-lieu.bin", content, "application/octet-stream")) == expected


def test_png_named_pdf_is_stored_as_png_under_private_root(private_root: Path):
    dossier = submit(upload("ban-chup.pdf", PNG_BYTES, "application/pdf"))

    attachment = dossier.attachments.get()
    assert attachment.content_type == "image/png"
    assert attachment.original_name == "ban-chup.pdf"
    assert attachment.size == len(PNG_BYTES)
    assert attachment.sha256 == hashlib.sha256(PNG_BYTES).hexdigest()
    assert re.fullmatch(r"dossiers/\d{4}/\d{2}/[0-9a-f]{32}\.png", attachment.file.name)
    stored = Path(attachment.file.path)
    assert stored.is_file() and stored.read_bytes() == PNG_BYTES
    assert stored.resolve().is_relative_to(private_root.resolve())
    assert not stored.resolve().is_relative_to(Path(settings.STATIC_ROOT).resolve())
    with pytest.raises(NotImplementedError):
        attachment.file.url  # noqa: B018 - private files have no public URL


def test_executable_renamed_pdf_is_rejected(private_root: Path):
    with pytest.raises(UploadRejected, match="phải là PDF, JPEG hoặc PNG"):
        submit(upload("don.pdf", EXE_BYTES, "application/pdf"))
    assert not [p for p in private_root.rglob("*") if p.is_file()]


def test_oversize_file_is_rejected():
    big = upload("lon.pdf", PDF_BYTES + b"0" * MAX_UPLOAD_BYTES)
    with pytest.raises(UploadRejected, match="lớn hơn 10"):
        validate_upload(big)


def test_empty_file_is_rejected():
    with pytest.raises(UploadRejected, match="rỗng"):
        validate_upload(upload("rong.pdf", b""))
