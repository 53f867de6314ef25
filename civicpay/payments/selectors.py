"""Reading payments: which providers an agency offers, what the result page says, what finance checks."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from civicpay.payments.models import PENDING_STATUSES, SUCCESS_STATUSES, Payment, ProviderAccount
from civicpay.payments.providers.base import MethodChoice, enabled_provider_codes, provider_get


def provider_codes_for_agency(*, agency_code: str) -> list[str]:
    """Providers ``agency_code`` offers, in display order, among those enabled in settings.

    An agency with no ``ProviderAccount`` rows offers every enabled provider (the embedded demo);
    once it has rows, only its enabled rows count.
    """
    enabled = enabled_provider_codes()
    rows = list(ProviderAccount.objects.filter(agency_code=agency_code).order_by("display_order", "provider"))
    if not rows:
        return enabled
    return [row.provider for row in rows if row.is_enabled and row.provider in enabled]


@dataclass(frozen=True, slots=True)
class ProviderChoice:
    code: str
    name: str
    methods: tuple[MethodChoice, ...]
    notice: str = ""


def provider_choices_for_agency(*, agency_code: str) -> list[ProviderChoice]:
    """What the "choose an intermediary" page lists (seed 000, step 3)."""
    choices = []
    for code in provider_codes_for_agency(agency_code=agency_code):
        adapter = provider_get(code)
        choices.append(
            ProviderChoice(code=code, name=adapter.name, methods=adapter.methods, notice=str(adapter.payer_notice))
        )
    return choices


@dataclass(frozen=True, slots=True)
class PaymentStatusView:
    """What the result page shows: ``state`` is ``processing``, ``success``, ``failed`` or ``review``."""

    status: str
    state: str
    message: str
    is_final: bool


def payment_status_view(payment: Payment) -> PaymentStatusView:
    """The payer-facing state of ``payment``. The browser's return never changes it: only an IPN
    or a status query does, so until then it says "đang xử lý"."""
    status = payment.payment_status
    if status in SUCCESS_STATUSES:
        return PaymentStatusView(status, "success", _("Thanh toán thành công."), True)
    if payment.needs_reconciliation:
        return PaymentStatusView(
            status,
            "review",
            _(
                "Cổng thanh toán báo đã nhận tiền sau khi giao dịch kết thúc. Cơ quan thu sẽ đối soát và liên hệ với bạn."
            ),
            True,
        )
    if status in PENDING_STATUSES:
        return PaymentStatusView(status, "processing", _("Đang xử lý giao dịch, vui lòng chờ trong giây lát…"), False)
    return PaymentStatusView(
        status,
        "failed",
        payment.failure_message or _("Giao dịch không thành công. Bạn có thể thanh toán lại."),
        True,
    )


def payments_for_payable(*, kind: str, payable_id: str) -> QuerySet[Payment]:
    """Every attempt to pay one payable, newest first (a notice's payment history)."""
    return Payment.objects.filter(items__payable_kind=kind, items__payable_id=payable_id).order_by("-created_at", "-id")


def payments_needing_reconciliation() -> QuerySet[Payment]:
    """Late successes and overpayments awaiting finance, oldest flag first."""
    return Payment.objects.filter(needs_reconciliation=True).order_by("flagged_at", "id")
