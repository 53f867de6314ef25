"""Issuing documents: rendered, coded, signed, stored once; never updated or deleted."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from civicpay.core.audit import audit_trail
from civicpay.documents import ca
from civicpay.documents.codes import ALPHABET, LENGTH, format_lookup_code, new_lookup_code, normalize_lookup_code
from civicpay.documents.errors import DocumentAlreadyIssued, DocumentAlreadyReplaced, DocumentCorrupted
from civicpay.documents.models import CertificateRole, DocumentKind, IssuedDocument, ReplacementKind
from civicpay.documents.selectors import PublicState, document_get_by_lookup_code, document_public_view
from civicpay.documents.services import document_issue_once, document_read, document_verify_url
from civicpay.documents.signing import SIGNATURE_FIELD
from civicpay.documents.tests.conftest import (
    AGENCY_NAME,
    IssueFn,
    flip_one_signed_byte,
    foreign_signed_pdf,
    pdf_text,
)
from civicpay.documents.verification import Outcome, check_pdf_signature

pytestmark = pytest.mark.django_db


def _validate(data: bytes):
    """pyHanko's own validator against the platform root, nothing of ours in between."""
    root = asn1_x509.Certificate.load(bytes(ca.root_certificate().der))
    reader = PdfFileReader(io.BytesIO(data))
    (signature,) = reader.embedded_signatures
    return validate_pdf_signature(signature, ValidationContext(trust_roots=[root]))


def test_issue_stores_a_signed_pdf_once_under_private_root(issue: IssueFn, settings) -> None:
    document = issue()
    data = document_read(document)

    assert data.startswith(b"%PDF-")
    name = str(document.file.name)
    path = Path(settings.PRIVATE_ROOT) / name
    assert path.is_file() and path.read_bytes() == data
    assert name.startswith("documents/") and name.endswith(f"{document.lookup_code}.pdf")
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.size == len(data)
    assert document.issuer_code == "G22.45" and document.certificate.role == CertificateRole.AGENCY
    assert [entry.action for entry in audit_trail(document)] == ["documents.issue"]


def test_pdf_carries_lookup_code_and_verification_url_and_is_a4(issue: IssueFn) -> None:
    document = issue()
    data = document_read(document)
    text = pdf_text(data)

    assert format_lookup_code(document.lookup_code) in text
    assert "GIẤY XÁC NHẬN THỬ NGHIỆM" in text and AGENCY_NAME in text  # the bundled font has every glyph
    assert "/tai-lieu/kiem-tra/" in text  # where to check it, printed beside the QR code
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    assert document_verify_url(document.lookup_code).endswith(f"/tai-lieu/kiem-tra/{document.lookup_code}/")


def test_signature_validates_with_pyhanko_against_the_platform_root(issue: IssueFn) -> None:
    data = document_read(issue())

    status = _validate(data)

    assert status.intact and status.valid and status.trusted
    assert status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.signing_cert.subject.native["organization_name"] == AGENCY_NAME
    assert status.signing_cert.subject.native["serial_number"] == "G22.45"
    # PAdES: the CAdES detached subfilter, and a visible stamp (a widget with a non-empty rectangle).
    reader = PdfFileReader(io.BytesIO(data))
    (signature,) = reader.embedded_signatures
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert signature.field_name == SIGNATURE_FIELD
    x1, y1, x2, y2 = (float(v) for v in signature.sig_field["/Rect"])
    assert x2 - x1 > 100 and y2 - y1 > 50


def test_changing_one_signed_byte_breaks_the_signature(issue: IssueFn) -> None:
    tampered = flip_one_signed_byte(document_read(issue()))

    status = _validate(tampered)

    assert not status.intact
    assert not status.bottom_line
    assert check_pdf_signature(tampered).outcome == Outcome.MODIFIED


def test_a_signature_from_another_ca_is_not_trusted(issue: IssueFn) -> None:
    issue()  # our CA exists
    foreign = foreign_signed_pdf()

    status = _validate(foreign)

    assert status.intact and status.valid  # the maths hold…
    assert not status.trusted  # …but the signer does not chain to our root
    assert check_pdf_signature(foreign).outcome == Outcome.NOT_OURS


def test_platform_documents_are_signed_with_the_platform_certificate(issue: IssueFn, settings) -> None:
    document = issue(issuer_agency_code=None, kind=DocumentKind.CONTRACT)
    assert document.issuer_code == "platform"
    assert document.certificate.role == CertificateRole.PLATFORM
    status = _validate(document_read(document))
    assert status.bottom_line
    assert status.signing_cert.subject.native["common_name"] == settings.SITE_NAME


