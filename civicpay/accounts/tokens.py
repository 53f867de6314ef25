"""Signed activation tokens: the user's pk and e-mail, timestamped, valid ``ACCOUNT_ACTIVATION_MAX_AGE``.

Nothing is stored: the signature (SECRET_KEY + a salt of its own) proves the link came from us, the
timestamp bounds its life, and the e-mail inside stops a link from activating an account whose address
has changed since it was sent.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core import signing

from civicpay.accounts.models import User

ACTIVATION_SALT = "civicpay.accounts.activation"


class _IssuedAtSigner(signing.TimestampSigner):
    """A TimestampSigner that stamps a given instant instead of "now" (so tests can age a real token)."""

    def __init__(self, *, issued_at: datetime, salt: str) -> None:
        super().__init__(salt=salt)
        self._issued_at = issued_at

    def timestamp(self) -> str:
        return signing.b62_encode(int(self._issued_at.timestamp()))


def activation_token_make(*, user: User, issued_at: datetime | None = None) -> str:
    """A URL-safe token that activates ``user``; ``issued_at`` defaults to now."""
    payload = {"u": user.pk, "e": user.email}
    signer = (
        signing.TimestampSigner(salt=ACTIVATION_SALT)
        if issued_at is None
        else _IssuedAtSigner(issued_at=issued_at, salt=ACTIVATION_SALT)
    )
    return signer.sign_object(payload, compress=True)


class TokenProblem(enum.StrEnum):
    EXPIRED = "expired"
    INVALID = "invalid"


@dataclass(frozen=True)
class TokenCheck:
    """What a token says: the user it names, or why it cannot be used."""

    user: User | None
    problem: TokenProblem | None = None
    email: str = ""  # for an expired link, the address it was sent to (to offer a new one)


def activation_token_check(token: str) -> TokenCheck:
    """Verify signature and age; return the user named by a good token, or the problem."""
    signer = signing.TimestampSigner(salt=ACTIVATION_SALT)
    try:
        payload = signer.unsign_object(token, max_age=settings.ACCOUNT_ACTIVATION_MAX_AGE)
    except signing.SignatureExpired:
        # The signature is genuine, only too old: reading it again without max_age is safe.
        expired = signer.unsign_object(token)
        email = expired.get("e", "") if isinstance(expired, dict) else ""
        return TokenCheck(user=None, problem=TokenProblem.EXPIRED, email=str(email))
    except (signing.BadSignature, ValueError, TypeError):
        return TokenCheck(user=None, problem=TokenProblem.INVALID)
    pk, email = (payload.get("u"), payload.get("e")) if isinstance(payload, dict) else (None, None)
    if not isinstance(pk, int) or not isinstance(email, str):
        return TokenCheck(user=None, problem=TokenProblem.INVALID)
    user = User.objects.filter(pk=pk, email=email).first()
    if user is None:
        return TokenCheck(user=None, problem=TokenProblem.INVALID)
    return TokenCheck(user=user)
