"""The platform's small private CA (``cryptography``): root → issuing CA → one certificate per signer.

- **Root** (RSA-3072, 20 years): only signs the issuing CA. Its certificate is public
  (``documents:root_certificate``) so anyone can check our signatures offline.
- **Issuing CA** (RSA-3072, 10 years, path length 0): signs the leaf certificates.
- **Leaves** (RSA-2048, 3 years): one per agency (subject: the agency's name, its code as the X.520
  serialNumber, its tax code as organizationIdentifier ``VATVN-…``) and one for the platform. Key usage
  digitalSignature + contentCommitment (non-repudiation), critical; extended key usage
  id-kp-documentSigning (RFC 9336).

Everything is created lazily: the first document an agency signs creates whatever is missing, so tests,
the demo and ``./dev run`` need no manual step. ``manage.py documents_ca init`` does the same ahead of
time; ``documents_ca rotate --agency CODE`` replaces a signer's key and certificate (the old ones are
kept, so documents signed with them still verify). Keys are stored encrypted (``keystore``).

There is no CRL or OCSP yet: a compromised leaf is handled by rotating it; validators run in soft-fail
revocation mode (see docs/documents.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
from django.conf import settings
from django.db import IntegrityError, transaction

from civicpay.core import clock
from civicpay.core.audit import audit_record
from civicpay.documents import keystore
from civicpay.documents.models import PLATFORM_ISSUER, Certificate, CertificateRole, SigningKey

# RFC 9336 id-kp-documentSigning; older cryptography releases have no constant for it.
DOCUMENT_SIGNING = getattr(ExtendedKeyUsageOID, "DOCUMENT_SIGNING", ObjectIdentifier("1.3.6.1.5.5.7.3.36"))

ROOT_CODE = "root"
ISSUING_CODE = "issuing"
_KEY_SIZES = {CertificateRole.ROOT: 3072, CertificateRole.ISSUING: 3072}
_LEAF_KEY_SIZE = 2048
_VALIDITY_DAYS = {CertificateRole.ROOT: 20 * 365, CertificateRole.ISSUING: 10 * 365}
_LEAF_VALIDITY_DAYS = 3 * 365
# Certificates start a little in the past so a signature made right now validates on a machine whose
# clock runs slightly behind.
_BACKDATE = timedelta(minutes=10)


@dataclass(frozen=True)
class SignerIdentity:
    """Who a leaf certificate names."""

    role: str
    code: str
    name: str
    tax_code: str = ""


class UnknownIssuer(LookupError):
    """A document names an agency code the directory does not know."""


def _site_name() -> str:
    return str(getattr(settings, "SITE_NAME", "CivicPay"))


def _ca_name(label: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _site_name()),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{_site_name()} {label}"),
        ]
    )


def _leaf_name(identity: SignerIdentity) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, identity.name[:64]),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, identity.code[:64]),
    ]
    if identity.tax_code:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"VATVN-{identity.tax_code}"))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, identity.name[:64]))
    return x509.Name(attributes)


def load_certificate(certificate: Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(bytes(certificate.der))


def load_private_key(certificate: Certificate) -> rsa.RSAPrivateKey:
    key = certificate.key
    return keystore.decrypt_private_key(
        stored=bytes(key.encrypted_private_key), public_sha256=key.public_key_sha256, stored_kek_id=key.kek_id
    )


def _store(
    *,
    role: str,
    code: str,
    name: str,
    key: rsa.RSAPrivateKey,
    cert: x509.Certificate,
    issuer: Certificate | None,
) -> Certificate:
    encrypted, kek_id = keystore.encrypt_private_key(key)
    signing_key = SigningKey.objects.create(
        algorithm=f"rsa-{key.key_size}",
        public_key_sha256=keystore.public_key_sha256(key),
        encrypted_private_key=encrypted,
        kek_id=kek_id,
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    return Certificate.objects.create(
        role=role,
        subject_code=code,
        subject_name=name,
        serial_number=format(cert.serial_number, "x"),
        fingerprint_sha256=hashlib.sha256(der).hexdigest(),
        der=der,
        key=signing_key,
        issuer=issuer,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def _build(
    *,
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer_name: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    days: int,
    ca_path_length: int | None,
    is_ca: bool,
) -> x509.Certificate:
    now = clock.now()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=ca_path_length if is_ca else None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    if is_ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        ).add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _current(role: str, code: str) -> Certificate | None:
    return Certificate.objects.select_related("key").filter(role=role, subject_code=code, is_current=True).first()


def _create_once(role: str, code: str, create: object) -> Certificate:
    """Run ``create()`` in a savepoint; if a concurrent caller created the certificate first (the partial
    unique index refuses ours), return theirs."""
    try:
        with transaction.atomic():
            certificate = create()  # type: ignore[operator]
    except IntegrityError:
        existing = _current(role, code)
        if existing is None:
            raise
        return existing
    assert isinstance(certificate, Certificate)
    audit_record(
        actor=None,
        action="documents.certificate_issue",
        target=certificate,
        after={"role": role, "subject": code, "serial": certificate.serial_number},
    )
    return certificate


def root_certificate() -> Certificate:
    """The current root, created on first use (self-signed)."""
    existing = _current(CertificateRole.ROOT, ROOT_CODE)
    if existing is not None:
        return existing

    def create() -> Certificate:
        key = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_SIZES[CertificateRole.ROOT])
        name = _ca_name("Root CA")
        cert = _build(
            subject=name,
            key=key,
            issuer_name=name,
            issuer_key=key,
            days=_VALIDITY_DAYS[CertificateRole.ROOT],
            ca_path_length=1,
            is_ca=True,
        )
        return _store(
            role=CertificateRole.ROOT, code=ROOT_CODE, name=f"{_site_name()} Root CA", key=key, cert=cert, issuer=None
        )

    return _create_once(CertificateRole.ROOT, ROOT_CODE, create)


def issuing_certificate() -> Certificate:
    """The current issuing CA, created on first use (signed by the root)."""
    existing = _current(CertificateRole.ISSUING, ISSUING_CODE)
    if existing is not None:
        return existing
    root = root_certificate()

    def create() -> Certificate:
        key = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_SIZES[CertificateRole.ISSUING])
        cert = _build(
            subject=_ca_name("Issuing CA"),
            key=key,
            issuer_name=load_certificate(root).subject,
            issuer_key=load_private_key(root),
            days=_VALIDITY_DAYS[CertificateRole.ISSUING],
            ca_path_length=0,
            is_ca=True,
        )
        name = f"{_site_name()} Issuing CA"
        return _store(role=CertificateRole.ISSUING, code=ISSUING_CODE, name=name, key=key, cert=cert, issuer=root)

    return _create_once(CertificateRole.ISSUING, ISSUING_CODE, create)


def _issue_leaf(identity: SignerIdentity) -> Certificate:
    issuing = issuing_certificate()
    key = rsa.generate_private_key(public_exponent=65537, key_size=_LEAF_KEY_SIZE)
    cert = _build(
        subject=_leaf_name(identity),
        key=key,
        issuer_name=load_certificate(issuing).subject,
        issuer_key=load_private_key(issuing),
        days=_LEAF_VALIDITY_DAYS,
        ca_path_length=None,
        is_ca=False,
    )
    return _store(role=identity.role, code=identity.code, name=identity.name, key=key, cert=cert, issuer=issuing)


def signer_identity(issuer_agency_code: str | None) -> SignerIdentity:
    """The identity a document issued by ``issuer_agency_code`` (None: the platform) is signed under."""
    if issuer_agency_code is None or issuer_agency_code == PLATFORM_ISSUER:
        return SignerIdentity(role=CertificateRole.PLATFORM, code=PLATFORM_ISSUER, name=_site_name())
    from civicpay.directory.selectors import agency_get_by_code  # platform → platform: the directory's selector

    agency = agency_get_by_code(issuer_agency_code)
    if agency is None:
        raise UnknownIssuer(f"No agency with code {issuer_agency_code!r}")
    return SignerIdentity(
        role=CertificateRole.AGENCY, code=agency.code, name=agency.name, tax_code=agency.tax_code or ""
    )


def signer_certificate(issuer_agency_code: str | None) -> Certificate:
    """The current signing certificate of an agency (by code) or of the platform (None), created on first use."""
    identity = signer_identity(issuer_agency_code)
    existing = _current(identity.role, identity.code)
    if existing is not None:
        return existing
    issuing_certificate()  # outside the savepoint below, so a race on the CA is resolved first
    return _create_once(identity.role, identity.code, lambda: _issue_leaf(identity))


def certificate_rotate(*, issuer_agency_code: str | None, by: object = None) -> Certificate:
    """A new key and certificate for a signer. The old certificate stays (retired) so documents signed
    with it still verify; from now on new documents are signed with the new one."""
    identity = signer_identity(issuer_agency_code)
    issuing_certificate()
    with transaction.atomic():
        old = (
            Certificate.objects.select_for_update()
            .filter(role=identity.role, subject_code=identity.code, is_current=True)
            .first()
        )
        if old is not None:
            old.is_current = False
            old.retired_at = clock.now()
            old.save(update_fields=["is_current", "retired_at"])
        new = _issue_leaf(identity)
        audit_record(
            actor=by,
            action="documents.certificate_rotate",
            target=new,
            before={"serial": old.serial_number} if old else {},
            after={"role": identity.role, "subject": identity.code, "serial": new.serial_number},
        )
    return new


def ca_init() -> list[Certificate]:
    """Create the root, the issuing CA and the platform's certificate if missing (idempotent)."""
    return [root_certificate(), issuing_certificate(), signer_certificate(None)]


def chain_for(certificate: Certificate) -> list[Certificate]:
    """``certificate`` and its issuers up to the root, leaf first."""
    chain = [certificate]
    while chain[-1].issuer_id is not None:
        issuer = chain[-1].issuer
        assert issuer is not None
        chain.append(issuer)
    return chain


def root_certificates() -> list[Certificate]:
    """Every root we have had (current first): the trust anchors documents are validated against."""
    return list(Certificate.objects.filter(role=CertificateRole.ROOT).order_by("-is_current", "-created_at"))