def test_unknown_issuer_is_refused(issue: IssueFn) -> None:
    with pytest.raises(ca.UnknownIssuer):
        issue(issuer_agency_code="NO.SUCH")
    assert not IssuedDocument.objects.exists()


def test_issue_once_returns_the_existing_document(issue: IssueFn) -> None:
    first = issue(owner_id=42)
    again = document_issue_once(
        kind=first.kind,
        owner_kind="tests.sample",
        owner_id=42,
        template_name="documents_tests/sample.html",
        context={},
        issuer_agency_code="G22.45",
        summary=None,  # never used: nothing is rendered when the document exists
    )
    assert again.pk == first.pk
    assert IssuedDocument.objects.count() == 1


def test_a_second_current_document_for_the_same_owner_is_refused(issue: IssueFn) -> None:
    issue(owner_id=7)
    with pytest.raises(DocumentAlreadyIssued):
        issue(owner_id=7)
    assert IssuedDocument.objects.count() == 1
    # The refused attempt left no file behind.
    assert issue(owner_id=8).file.storage.listdir("documents")


def test_replacing_keeps_the_old_document_and_links_the_new_one(issue: IssueFn) -> None:
    old = issue(owner_id=5)
    old_bytes = document_read(old)

    new = issue(owner_id=5, replaces=old, reason="Sai số tiền")

    old.refresh_from_db()
    assert not old.is_current and old.superseded_at == new.issued_at
    assert new.is_current and new.replaces == old and new.replacement_kind == ReplacementKind.REPLACE
    assert document_read(old) == old_bytes  # nothing rewritten
    assert document_public_view(old).state == PublicState.REPLACED
    assert document_public_view(new).replaces_lookup_code == old.lookup_code_display
    with pytest.raises(DocumentAlreadyReplaced):
        issue(owner_id=5, replaces=old)


def test_cancelling_issues_a_cancellation_document(issue: IssueFn) -> None:
    old = issue(owner_id=6)
    cancellation = issue(owner_id=6, replaces=old, replacement=ReplacementKind.CANCEL, reason="Hoàn phí")
    old.refresh_from_db()
    assert document_public_view(old).state == PublicState.CANCELLED
    assert document_public_view(cancellation).replaces_is_cancellation


def test_replacement_must_be_for_the_same_owner_and_kind(issue: IssueFn) -> None:
    old = issue(owner_id=9)
    with pytest.raises(ValueError, match="same kind and owner"):
        issue(owner_id=10, replaces=old)


def test_documents_cannot_be_updated_or_deleted(issue: IssueFn) -> None:
    document = issue()
    document.sha256 = "0" * 64
    with pytest.raises(PermissionError):
        document.save()
    with pytest.raises(PermissionError):
        document.save(update_fields=["sha256"])
    with pytest.raises(PermissionError):
        IssuedDocument.objects.filter(pk=document.pk).update(file="documents/other.pdf")
    with pytest.raises(PermissionError):
        document.delete()
    with pytest.raises(PermissionError):
        IssuedDocument.objects.all().delete()
    document.refresh_from_db()
    assert document.sha256 == hashlib.sha256(document_read(document)).hexdigest()


def test_a_stored_file_changed_on_disk_is_detected(issue: IssueFn, settings) -> None:
    document = issue()
    path = Path(settings.PRIVATE_ROOT) / str(document.file.name)
    path.write_bytes(flip_one_signed_byte(path.read_bytes()))
    with pytest.raises(DocumentCorrupted):
        document_read(document)


def test_lookup_codes_are_unique_and_unambiguous(issue: IssueFn) -> None:
    codes = {new_lookup_code() for _ in range(20_000)}
    assert len(codes) == 20_000
    assert all(len(code) == LENGTH and set(code) <= set(ALPHABET) for code in codes)
    assert not set(ALPHABET) & set("IL01O")

    documents = [issue() for _ in range(3)]
    assert len({document.lookup_code for document in documents}) == 3
    # The database refuses a duplicate whatever the generator does.
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        IssuedDocument.objects.create(
            **{
                field.attname: getattr(documents[0], field.attname)
                for field in IssuedDocument._meta.concrete_fields
                if not field.primary_key
            }
            | {"owner_id": 99_999}
        )


def test_lookup_codes_are_read_the_way_people_type_them(issue: IssueFn) -> None:
    document = issue()
    spaced = " ".join(format_lookup_code(document.lookup_code).lower().split("-"))
    assert normalize_lookup_code(spaced) == document.lookup_code
    assert document_get_by_lookup_code(spaced) == document
    assert document_get_by_lookup_code("not-a-code") is None
    assert normalize_lookup_code("ABCD-2345-EFG0") is None  # 0 is not in the alphabet
