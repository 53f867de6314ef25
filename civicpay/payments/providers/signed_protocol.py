"""The signed gateway protocol: canonical strings, HMAC-SHA256 signatures, nonces and freshness.

ViettelPay, VietinBank and the national payment platform ("Cổng DVC Quốc gia") publish no
integration spec we can build against, so CivicPay speaks one documented protocol to all three
(docs/protocols/signed-gateway.md). This module is its only implementation of the signing rules and
is pure Python — no Django, no HTTP — so that the platform adapters, the sandboxes (which may import
nothing else from ``civicpay.payments``) and the tests share exactly one definition.

Rules in one place:

- the signed string is ``key=value`` pairs sorted by key, with empty/``None`` values and the
  ``signature`` key dropped, values as raw UTF-8 text (``str(value)``, no URL encoding), joined by ``&``;
- the signature is the lowercase hex HMAC-SHA256 of that string under the provider's secret;
- every message carries a unix ``timestamp`` and a random ``nonce``; a receiver rejects messages more
  than five minutes away from its clock and remembers nonces so that a captured message cannot be
  replayed (the memory lives in ``civicpay.payments.replay``, not here).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from typing import Final
from urllib.parse import urlencode

SIGNATURE_FIELD: Final = "signature"
TIMESTAMP_FIELD: Final = "timestamp"
NONCE_FIELD: Final = "nonce"
DEFAULT_WINDOW_SECONDS: Final = 300


class InvalidSignature(Exception):
    """The message's ``signature`` is missing or does not match: it was not signed with our secret."""


class StaleMessage(Exception):
    """The message's ``timestamp`` is missing, unreadable or outside the freshness window."""


class MalformedMessage(Exception):
    """The message is correctly signed but lacks a field or carries a value we cannot read."""


def _is_empty(value: object) -> bool:
    return value is None or str(value) == ""


def canonical(params: Mapping[str, object]) -> str:
    """The string that is signed: sorted ``key=value`` pairs, empty values and ``signature`` dropped.

    Values are sent raw (no URL encoding) so that both ends rebuild the same bytes regardless of
    which HTTP library decoded the query string or JSON body; Vietnamese text is signed as UTF-8.
    """
    pairs = sorted(
        (str(key), str(value)) for key, value in params.items() if key != SIGNATURE_FIELD and not _is_empty(value)
    )
    return "&".join(f"{key}={value}" for key, value in pairs)


def sign(params: Mapping[str, object], secret: str) -> str:
    """Lowercase hex HMAC-SHA256 of ``canonical(params)`` keyed with ``secret``."""
    return hmac.new(secret.encode("utf-8"), canonical(params).encode("utf-8"), hashlib.sha256).hexdigest()


def verify(params: Mapping[str, object], secret: str) -> bool:
    """Whether ``params["signature"]`` is the signature of the other fields, compared in constant time.

    A missing or non-text signature is simply invalid; callers raise ``InvalidSignature`` themselves
    when they need an exception (see ``require_valid``).
    """
    given = params.get(SIGNATURE_FIELD)
    if not isinstance(given, str) or not given:
        return False
    expected = sign(params, secret)
    return hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("utf-8"))


def require_valid(params: Mapping[str, object], secret: str) -> None:
    """Raise ``InvalidSignature`` unless ``verify`` accepts the message."""
    if not verify(params, secret):
        raise InvalidSignature("signature missing or does not match")


def new_nonce() -> str:
    """32 lowercase hex characters (128 random bits) from ``secrets``: unique per message."""
    return secrets.token_hex(16)


def now_ts() -> int:
    """The current unix time in whole seconds, the unit of ``timestamp``."""
    return int(time.time())


def check_fresh(
    params: Mapping[str, object],
    *,
    now: int | None = None,
    window_seconds: int = DEFAULT_WINDOW_SECONDS,
) -> None:
    """Raise ``StaleMessage`` unless ``params["timestamp"]`` is within ``window_seconds`` of ``now``.

    The window is symmetric: a sender whose clock runs ahead is tolerated as much as one running
    behind, but a message older (or newer) than the window is refused, which bounds how long the
    receiver must remember nonces.
    """
    raw = params.get(TIMESTAMP_FIELD)
    if _is_empty(raw):
        raise StaleMessage("timestamp missing")
    try:
        ts = int(str(raw))
    except ValueError as exc:
        raise StaleMessage(f"timestamp not an integer: {raw!r}") from exc
    current = now_ts() if now is None else now
    if abs(current - ts) > window_seconds:
        raise StaleMessage(f"timestamp {ts} is {current - ts} s away from {current}")


def signed(params: Mapping[str, object], secret: str) -> dict[str, str]:
    """A copy of ``params`` as text, with ``timestamp`` and ``nonce`` added if absent, and signed.

    Empty values are dropped from the copy too, so that what is sent is exactly what was signed.
    """
    out = {str(key): str(value) for key, value in params.items() if not _is_empty(value)}
    out.pop(SIGNATURE_FIELD, None)
    out.setdefault(TIMESTAMP_FIELD, str(now_ts()))
    out.setdefault(NONCE_FIELD, new_nonce())
    out[SIGNATURE_FIELD] = sign(out, secret)
    return out


def build_redirect(base_url: str, params: Mapping[str, object], secret: str) -> str:
    """``base_url`` + ``?`` + the URL-encoded signed params (``&`` if base_url already has a query)."""
    separator = "&" if "?" in base_url else "?"
    return base_url + separator + urlencode(signed(params, secret))
