"""Fixtures for the documents tests: an agency, a sample document template, and a helper that issues."""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from pypdf import PdfReader

from civicpay.directory.models import Agency
from civicpay.directory.tests.factories import AgencyFactory
from civicpay.documents.models import DocumentKind, IssuedDocument
from civicpay.documents.services import document_issue
from civicpay.documents.types import DocumentSummary

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
AGENCY_NAME = "Sở Tư pháp tỉnh Khánh Hòa"


@pytest.fixture(autouse=True)
def _sample_templates(settings: Any) -> None:
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], TEMPLATES_DIR]
    settings.TEMPLATES = templates


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


@pytest.fixture
def agency(db: None) -> Agency:
    return AgencyFactory.create(code="G22.45", name=AGENCY_NAME, tax_code="4200123456")


IssueFn = Callable[..., IssuedDocument]


@pytest.fixture
def issue(agency: Agency) -> IssueFn:
    """Issue the sample document; keyword arguments override document_issue's."""
    counter = iter(range(1, 10_000))

    def _issue(**overrides: Any) -> IssuedDocument:
        owner_id = overrides.pop("owner_id", None) or next(counter)
        arguments: dict[str, Any] = {
            "kind": DocumentKind.PAYMENT_INSTRUCTIONS,
            "template_name": "documents_tests/sample.html",
            "context": {"issuer": agency.name, "body": "Nộp lệ phí tại quầy số 3", "amount": "1.005.000 ₫"},
            "issuer_agency_code": agency.code,
            "owner_kind": "tests.sample",
            "owner_id": owner_id,
            "summary": DocumentSummary(
                title="Chỉ dẫn thanh toán thử nghiệm",
                issuer_name=agency.name,
                document_date=date(2026, 11, 22),
                amount=1_005_000,
                reference=f"CD-{owner_id:04d}",
            ),
        }
        arguments.update(overrides)
        return document_issue(**arguments)

    return _issue


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def flip_one_signed_byte(data: bytes) -> bytes:
    """Change one letter of the producer string, which lies inside the signed byte range (the original
    revision), keeping the file parseable."""
    at = data.index(b"WeasyPrint")
    assert at < data.index(b"/ByteRange")  # in the first signed range, before the signature
    return data[:at] + b"X" + data[at + 1 :]


def foreign_certificate(common_name: str) -> tuple[Any, Any]:
    """``(key, certificate)``: an RSA key and a self-signed certificate for ``common_name`` (digital
    signatures allowed) that are not from our CA — a forger using an agency's name."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def foreign_signed_pdf() -> bytes:
    """A PDF correctly signed by a self-made certificate that is not from our CA."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore
    from weasyprint import HTML

    key, cert = foreign_certificate(AGENCY_NAME)  # same name, different key
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        cert_registry=SimpleCertificateStore(),
    )
    pdf = HTML(string="<p>Giả mạo</p>").write_pdf()
    assert pdf is not None
    meta = signers.PdfSignatureMetadata(field_name="Sig", subfilter=fields.SigSeedSubFilter.PADES)
    out = signers.PdfSigner(meta, signer=signer).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)))
    return bytes(out.getbuffer())
