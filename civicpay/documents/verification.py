"""Checking a PDF someone holds: is it the one we issued, untouched, with a valid signature of ours?

Two independent checks, both must pass:
1. **Byte-for-byte**: the SHA-256 of the uploaded file equals the stored document's.
2. **Signature** (pyHanko's validator): the PAdES signature is intact (the signed bytes hash to the signed
   digest), cryptographically valid, covers the entire file (nothing appended after signing), and its
   certificate chains to one of the platform's roots (``ValidationContext(trust_roots=...)``, no network
   fetching, revocation soft-fail: our CA publishes no CRL yet).

The second check is what anyone can redo offline with the root certificate from the verification page;
the first is what only we can do, and it catches a file re-signed by someone else or a different
document of ours shown under this lookup code.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from civicpay.documents import ca
from civicpay.documents.models import IssuedDocument

logger = logging.getLogger(__name__)


class Outcome:
    VALID = "valid"
    NOT_PDF = "not_pdf"
    UNSIGNED = "unsigned"
    MODIFIED = "modified"  # the signed bytes changed, or something was appended after signing
    SIGNATURE_INVALID = "signature_invalid"
    NOT_OURS = "not_ours"  # the signature does not chain to our root
    DIFFERENT_FILE = "different_file"  # validly signed by us, but not the document with this lookup code


@dataclass(frozen=True)
class SignatureCheck:
    outcome: str
    signer: str = ""
    signed_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.VALID


@dataclass(frozen=True)
class DocumentCheck:
    """The verdict on an uploaded file for one issued document."""

    outcome: str
    identical: bool
    signature: SignatureCheck

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.VALID


def _trust_roots() -> list[asn1_x509.Certificate]:
    return [asn1_x509.Certificate.load(bytes(root.der)) for root in ca.root_certificates()]


def check_pdf_signature(data: bytes, *, moment: datetime | None = None) -> SignatureCheck:
    """Validate the PAdES signatures of ``data`` against the platform's roots. ``moment`` is the time to
    validate at (default now; for a document we issued, its issue time, so an expired or rotated
    certificate does not make an old document look forged)."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # a file that is not a PDF, or one mangled beyond parsing
        return SignatureCheck(Outcome.NOT_PDF)
    if not signatures:
        return SignatureCheck(Outcome.UNSIGNED)
    context = ValidationContext(trust_roots=_trust_roots(), allow_fetching=False, moment=moment)
    signer = ""
    signed_at = None
    coverage = None
    for embedded in signatures:
        try:
            status = validate_pdf_signature(embedded, context)
        except Exception:
            logger.info("PDF signature could not be validated", exc_info=True)
            return SignatureCheck(Outcome.SIGNATURE_INVALID)
        signer = status.signing_cert.subject.native.get("common_name", "") if status.signing_cert else ""
        signed_at = status.signer_reported_dt
        coverage = status.coverage
        if not status.intact:
            return SignatureCheck(Outcome.MODIFIED, signer, signed_at)
        if not status.valid:
            return SignatureCheck(Outcome.SIGNATURE_INVALID, signer, signed_at)
        if not status.trusted:
            return SignatureCheck(Outcome.NOT_OURS, signer, signed_at)
    # The last signature must cover every byte: anything appended after it (an incremental update that
    # adds or changes content) is a modification after signing.
    if coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return SignatureCheck(Outcome.MODIFIED, signer, signed_at)
    return SignatureCheck(Outcome.VALID, signer, signed_at)


def check_document_upload(*, document: IssuedDocument, data: bytes) -> DocumentCheck:
    """Compare ``data`` with ``document`` byte for byte and validate its signature."""
    identical = hashlib.sha256(data).hexdigest() == document.sha256
    signature = check_pdf_signature(data, moment=document.issued_at)
    if identical and signature.ok:
        return DocumentCheck(Outcome.VALID, True, signature)
    if not signature.ok:
        return DocumentCheck(signature.outcome, identical, signature)
    return DocumentCheck(Outcome.DIFFERENT_FILE, identical, signature)
