"""Payment errors. ``message`` is Vietnamese text a page may show as is."""

from __future__ import annotations

from django.utils.functional import Promise


class PaymentError(Exception):
    """A payment cannot be created, started or changed as asked."""

    def __init__(self, message: str | Promise) -> None:
        self.message = str(message)
        super().__init__(self.message)


class ProviderNotAvailable(PaymentError):
    """The provider is not enabled (globally, or for the payable's agency)."""


class PayableRefused(Exception):
    """Raised by a payable handler's ``on_success`` when the payable cannot take this money
    (already paid, cancelled, expired). Payments then records the item as an overpayment: the
    payment still succeeds, the money goes to the agency's refund-due account, and the payment is
    flagged for reconciliation. ``reason`` is Vietnamese, shown to finance."""

    def __init__(self, reason: str | Promise) -> None:
        self.reason = str(reason)
        super().__init__(self.reason)


class LedgerImbalance(Exception):
    """A journal entry whose debits and credits differ, or with an invalid line. Always a bug."""
