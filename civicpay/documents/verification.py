"""Checking a file someone holds: is it the one we issued, untouched, with a valid signature of ours?

Two independent checks, both must pass:
1. **Byte-for-byte**: the SHA-256 of the uploaded file equals the stored document's.
2. **Signature**, by the stored document's type:
   - PDF (pyHanko's validator): the PAdES signature is intact (the signed bytes hash to the signed
     digest), cryptographically valid, covers the entire file (nothing appended after signing), and its
     certificate chains to one of the platform's roots (``ValidationContext(trust_roots=...)``, no network
     fetching, revocation soft-fail: our CA publishes no CRL yet).
   - XML, the e-receipt and its cancellation notice (``signxml``): the enveloped XMLDSig signature's
     digest and RSA signature verify, and the certificate in ``KeyInfo`` chains, through the issuing CA
     sent beside it, to one of the platform's roots.

The second check is what anyone can redo offline with the root certificate from the verification page;
the first is what only we can do, and it catches a file re-signed by someone else or a different
document of ours shown under this lookup code.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.verification import Store
from lxml import etree
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from signxml import SignatureConfiguration, XMLVerifier
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.util import X509CertChainVerifier

from civicpay.documents import ca
from civicpay.documents.models import IssuedDocument

logger = logging.getLogger(__name__)


class Outcome:
    VALID = "valid"
    NOT_PDF = "not_pdf"
    NOT_XML = "not_xml"
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


XML_MEDIA_TYPES = frozenset({"application/xml", "text/xml"})


def is_xml(document: IssuedDocument) -> bool:
    return document.media_type.split(";")[0].strip() in XML_MEDIA_TYPES


class _RootsChainVerifier(X509CertChainVerifier):
    """signxml's chain check with the given roots as the only trust anchors, in memory (signxml itself reads
    them from a PEM file, by default certifi's bundle of public web CAs)."""

    def __init__(self, roots: list[x509.Certificate], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.roots = roots

    @property
    def store(self) -> Store:
        return Store(self.roots)


class _PlatformXmlVerifier(XMLVerifier):
    def __init__(self, roots: list[x509.Certificate]) -> None:
        super().__init__()
        self.roots = roots

    def get_cert_chain_verifier(self, ca_pem_file: Any, ee_policy: Any, ca_policy: Any) -> Any:
        return _RootsChainVerifier(
            self.roots, verification_time=self._get_cert_verification_time(), ee_policy=ee_policy, ca_policy=ca_policy
        )


def check_xml_signature(data: bytes, *, moment: datetime | None = None) -> SignatureCheck:
    """Validate the enveloped XMLDSig signature of ``data`` against the platform's roots, at ``moment``
    (default now; for a document we issued, its issue time)."""
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except (etree.XMLSyntaxError, ValueError):
        return SignatureCheck(Outcome.NOT_XML)
    if root.find(".//{http://www.w3.org/2000/09/xmldsig#}Signature") is None:
        return SignatureCheck(Outcome.UNSIGNED)
    roots = [ca.load_certificate(certificate) for certificate in ca.root_certificates()]
    try:
        result = _PlatformXmlVerifier(roots).verify(
            data, expect_config=SignatureConfiguration(verification_time=moment)
        )
    except InvalidDigest:
        return SignatureCheck(Outcome.MODIFIED)
    except InvalidCertificate:
        return SignatureCheck(Outcome.NOT_OURS)
    except (InvalidSignature, InvalidInput):
        logger.info("XML signature could not be validated", exc_info=True)
        return SignatureCheck(Outcome.SIGNATURE_INVALID)
    verified = result[0] if isinstance(result, list) else result
    return SignatureCheck(Outcome.VALID, _xml_signer(root, verified.signature_key), None)


def _xml_signer(root: Any, key_pem: bytes) -> str:
    """The common name of the certificate in ``KeyInfo`` whose key made the signature (signxml gives the
    key as PEM)."""
    wanted = serialization.load_pem_public_key(key_pem).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for element in root.iterfind(".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate"):
        certificate = x509.load_der_x509_certificate(base64.b64decode("".join((element.text or "").split())))
        public = certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if public == wanted:
            names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
            return str(names[0].value) if names else ""
    return ""


def check_document_upload(*, document: IssuedDocument, data: bytes) -> DocumentCheck:
    """Compare ``data`` with ``document`` byte for byte and validate its signature (PDF or XML, as the
    stored document is)."""
    identical = hashlib.sha256(data).hexdigest() == document.sha256
    check = check_xml_signature if is_xml(document) else check_pdf_signature
    signature = check(data, moment=document.issued_at)
    if identical and signature.ok:
        return DocumentCheck(Outcome.VALID, True, signature)
    if not signature.ok:
        return DocumentCheck(signature.outcome, identical, signature)
    return DocumentCheck(Outcome.DIFFERENT_FILE, identical, signature)
