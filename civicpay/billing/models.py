"""Payment requests: what a payer owes (a dossier's fee notice, later a store order's invoice).

Billing knows its owner only as ``(owner_kind, owner_id)``; the owner app registers a handler in
``civicpay.billing.registry`` to hear when a request is paid, cancelled or expires.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicpay.directory.models import FeeKind


class PaymentRequestStatus(models.TextChoices):
    ISSUED = "issued", _("Chờ thanh toán")
    PAID = "paid", _("Đã thanh toán")
    CANCELLED = "cancelled", _("Đã hủy")
    EXPIRED = "expired", _("Quá hạn")


# The only allowed moves of a payment request; everything else raises billing.errors.IllegalTransition.
REQUEST_TRANSITIONS: dict[str, set[str]] = {
    PaymentRequestStatus.ISSUED: {
        PaymentRequestStatus.PAID,
        PaymentRequestStatus.CANCELLED,
        PaymentRequestStatus.EXPIRED,
    },
    PaymentRequestStatus.PAID: set(),
    PaymentRequestStatus.CANCELLED: set(),
    PaymentRequestStatus.EXPIRED: set(),
}

CURRENT_STATUSES = (PaymentRequestStatus.ISSUED, PaymentRequestStatus.PAID)


@dataclass
class KindGroup:
    """The lines of one fee kind (phí / lệ phí / nghĩa vụ tài chính) with their subtotal."""

    kind: str
    label: str
    lines: list[PaymentRequestLine] = field(default_factory=list)
    subtotal: int = 0


class PaymentRequest(models.Model):
    """A fee notice (thông báo thu phí): lines, payer, total in integer VND, due date; paid at most once."""

    number = models.CharField(_("số thông báo"), max_length=24, unique=True)
    owner_kind = models.CharField(max_length=32)
    owner_id = models.BigIntegerField()
    owner_reference = models.CharField(_("mã hồ sơ"), max_length=64)
    agency = models.ForeignKey(
        "directory.Agency", on_delete=models.PROTECT, related_name="payment_requests", verbose_name=_("cơ quan")
    )
    payer_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="payment_requests"
    )
    payer_organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="payment_requests"
    )
    payer_name = models.CharField(_("người nộp"), max_length=255)
    payer_email = models.EmailField(_("e-mail người nộp"), blank=True)
    payer_phone = models.CharField(_("điện thoại người nộp"), max_length=15, blank=True)
    description = models.CharField(_("nội dung"), max_length=500)
    total = models.BigIntegerField(_("tổng số tiền (VNĐ)"))
    due_date = models.DateField(_("hạn thanh toán"))
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=PaymentRequestStatus.choices, default=PaymentRequestStatus.ISSUED
    )
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("thời điểm phát hành"))
    paid_at = models.DateTimeField(_("thời điểm thanh toán"), null=True, blank=True)
    payment_reference = models.CharField(_("mã giao dịch"), max_length=64, blank=True)
    cancelled_at = models.DateTimeField(_("thời điểm hủy"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancel_reason = models.CharField(_("lý do hủy"), max_length=500, blank=True)
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by", verbose_name=_("thay thế")
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(total__gt=0), name="payment_request_total_positive"),
            # At most one live (issued or paid) request per owner: a second officer's click cannot
            # bill the same dossier twice, whatever the application code does.
            models.UniqueConstraint(
                fields=["owner_kind", "owner_id"],
                condition=models.Q(status__in=["issued", "paid"]),
                name="one_current_payment_request_per_owner",
            ),
        ]
        indexes = [
            models.Index(fields=["owner_kind", "owner_id"]),
            models.Index(fields=["payer_user", "issued_at"]),
            models.Index(fields=["payer_organisation", "issued_at"]),
            models.Index(fields=["status", "due_date"]),
        ]
        verbose_name = _("thông báo thu phí")
        verbose_name_plural = _("thông báo thu phí")

    def __str__(self) -> str:
        return f"{self.number} ({self.owner_reference})"

    @property
    def is_payable(self) -> bool:
        return self.status == PaymentRequestStatus.ISSUED

    @property
    def lines_by_kind(self) -> list[KindGroup]:
        """Lines grouped by fee kind in the order phí, lệ phí, nghĩa vụ tài chính, each with a subtotal
        (the notice prints them this way; the kinds are reported separately)."""
        return lines_by_kind(self.lines.all())


def lines_by_kind(lines: Iterable[PaymentRequestLine]) -> list[KindGroup]:
    """``PaymentRequest.lines_by_kind`` of ``lines`` read some other way (in their order)."""
    groups = {kind: KindGroup(kind=kind, label=str(label)) for kind, label in FeeKind.choices}
    for line in lines:
        group = groups.setdefault(line.kind, KindGroup(kind=line.kind, label=line.kind))
        group.lines.append(line)
        group.subtotal += line.amount
    return [group for group in groups.values() if group.lines]


class PaymentRequestLine(models.Model):
    request = models.ForeignKey(PaymentRequest, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("loại"), max_length=24, choices=FeeKind.choices)
    description = models.CharField(_("nội dung"), max_length=255)
    amount = models.BigIntegerField(_("số tiền (VNĐ)"))
    schedule_amount = models.BigIntegerField(_("số tiền theo biểu phí"), null=True, blank=True)
    change_reason = models.CharField(_("lý do thay đổi"), max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["request", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="payment_request_line_amount_not_negative")
        ]
        verbose_name = _("khoản thu")
        verbose_name_plural = _("khoản thu")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description} {self.amount}"


class ReceiptState(models.TextChoices):
    """Where a receipt stands (derived from ``cancelled_at`` / ``replaced_at``, not stored)."""

    VALID = "valid", _("Còn hiệu lực")
    REPLACED = "replaced", _("Đã bị thay thế")
    CANCELLED = "cancelled", _("Đã hủy")


class Receipt(models.Model):
    """The receipt for fees paid (biên lai thu phí, lệ phí): one per paid payment request, plus one per
    replacement (each with its own number, ``replaces`` pointing at the one it corrects).

    Numbered like an e-receipt: mẫu số (``template_code``), ký hiệu (``series``, per agency and year)
    and số (``number``, gap-free within agency + series: taken from a locked counter inside the
    transaction that records the payment, so a rolled-back payment gives its number back). Everything
    printed is copied here when the receipt is issued, so later edits to the notice, the agency or the
    fee schedule never change a receipt. The PDF is rendered on demand (``billing.receipts``).
    """

    agency = models.ForeignKey(
        "directory.Agency", on_delete=models.PROTECT, related_name="receipts", verbose_name=_("cơ quan thu")
    )
    # A request has one receipt, unless it was replaced (a new receipt with a new number, see ``replaces``):
    # then every version stays, and at most one is not replaced (constraint below).
    payment_request = models.ForeignKey(
        PaymentRequest, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("thông báo thu phí")
    )
    template_code = models.CharField(_("mẫu số"), max_length=20)
    series = models.CharField(_("ký hiệu"), max_length=20)
    number = models.PositiveIntegerField(_("số"))
    payer_name = models.CharField(_("người nộp"), max_length=255)
    payer_address = models.CharField(_("địa chỉ người nộp"), max_length=255, blank=True)
    owner_reference = models.CharField(_("mã hồ sơ"), max_length=64)
    description = models.CharField(_("nội dung"), max_length=500)
    amount = models.BigIntegerField(_("số tiền (VNĐ)"))
    lines = models.JSONField(_("khoản thu"), default=list)
    payment_reference = models.CharField(_("mã giao dịch"), max_length=64)
    payment_provider = models.CharField(_("đơn vị trung gian thanh toán"), max_length=20)
    payment_method = models.CharField(_("hình thức thanh toán"), max_length=255)
    provider_transaction_no = models.CharField(_("mã giao dịch tại cổng"), max_length=64, blank=True)
    paid_at = models.DateTimeField(_("thời điểm thanh toán"))
    issued_at = models.DateTimeField(_("thời điểm phát hành"))
    # Cancelling (e.g. after a refund, billing.receipts.receipt_cancel): the receipt stays, marked; its
    # documents stay too, and a cancellation document references the original.
    cancelled_at = models.DateTimeField(_("thời điểm hủy"), null=True, blank=True)
    cancel_reason = models.CharField(_("lý do hủy"), max_length=500, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Replacing (wrong payer name or address, billing.receipts.receipt_replace): a new receipt with a new
    # number that ``replaces`` this one; this one gets ``replaced_at`` and otherwise stays as issued.
    replaces = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
        verbose_name=_("thay thế cho biên lai"),
    )
    replace_reason = models.CharField(_("lý do thay thế"), max_length=500, blank=True)
    replaced_at = models.DateTimeField(_("thời điểm bị thay thế"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The officer who issued a replacement; empty for a receipt issued with the payment",
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "series", "number"], name="receipt_number_unique_per_series"),
            models.UniqueConstraint(
                fields=["payment_request"],
                condition=models.Q(replaced_at__isnull=True),
                name="one_current_receipt_per_request",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="receipt_amount_positive"),
        ]
        verbose_name = _("biên lai")
        verbose_name_plural = _("biên lai")

    def __str__(self) -> str:
        return f"{self.template_code} {self.series} {self.number_display}"

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def is_replaced(self) -> bool:
        return self.replaced_at is not None

    @property
    def is_valid(self) -> bool:
        """Neither cancelled nor replaced: the receipt that counts for its payment request."""
        return self.cancelled_at is None and self.replaced_at is None

    @property
    def state(self) -> ReceiptState:
        if self.cancelled_at is not None:
            return ReceiptState.CANCELLED
        return ReceiptState.REPLACED if self.replaced_at is not None else ReceiptState.VALID

    @property
    def number_display(self) -> str:
        """Số biên lai as printed: seven digits, ``0000042``."""
        return f"{self.number:07d}"
