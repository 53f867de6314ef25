"""Notifications from signed-gateway providers: ``callbacks``' store-then-apply, plus the replay gate.

The order of checks, each answered in the protocol's reply codes (docs/protocols/signed-gateway.md):

1. store the raw message before looking at it (``callbacks.store_and_apply``: stored, applied and
   finished in one write transaction — a failed apply rolls it back, nonce included, and the row alone
   is stored again with outcome ``error``);
2. signature and merchant → ``97``;
3. timestamp within ±300 s → else ``98``;
4. an identical copy of a message already received → ``98`` (the first copy's row tells what
   happened; a copy never writes on it, so concurrent copies cannot overwrite "applied");
5. nonce never seen for this provider (``replay.nonce_consume``) → else ``98``;
6. readable → else ``99``; order exists → else ``01``; amount matches → else ``04``;
7. ``payment_record_outcome`` under ``select_for_update`` → ``00``, or ``02`` when it was already
   recorded.

A gateway that gets anything but ``00``/``02`` sends the notification again, signed afresh (a new
timestamp and nonce), so a burnt nonce never blocks a legitimate retry.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.http import HttpRequest, HttpResponse

from civicpay.payments.callbacks import callback_finish, payment_lock_for_callback, store_and_apply
from civicpay.payments.models import CallbackOutcome, ProviderCallback
from civicpay.payments.providers import signed_protocol as sp
from civicpay.payments.providers.base import InvalidSignature, MalformedMessage
from civicpay.payments.providers.signed_gateway import (
    REPLY_ALREADY_CONFIRMED,
    REPLY_ERROR,
    REPLY_INVALID_AMOUNT,
    REPLY_INVALID_SIGNATURE,
    REPLY_NOT_FOUND,
    REPLY_OK,
    REPLY_STALE_OR_REPLAYED,
    SignedGatewayProvider,
)
from civicpay.payments.replay import REPLAY_WINDOW_SECONDS, nonce_consume
from civicpay.payments.services import ApplyResult, payment_record_outcome

logger = logging.getLogger(__name__)


def _apply(provider: SignedGatewayProvider, raw: Mapping[str, str], callback: ProviderCallback, *, is_new: bool) -> str:
    def finish(code: str, **kwargs: object) -> str:
        callback_finish(callback, reply_code=code, **kwargs)  # type: ignore[arg-type]
        return code

    try:
        provider.verify_signed(raw)
    except InvalidSignature:
        if not is_new:
            return REPLY_INVALID_SIGNATURE
        return finish(REPLY_INVALID_SIGNATURE, outcome=CallbackOutcome.REJECTED, signature_valid=False)
    if not is_new:
        return REPLY_STALE_OR_REPLAYED
    try:
        sp.check_fresh(raw, window_seconds=REPLAY_WINDOW_SECONDS)
    except sp.StaleMessage as exc:
        return finish(
            REPLY_STALE_OR_REPLAYED, outcome=CallbackOutcome.REJECTED, signature_valid=True, note=f"stale: {exc}"
        )
    if not nonce_consume(provider=provider.code, nonce=raw.get(sp.NONCE_FIELD, "")):
        return finish(
            REPLY_STALE_OR_REPLAYED,
            outcome=CallbackOutcome.REJECTED,
            signature_valid=True,
            note="replayed: nonce already used",
        )
    try:
        outcome = provider.outcome_from(raw)
    except MalformedMessage as exc:
        return finish(REPLY_ERROR, outcome=CallbackOutcome.REJECTED, signature_valid=True, note=str(exc))
    payment = payment_lock_for_callback(provider=provider.code, reference=outcome.reference)
    if payment is None:
        return finish(REPLY_NOT_FOUND, outcome=CallbackOutcome.REJECTED, signature_valid=True, note="order not found")
    if outcome.amount != payment.amount:
        return finish(
            REPLY_INVALID_AMOUNT,
            outcome=CallbackOutcome.REJECTED,
            signature_valid=True,
            payment=payment,
            note=f"amount {outcome.amount} ≠ {payment.amount}",
        )
    result = payment_record_outcome(
        payment=payment, outcome=outcome, source=f"{callback.kind}:{callback.pk}", already_locked=True
    )
    if result == ApplyResult.AMOUNT_MISMATCH:  # cannot happen after the check above; kept for safety
        code = REPLY_INVALID_AMOUNT
    elif result in (ApplyResult.APPLIED, ApplyResult.PENDING):
        code = REPLY_OK
    else:
        code = REPLY_ALREADY_CONFIRMED
    return finish(code, result=result, payment=payment, signature_valid=True)


def signed_notification_receive(*, provider: SignedGatewayProvider, request: HttpRequest) -> HttpResponse:
    """Handle one POSTed notification end to end; never answers ``00`` for an outcome not stored."""
    try:
        raw = provider.notification_params(request)
    except Exception:
        logger.exception("Could not read a %s notification", provider.code)
        return provider.reply(REPLY_ERROR)
    code = store_and_apply(
        provider=provider.code,
        raw=raw,
        remote_addr=request.META.get("REMOTE_ADDR") or None,
        apply=lambda callback, is_new: _apply(provider, raw, callback, is_new=is_new),
        failed=REPLY_ERROR,
        failed_reply_code=REPLY_ERROR,
    )
    return provider.reply(code)
