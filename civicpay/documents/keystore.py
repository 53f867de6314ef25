"""Private keys at rest: AES-256-GCM under a key-encryption key (KEK) derived with HKDF-SHA256 from
settings.DOCUMENTS_KEY_ENCRYPTION_KEY.

The stored value is ``nonce (12 bytes) || ciphertext+tag`` of the PKCS#8 DER key; the associated data is
the SHA-256 of the public key, so a ciphertext copied onto another key's row does not decrypt. ``kek_id``
(the first 8 bytes of SHA-256 of the KEK, hex) tells which KEK wrapped a key, so a wrong or rotated
DOCUMENTS_KEY_ENCRYPTION_KEY fails with a clear error instead of a bare authentication failure.
"""

from __future__ import annotations

import hashlib
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_SALT = b"civicpay.documents.keystore"
_INFO = b"signing-key-encryption v1"


class KeyDecryptionError(Exception):
    """A stored key cannot be decrypted with the configured DOCUMENTS_KEY_ENCRYPTION_KEY."""


def _kek() -> bytes:
    secret = str(getattr(settings, "DOCUMENTS_KEY_ENCRYPTION_KEY", "") or "")
    if not secret:
        raise ImproperlyConfigured("DOCUMENTS_KEY_ENCRYPTION_KEY is not set")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(secret.encode())


def kek_id() -> str:
    return hashlib.sha256(_kek()).hexdigest()[:16]


def public_key_sha256(key: RSAPrivateKey) -> str:
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


def encrypt_private_key(key: RSAPrivateKey) -> tuple[bytes, str]:
    """``(stored bytes, kek_id)`` for ``key``."""
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    nonce = os.urandom(12)
    return nonce + AESGCM(_kek()).encrypt(nonce, der, public_key_sha256(key).encode()), kek_id()


def decrypt_private_key(*, stored: bytes, public_sha256: str, stored_kek_id: str) -> RSAPrivateKey:
    if stored_kek_id != kek_id():
        raise KeyDecryptionError(
            "This signing key was encrypted with a different DOCUMENTS_KEY_ENCRYPTION_KEY "
            f"(key id {stored_kek_id}, configured {kek_id()})"
        )
    stored = bytes(stored)
    try:
        der = AESGCM(_kek()).decrypt(stored[:12], stored[12:], public_sha256.encode())
    except Exception as error:  # cryptography raises InvalidTag
        raise KeyDecryptionError("Stored signing key failed its integrity check") from error
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, RSAPrivateKey) or public_key_sha256(key) != public_sha256:
        raise KeyDecryptionError("Stored signing key does not match its public key")
    return key
