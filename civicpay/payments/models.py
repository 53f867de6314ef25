"""Payments, their items, raw provider callbacks, the double-entry ledger, and agencies' providers.

Money is an integer number of VND everywhere; times are stored in UTC. The status field of a
payment only ever moves through ``civicpay.payments.states`` (one table) inside services.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicpay.payments.states import TERMINAL, PaymentStatus


class PaymentStatusChoices(models.TextChoices):
    CREATED = PaymentStatus.CREATED.value, _("Mới tạo")
    STARTED = PaymentStatus.STARTED.value, _("Đã chuyển sang cổng thanh toán")
    SUBMITTED = PaymentStatus.SUBMITTED.value, _("Đang chờ kết quả")
    SUCCESS = PaymentStatus.SUCCESS.value, _("Thành công")
    PARTIALLY_REFUNDED = PaymentStatus.PARTIALLY_REFUNDED.value, _("Đã hoàn một phần")
    REFUNDED = PaymentStatus.REFUNDED.value, _("Đã hoàn tiền")
    FAILED = PaymentStatus.FAILED.value, _("Không thành công")
    CANCELLED = PaymentStatus.CANCELLED.value, _("Đã hủy")
    EXPIRED = PaymentStatus.EXPIRED.value, _("Hết hạn")
    ERROR = PaymentStatus.ERROR.value, _("Lỗi")


PENDING_STATUSES = (PaymentStatus.CREATED, PaymentStatus.STARTED, PaymentStatus.SUBMITTED)
SUCCESS_STATUSES = (PaymentStatus.SUCCESS, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


class Payment(models.Model):
    """One attempt to pay one or more payables through one provider and method."""

    reference = models.CharField(_("mã giao dịch"), max_length=32, unique=True)
    provider = models.CharField(_("đơn vị trung gian thanh toán"), max_length=20)
    method = models.CharField(_("phương thức"), max_length=20, blank=True)
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=PaymentStatusChoices.choices, default=PaymentStatus.CREATED
    )
    amount = models.BigIntegerField(_("số tiền (VNĐ)"))
    currency = models.CharField(max_length=3, default="VND", editable=False)
    agency_code = models.CharField(_("mã cơ quan"), max_length=32, db_index=True)
    description = models.CharField(_("nội dung"), max_length=255)
    payer_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    payer_name = models.CharField(_("người nộp"), max_length=255)
    payer_email = models.EmailField(_("e-mail người nộp"), blank=True)
    payer_phone = models.CharField(_("điện thoại người nộp"), max_length=15, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    locale = models.CharField(max_length=8, default="vi")
    return_url = models.CharField(_("trang kết quả"), max_length=500)

    created_at = models.DateTimeField(_("thời điểm tạo"))
    started_at = models.DateTimeField(_("thời điểm chuyển cổng"), null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(_("thời điểm hoàn tất"), null=True, blank=True)
    expires_at = models.DateTimeField(_("hết hạn lúc"))

    provider_transaction_no = models.CharField(_("mã giao dịch tại cổng"), max_length=64, blank=True)
    provider_response_code = models.CharField(max_length=16, blank=True)
    bank_code = models.CharField(_("ngân hàng"), max_length=20, blank=True)
    card_type = models.CharField(max_length=20, blank=True)
    card_masked = models.CharField(_("số thẻ"), max_length=32, blank=True)
    paid_at = models.DateTimeField(_("thời điểm cổng ghi nhận"), null=True, blank=True)
    failure_code = models.CharField(max_length=16, blank=True)
    failure_message = models.CharField(_("lý do không thành công"), max_length=500, blank=True)

    needs_reconciliation = models.BooleanField(_("cần đối soát"), default=False)
    reconciliation_reason = models.CharField(_("lý do đối soát"), max_length=500, blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True)
    last_queried_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "started_at"]),
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["payer_user", "-created_at"]),
            models.Index(fields=["needs_reconciliation", "flagged_at"]),
        ]
        verbose_name = _("giao dịch thanh toán")
        verbose_name_plural = _("giao dịch thanh toán")

    def __str__(self) -> str:
        return f"{self.reference} {self.provider} {self.amount} ({self.status})"

    @property
    def payment_status(self) -> PaymentStatus:
        return PaymentStatus(self.status)

    @property
    def is_final(self) -> bool:
        return self.payment_status in TERMINAL or self.payment_status in SUCCESS_STATUSES

    @property
    def is_success(self) -> bool:
        return self.payment_status in SUCCESS_STATUSES


class ItemOutcome(models.TextChoices):
    PENDING = "pending", _("Chờ kết quả")
    SETTLED = "settled", _("Đã ghi nhận")
    OVERPAID = "overpaid", _("Thanh toán thừa, chờ hoàn")


class PaymentItem(models.Model):
    """One payable inside a payment (``payable_kind``/``payable_id`` as the owning app names it)."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="items")
    payable_kind = models.CharField(max_length=40)
    payable_id = models.CharField(max_length=64)
    reference = models.CharField(_("mã tham chiếu"), max_length=100)
    description = models.CharField(_("nội dung"), max_length=500)
    amount = models.BigIntegerField(_("số tiền (VNĐ)"))
    outcome = models.CharField(max_length=10, choices=ItemOutcome.choices, default=ItemOutcome.PENDING)
    outcome_note = models.CharField(max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["payment", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_item_amount_positive"),
            models.UniqueConstraint(fields=["payment", "payable_kind", "payable_id"], name="one_item_per_payable"),
        ]
        indexes = [models.Index(fields=["payable_kind", "payable_id"])]

    def __str__(self) -> str:
        return f"{self.payable_kind}:{self.payable_id} {self.amount}"


class PaymentAllocation(models.Model):
    """How an item's money is credited in the ledger on success (revenue by fee kind)."""

    item = models.ForeignKey(PaymentItem, on_delete=models.CASCADE, related_name="allocations")
    account_code = models.CharField(max_length=80)
    label = models.CharField(max_length=255, blank=True)
    amount = models.BigIntegerField()

    class Meta:
        ordering = ["item", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_allocation_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.account_code} {self.amount}"


class CallbackKind(models.TextChoices):
    IPN = "ipn", _("Thông báo từ cổng (IPN)")
    RETURN = "return", _("Trình duyệt quay về")
    QUERY = "query", _("Kết quả truy vấn")


class CallbackOutcome(models.TextChoices):
    RECEIVED = "received", _("Đã nhận, chưa xử lý")
    APPLIED = "applied", _("Đã áp dụng")
    DUPLICATE = "duplicate", _("Trùng, không thay đổi")
    REJECTED = "rejected", _("Từ chối")
    FLAGGED = "flagged", _("Đã lưu, cần đối soát")
    IGNORED = "ignored", _("Đã lưu, không áp dụng")
    ERROR = "error", _("Lỗi khi xử lý")


class ProviderCallbackQuerySet(models.QuerySet["ProviderCallback"]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Provider callbacks are append-only")


class ProviderCallback(models.Model):
    """Every message a provider sent us (or answered), stored *before* it is applied.

    ``raw`` and ``dedupe_key`` never change. The processing columns (``outcome``, ``reply_code``,
    ``payment``, ``processed_at``) record what we did with the first copy; identical copies only
    bump ``times_received``.
    """

    provider = models.CharField(max_length=20)
    kind = models.CharField(max_length=10, choices=CallbackKind.choices)
    raw = models.JSONField()
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    received_at = models.DateTimeField(db_index=True)
    dedupe_key = models.CharField(max_length=64, unique=True)
    times_received = models.PositiveIntegerField(default=1)
    last_received_at = models.DateTimeField()
    signature_valid = models.BooleanField(null=True)
    outcome = models.CharField(max_length=10, choices=CallbackOutcome.choices, default=CallbackOutcome.RECEIVED)
    reply_code = models.CharField(max_length=20, blank=True)
    note = models.CharField(max_length=500, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="callbacks")

    objects = ProviderCallbackQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("thông báo từ cổng thanh toán")
        verbose_name_plural = _("thông báo từ cổng thanh toán")

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} {self.outcome} {self.reply_code}"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Provider callbacks are append-only")


