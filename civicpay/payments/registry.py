"""Payables: how payments settles things it does not know (the layering rule in docs/payments.md).

``payments`` is a platform app and never imports billing, dossiers or any domain app. A domain app
registers a :class:`PayableHandler` for each kind of thing it lets people pay, from its
``AppConfig.ready``::

    register_payable("billing.paymentrequest", BillingPayable())

Payments calls the handler explicitly, inside the transaction that records the success (never a
Django signal), so the payable's state and the payment's state commit or roll back together.
Lock order: payments locks the payment row first, then the handler locks what it owns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from civicpay.payments.models import Payment, PaymentItem


class PayableHandler(Protocol):
    def on_success(self, *, item: PaymentItem, payment: Payment) -> None:
        """The money for ``item`` is confirmed: settle the payable (mark it paid).

        Raise :class:`civicpay.payments.errors.PayableRefused` when it can no longer take money
        (paid by another payment, cancelled, expired); payments records an overpayment instead.
        Runs inside payments' transaction, in a savepoint of its own.
        """

    def on_overpaid(self, *, item: PaymentItem, payment: Payment, reason: str) -> None:
        """``item``'s money was not applied (see ``on_success``) and is due for refund: record it
        where the owner's staff will see it (an audit row, a note). Must not raise."""


_handlers: dict[str, PayableHandler] = {}


def register_payable(kind: str, handler: PayableHandler) -> None:
    """Register the handler of ``kind`` (once per process, from the owning app's ``AppConfig.ready``)."""
    existing = _handlers.get(kind)
    if existing is not None and type(existing) is not type(handler):
        raise RuntimeError(f"Payable kind {kind!r} is already registered by {existing!r}")
    _handlers[kind] = handler


def payable_handler(kind: str) -> PayableHandler:
    try:
        return _handlers[kind]
    except KeyError:
        raise LookupError(f"No payable handler registered for {kind!r}") from None


def payable_kinds() -> list[str]:
    return sorted(_handlers)
