"""Replay protection for signed-gateway messages: each provider's nonces are accepted once.

A captured notification cannot be replayed later because its timestamp goes stale after
``REPLAY_WINDOW_SECONDS``, and cannot be replayed within that window because its nonce is already
stored here. ``nonce_consume`` relies on the database's unique constraint, so two copies racing in
different processes still accept one. Rows older than the window can never matter again (their
messages are refused as stale) and are deleted by the periodic ``payments.prune_nonces`` job.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from django.db import IntegrityError, transaction

from civicpay.core import clock
from civicpay.payments.models import ProviderNonce
from civicpay.payments.providers.signed_protocol import DEFAULT_WINDOW_SECONDS

REPLAY_WINDOW_SECONDS: Final = DEFAULT_WINDOW_SECONDS
NONCE_MAX_LENGTH: Final = 64


def nonce_consume(*, provider: str, nonce: str) -> bool:
    """Record ``nonce`` as used by ``provider``: ``True`` the first time, ``False`` if already seen.

    Runs in its own savepoint so a duplicate does not break the caller's transaction. An empty or
    over-long nonce is never accepted.
    """
    if not nonce or len(nonce) > NONCE_MAX_LENGTH:
        return False
    try:
        with transaction.atomic():
            ProviderNonce.objects.create(provider=provider, nonce=nonce, seen_at=clock.now())
    except IntegrityError:
        return False
    return True


def nonces_prune(*, now: datetime | None = None) -> int:
    """Delete nonces older than twice the freshness window (a margin for clock skew); returns how many."""
    cutoff = (now or clock.now()) - timedelta(seconds=2 * REPLAY_WINDOW_SECONDS)
    deleted, _by_model = ProviderNonce.objects.filter(seen_at__lt=cutoff).delete()
    return deleted