class AccountKind(models.TextChoices):
    ASSET = "asset", _("Tài sản")
    LIABILITY = "liability", _("Nợ phải trả")
    REVENUE = "revenue", _("Thu")


class LedgerAccount(models.Model):
    """An account of the journal, named by code: ``clearing:vnpay``, ``revenue:G22.01:fee``,
    ``refund_due:G22.01``, ``suspense:G22.01`` (see docs/payments.md)."""

    code = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=10, choices=AccountKind.choices)
    name = models.CharField(max_length=255)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class LedgerEntry(models.Model):
    """One balanced journal entry. ``key`` makes posting idempotent: one success → one entry."""

    key = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=30)
    description = models.CharField(max_length=500)
    posted_at = models.DateTimeField(db_index=True)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries")

    class Meta:
        ordering = ["posted_at", "id"]
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return self.key


class LedgerLine(models.Model):
    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="lines")
    debit = models.BigIntegerField(default=0)
    credit = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["entry", "id"]
        constraints = [
            # Exactly one side is positive, the other zero.
            models.CheckConstraint(
                condition=(models.Q(debit__gt=0) & models.Q(credit=0)) | (models.Q(debit=0) & models.Q(credit__gt=0)),
                name="ledger_line_one_side",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} D{self.debit} C{self.credit}"


class ProviderAccount(models.Model):
    """Which providers an agency offers, in which order. Credentials are not stored here: they come
    from settings (``VNPAY_*`` …); per-agency merchants are configured as described in docs/payments.md."""

    agency_code = models.CharField(_("mã cơ quan"), max_length=32)
    provider = models.CharField(_("đơn vị trung gian thanh toán"), max_length=20)
    is_enabled = models.BooleanField(_("đang sử dụng"), default=True)
    display_order = models.PositiveSmallIntegerField(_("thứ tự hiển thị"), default=0)

    class Meta:
        ordering = ["agency_code", "display_order", "provider"]
        constraints = [
            models.UniqueConstraint(fields=["agency_code", "provider"], name="one_provider_account_per_agency"),
        ]
        verbose_name = _("đơn vị thanh toán của cơ quan")
        verbose_name_plural = _("đơn vị thanh toán của cơ quan")

    def __str__(self) -> str:
        return f"{self.agency_code}: {self.provider}"
