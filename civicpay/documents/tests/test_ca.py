"""The private CA: chain, key usages, keys encrypted at rest, lazy creation, rotation, the command."""

from __future__ import annotations

import io

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.core.management import CommandError, call_command

from civicpay.core.audit import audit_trail
from civicpay.directory.models import Agency
from civicpay.documents import ca, keystore
from civicpay.documents.models import Certificate, CertificateRole, SigningKey
from civicpay.documents.services import document_read
from civicpay.documents.tests.conftest import AGENCY_NAME, IssueFn
from civicpay.documents.verification import check_document_upload

pytestmark = pytest.mark.django_db


def test_agency_leaf_verifies_against_issuing_ca_and_root(agency: Agency) -> None:
    leaf_row = ca.signer_certificate(agency.code)
    leaf, issuing, root = (ca.load_certificate(c) for c in ca.chain_for(leaf_row))

    leaf.verify_directly_issued_by(issuing)
    issuing.verify_directly_issued_by(root)
    root.verify_directly_issued_by(root)
    assert [c.role for c in ca.chain_for(leaf_row)] == [
        CertificateRole.AGENCY,
        CertificateRole.ISSUING,
        CertificateRole.ROOT,
    ]
    with pytest.raises(ValueError):
        leaf.verify_directly_issued_by(root)  # the root signs only the issuing CA


def test_leaf_names_the_agency_and_carries_document_signing_usages(agency: Agency) -> None:
    leaf = ca.load_certificate(ca.signer_certificate(agency.code))

    assert leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == AGENCY_NAME
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == AGENCY_NAME
    assert leaf.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == agency.code
    assert leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)[0].value == "VATVN-4200123456"
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign and not usage.value.key_encipherment
    extended = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert getattr(ExtendedKeyUsageOID, "DOCUMENT_SIGNING", ca.DOCUMENT_SIGNING) in extended
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False


def test_ca_certificates_are_cas_with_path_lengths(db: None) -> None:
    root = ca.load_certificate(ca.root_certificate())
    issuing = ca.load_certificate(ca.issuing_certificate())
    for cert, path_length in ((root, 1), (issuing, 0)):
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
        assert constraints.critical and constraints.value.ca and constraints.value.path_length == path_length
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature


def test_private_keys_are_stored_encrypted(agency: Agency, settings) -> None:
    certificate = ca.signer_certificate(agency.code)
    stored = bytes(certificate.key.encrypted_private_key)
    plain_der = ca.load_private_key(certificate).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )

    for key in SigningKey.objects.all():
        blob = bytes(key.encrypted_private_key)
        assert b"PRIVATE KEY" not in blob and b"-----BEGIN" not in blob
        with pytest.raises(ValueError):
            serialization.load_der_private_key(blob, password=None)
    assert plain_der not in stored and plain_der[40:80] not in stored

    # Under another key-encryption key the stored keys are useless, and say why.
    settings.DOCUMENTS_KEY_ENCRYPTION_KEY = "another-key-encryption-key-0123456789abcdef"
    with pytest.raises(keystore.KeyDecryptionError, match="different DOCUMENTS_KEY_ENCRYPTION_KEY"):
        ca.load_private_key(certificate)


def test_a_ciphertext_moved_to_another_key_row_does_not_decrypt(agency: Agency) -> None:
    leaf = ca.signer_certificate(agency.code)
    root = ca.root_certificate()
    with pytest.raises(keystore.KeyDecryptionError):
        keystore.decrypt_private_key(
            stored=bytes(root.key.encrypted_private_key),
            public_sha256=leaf.key.public_key_sha256,
            stored_kek_id=leaf.key.kek_id,
        )


def test_certificates_are_created_once_lazily(agency: Agency) -> None:
    assert not Certificate.objects.exists()
    first = ca.signer_certificate(agency.code)
    again = ca.signer_certificate(agency.code)
    assert first.pk == again.pk
    assert Certificate.objects.filter(role=CertificateRole.ROOT).count() == 1
    assert Certificate.objects.filter(role=CertificateRole.ISSUING).count() == 1
    assert [e.action for e in audit_trail(first)] == ["documents.certificate_issue"]


def test_rotation_keeps_old_certificates_and_old_documents_still_verify(issue: IssueFn, agency: Agency) -> None:
    old_document = issue()
    old_certificate = old_document.certificate

    new_certificate = ca.certificate_rotate(issuer_agency_code=agency.code)

    old_certificate.refresh_from_db()
    assert not old_certificate.is_current and old_certificate.retired_at is not None
    assert new_certificate.is_current and new_certificate.key_id != old_certificate.key_id
    new_document = issue()
    assert new_document.certificate == new_certificate
    assert check_document_upload(document=old_document, data=document_read(old_document)).ok
    assert check_document_upload(document=new_document, data=document_read(new_document)).ok


def test_documents_ca_command_init_is_idempotent_and_rotates(agency: Agency) -> None:
    out = io.StringIO()
    call_command("documents_ca", "init", stdout=out)
    call_command("documents_ca", "init", stdout=out)
    assert Certificate.objects.count() == 3  # root, issuing, platform
    assert Certificate.objects.filter(role=CertificateRole.PLATFORM, is_current=True).count() == 1

    call_command("documents_ca", "rotate", "--agency", agency.code, stdout=out)
    call_command("documents_ca", "rotate", "--agency", agency.code, stdout=out)
    assert Certificate.objects.filter(role=CertificateRole.AGENCY, subject_code=agency.code).count() == 2
    assert Certificate.objects.filter(role=CertificateRole.AGENCY, is_current=True).count() == 1

    call_command("documents_ca", "list", stdout=out)
    assert "retired" in out.getvalue() and AGENCY_NAME in out.getvalue()
    with pytest.raises(CommandError, match=r"NO\.SUCH"):
        call_command("documents_ca", "rotate", "--agency", "NO.SUCH", stdout=out)
