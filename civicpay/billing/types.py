"""Typed values passed into billing services."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from civicpay.billing.errors import BillingError
from civicpay.directory.models import FeeKind


@dataclass(frozen=True)
class LineInput:
    """One line of a payment request as an officer (or an order) sets it.

    ``schedule_amount`` is what the fee schedule says; when the officer changes it, the reason is
    required so the change can be audited. ``set_by_officer`` marks schedule lines that have no
    fixed amount (the officer must enter one). Validated on construction, so an invalid line never
    reaches a service.
    """

    kind: str
    description: str
    amount: int
    schedule_amount: int | None = None
    change_reason: str = ""
    set_by_officer: bool = False

    def __post_init__(self) -> None:
        if self.kind not in FeeKind.values:
            raise BillingError(_("Loại khoản thu không hợp lệ"))
        if not self.description.strip():
            raise BillingError(_("Nhập nội dung khoản thu"))
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 0:
            raise BillingError(_("Số tiền phải là số nguyên không âm (đồng)"))
        if self.schedule_amount is not None and self.amount != self.schedule_amount and not self.change_reason.strip():
            raise BillingError(_("Nhập lý do thay đổi số tiền"))
