"""Billing errors. ``message`` is the Vietnamese text a form or page may show as is."""

from __future__ import annotations

from django.utils.functional import Promise


class BillingError(Exception):
    """A payment request cannot be issued, changed or settled as asked."""

    def __init__(self, message: str | Promise) -> None:
        self.message = str(message)
        super().__init__(self.message)


class AlreadyPaid(BillingError):
    """The request was paid before. The payments app records the second payment as an overpayment."""


class IllegalTransition(BillingError):
    """The request's status does not allow this move (only issued → paid | cancelled | expired)."""
