"""Provider callbacks: store first, then apply.

1. **Store** the raw message (``ProviderCallback``, unique dedupe key = SHA-256 of provider, kind and
   the sorted raw parameters) before we look at it, so even a forged or unreadable message leaves a
   trace. An identical copy only bumps ``times_received``.
2. **Apply**: verify, find the payment, check the amount, then ``payment_record_outcome`` under
   ``select_for_update``. Copies and reorderings change nothing twice.

An IPN is one write transaction: the stored row, the apply, then the row's outcome. If applying fails,
that transaction rolls back and a second one stores the row with outcome ``error`` (a failure is rare;
a savepoint around every apply cost two more statements on every IPN); if the process dies first,
nothing was acknowledged and the provider sends the IPN again. (One transaction instead of three: on
SQLite each write transaction queues for the database's single write lock.) Reading and verifying the
message is pure computation, done before the transaction so that it does not hold that lock.
3. **Reply** in the provider's format (``acknowledge``), in VNPay's check order:
   signature (97) → order (01) → amount (04) → already confirmed (02) → 00; anything unexpected 99.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from civicpay.core import clock
from civicpay.core.db.statements import Insert, Select, Update
from civicpay.payments.models import CallbackKind, CallbackOutcome, Payment, ProviderCallback
from civicpay.payments.providers.base import Ack, InvalidSignature, MalformedMessage, Outcome, PaymentProvider
from civicpay.payments.services import ApplyResult, payment_record_outcome

logger = logging.getLogger(__name__)

_CALLBACK_OUTCOME = {
    ApplyResult.APPLIED: CallbackOutcome.APPLIED,
    ApplyResult.PENDING: CallbackOutcome.APPLIED,
    ApplyResult.DUPLICATE: CallbackOutcome.DUPLICATE,
    ApplyResult.IGNORED: CallbackOutcome.IGNORED,
    ApplyResult.LATE_SUCCESS: CallbackOutcome.FLAGGED,
    ApplyResult.AMOUNT_MISMATCH: CallbackOutcome.REJECTED,
}


def dedupe_key(*, provider: str, kind: str, raw: Mapping[str, object]) -> str:
    """SHA-256 over provider, kind and the parameters sorted by name: identical copies, one key."""
    payload = json.dumps([provider, kind, sorted((str(k), str(v)) for k, v in raw.items())], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


_CALLBACK_FIELDS = (
    "provider",
    "kind",
    "raw",
    "remote_addr",
    "received_at",
    "last_received_at",
    "dedupe_key",
    "times_received",
    "outcome",
    "reply_code",
    "note",
)
_CALLBACK_INSERT = Insert(ProviderCallback, _CALLBACK_FIELDS, skip_on_conflict="dedupe_key")


def callback_store(
    *, provider: str, kind: str, raw: Mapping[str, object], remote_addr: str | None
) -> tuple[ProviderCallback, bool]:
    """Store a raw callback (in its own transaction, or in the caller's); ``(row, True)`` the first time,
    ``(row, False)`` for an identical copy (whose arrival is counted on the first row). The unique
    dedupe key decides, also between concurrent copies (``ON CONFLICT DO NOTHING``)."""
    key = dedupe_key(provider=provider, kind=kind, raw=raw)
    now = clock.now()
    callback = ProviderCallback(
        provider=provider,
        kind=kind,
        raw=dict(raw),
        remote_addr=remote_addr or None,
        received_at=now,
        last_received_at=now,
        dedupe_key=key,
    )
    with transaction.atomic(savepoint=False):
        if _CALLBACK_INSERT.add(callback):
            return callback, True
        ProviderCallback.objects.filter(dedupe_key=key).update(
            times_received=F("times_received") + 1, last_received_at=now
        )
    return ProviderCallback.objects.get(dedupe_key=key), False


def callback_finish(
    callback: ProviderCallback,
    *,
    result: ApplyResult | None = None,
    outcome: CallbackOutcome | None = None,
    payment: Payment | None = None,
    signature_valid: bool | None = None,
    reply_code: str = "",
    note: str = "",
) -> None:
    """Record what we did with a stored callback: the copy that changed the payment is recorded;
    other copies only fill a row nobody finished yet or one that ended in an error."""
    final = outcome or (_CALLBACK_OUTCOME[result] if result is not None else CallbackOutcome.ERROR)
    replaceable = [CallbackOutcome.RECEIVED, CallbackOutcome.ERROR]
    if final in (CallbackOutcome.APPLIED, CallbackOutcome.FLAGGED):
        # The copy that changed the payment wins over a concurrent copy that found it done.
        replaceable.append(CallbackOutcome.DUPLICATE)
    _CALLBACK_FINISH(
        [
            final,
            reply_code,
            payment.pk if payment is not None else None,
            signature_valid,
            (note or (result.value if result else ""))[:500],
            clock.now(),
        ],
        callback.pk,
        replaceable,
    )


_CALLBACK_FINISH = Update(
    ProviderCallback,
    ["outcome", "reply_code", "payment", "signature_valid", "note", "processed_at"],
    where=("pk", "outcome"),
)


def _remote_addr(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


_PAYMENT_LOCKED = Select(Payment, where=("provider", "reference"), limit=1, for_update=True)


def payment_lock_for_callback(*, provider: str, reference: str) -> Payment | None:
    """``provider``'s payment ``reference``, locked (``SELECT … FOR UPDATE``) in the caller's transaction:
    read once, it stays current until the callback's outcome is recorded."""
    return _PAYMENT_LOCKED.get(provider, reference)


def _read_notification(
    provider: PaymentProvider, request: HttpRequest
) -> Outcome | InvalidSignature | MalformedMessage:
    """The verified notification, or why it could not be read (before any transaction: no lock held)."""
    try:
        return provider.parse_notification(request)
    except (InvalidSignature, MalformedMessage) as exc:
        return exc


def _apply_notification(
    provider: PaymentProvider,
    read: Outcome | InvalidSignature | MalformedMessage,
    callback: ProviderCallback,
    *,
    is_new: bool,
) -> Ack:
    def finish(ack: Ack, **kwargs: object) -> Ack:
        callback_finish(callback, reply_code=provider.reply_code(ack), **kwargs)  # type: ignore[arg-type]
        return ack

    if isinstance(read, InvalidSignature):
        return finish(Ack.INVALID_SIGNATURE, outcome=CallbackOutcome.REJECTED, signature_valid=False)
    if isinstance(read, MalformedMessage):
        return finish(Ack.ERROR, outcome=CallbackOutcome.REJECTED, signature_valid=True, note=str(read))
    outcome = read
    payment = payment_lock_for_callback(provider=provider.code, reference=outcome.reference)
    if payment is None:
        return finish(Ack.NOT_FOUND, outcome=CallbackOutcome.REJECTED, signature_valid=True, note="order not found")
    if outcome.amount != payment.amount:
        return finish(
            Ack.INVALID_AMOUNT,
            outcome=CallbackOutcome.REJECTED,
            signature_valid=True,
            payment=payment,
            note=f"amount {outcome.amount} ≠ {payment.amount}",
        )
    result = payment_record_outcome(
        payment=payment, outcome=outcome, source=f"{callback.kind}:{callback.pk}", already_locked=True
    )
    if result == ApplyResult.AMOUNT_MISMATCH:  # cannot happen after the check above; kept for safety
        ack = Ack.INVALID_AMOUNT
    elif result in (ApplyResult.APPLIED, ApplyResult.PENDING):
        ack = Ack.OK
    else:
        ack = Ack.ALREADY_CONFIRMED
    if not is_new and result == ApplyResult.DUPLICATE:
        # A copy that found nothing to do must not record "duplicate" on the row before the copy
        # that did the work records "applied" (they race; the row tells what happened to the money).
        return ack
    return finish(ack, result=result, payment=payment, signature_valid=True)


def store_and_apply[T](
    *,
    provider: str,
    raw: Mapping[str, object],
    remote_addr: str | None,
    apply: Callable[[ProviderCallback, bool], T],
    failed: T,
    failed_reply_code: str,
) -> T:
    """Store a server-to-server notification and apply it in one write transaction (module docstring):
    ``apply(callback, is_new)`` runs after the row is stored. Returns what ``apply`` returned, or
    ``failed`` when storing or applying raised — then that transaction is rolled back and the row alone
    is stored again, with outcome ``error``."""
    try:
        with transaction.atomic():
            callback, is_new = callback_store(
                provider=provider, kind=CallbackKind.IPN, raw=raw, remote_addr=remote_addr
            )
            return apply(callback, is_new)
    except Exception as exc:
        logger.exception("Could not store or apply a %s notification", provider)
        problem = f"{type(exc).__name__}: {exc}"
    try:
        with transaction.atomic():
            callback, _is_new = callback_store(
                provider=provider, kind=CallbackKind.IPN, raw=raw, remote_addr=remote_addr
            )
            callback_finish(callback, outcome=CallbackOutcome.ERROR, reply_code=failed_reply_code, note=problem)
    except Exception:
        logger.exception("Could not store a %s notification", provider)
    return failed


def notification_receive(*, provider: PaymentProvider, request: HttpRequest) -> HttpResponse:
    """Handle a server-to-server notification end to end and answer in the provider's format.

    Never answers "OK" for an outcome that was not stored: a failure anywhere replies ``ERROR``
    (VNPay ``99``) and the provider's retry, or the sweeper, will bring the outcome again.
    """
    read = _read_notification(provider, request)
    ack = store_and_apply(
        provider=provider.code,
        raw=provider.notification_params(request),
        remote_addr=_remote_addr(request),
        apply=lambda callback, is_new: _apply_notification(provider, read, callback, is_new=is_new),
        failed=Ack.ERROR,
        failed_reply_code=provider.reply_code(Ack.ERROR),
    )
    return provider.acknowledge(ack)


def return_receive(*, provider: PaymentProvider, request: HttpRequest) -> HttpResponse | None:
    """Store the browser's return and send the payer to the payment's result page.

    The return changes nothing: it is stored (``ignored``) for the record and for support. Returns
    ``None`` when no payment matches (the view shows an error page).
    """
    raw = provider.notification_params(request)
    callback, _is_new = callback_store(
        provider=provider.code, kind=CallbackKind.RETURN, raw=raw, remote_addr=_remote_addr(request)
    )
    signature_valid: bool | None
    try:
        reference = provider.parse_return(raw).reference
        signature_valid = True
    except InvalidSignature:
        reference, signature_valid = provider.return_reference(raw), False
    except MalformedMessage:
        reference, signature_valid = provider.return_reference(raw), True
    payment = Payment.objects.filter(provider=provider.code, reference=reference).first() if reference else None
    callback_finish(
        callback,
        outcome=CallbackOutcome.IGNORED if signature_valid else CallbackOutcome.REJECTED,
        payment=payment,
        signature_valid=signature_valid,
        note="browser return: never applied",
    )
    if payment is None:
        return None
    separator = "&" if "?" in payment.return_url else "?"
    return HttpResponseRedirect(f"{payment.return_url}{separator}ref={payment.reference}")
