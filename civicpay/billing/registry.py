"""Who owns a payment request. Billing calls the owner's handler explicitly, inside the transaction
that changes the request (never a Django signal), so the owner's state and the request's state
commit or roll back together.

Lock order, everywhere: the owner first (``lock_owner``), then the payment request. Owner services
(e.g. ``dossier_cancel_payment_request``) lock the owner and then call billing; billing services
called from outside (payments) ask the handler to lock the owner before they lock the request, so
two transactions never wait on each other in opposite orders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from civicpay.billing.models import PaymentRequest


class OwnerHandler(Protocol):
    def lock_owner(self, request: PaymentRequest) -> None:
        """Take the row lock on the owner (select_for_update) before billing locks the request."""

    def on_paid(self, request: PaymentRequest) -> None: ...

    def on_cancelled(self, request: PaymentRequest) -> None: ...

    def on_expired(self, request: PaymentRequest) -> None: ...

    def url_for_payer(self, request: PaymentRequest) -> str:
        """Where the payer sees what the request is for (a path, e.g. the dossier's portal page)."""
        ...


_handlers: dict[str, OwnerHandler] = {}


def register_owner(kind: str, handler: OwnerHandler) -> None:
    """Register the handler of ``kind`` (once per process, from the owner app's ``AppConfig.ready``)."""
    existing = _handlers.get(kind)
    if existing is not None and type(existing) is not type(handler):
        raise RuntimeError(f"Payment request owner {kind!r} is already registered by {existing!r}")
    _handlers[kind] = handler


def handler_for(kind: str) -> OwnerHandler:
    try:
        return _handlers[kind]
    except KeyError:
        raise LookupError(f"No payment request owner registered for {kind!r}") from None
