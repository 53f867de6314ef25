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
    # Settlement of the payables (billing, dossier, receipt, messages) after the success: done by the
    # worker's ``payments.settle`` job in its own transaction (decisions 0011, 0013). Null while it is due:
    # a success with no settled_at is the settlement's queue (the partial index below).
    settled_at = models.DateTimeField(_("thời điểm ghi nhận khoản thu"), null=True, blank=True)

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
            models.Index(
                fields=["completed_at"],
                condition=models.Q(status="success", settled_at__isnull=True),
                name="payment_settlement_due_idx",
            ),
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


# --- Automatic debit (Đăng ký thanh toán trực tuyến, seed 002 §I) — engineer R, civicpay/payments/debit.py ---


class DebitRegistrationStatus(models.TextChoices):
    """Where an organisation's registration for automatic debit stands (the seed's wording)."""

    PENDING = "pending", _("Chờ ngân hàng duyệt")
    ACTIVE = "active", _("Yêu cầu đã được đăng ký thành công")
    REJECTED = "rejected", _("Ngân hàng từ chối")
    CANCELLED = "cancelled", _("Đã hủy")


LIVE_DEBIT_REGISTRATION_STATUSES = (DebitRegistrationStatus.PENDING, DebitRegistrationStatus.ACTIVE)


class DebitRegistration(models.Model):
    """An organisation's authority for the bank to debit its account for fees (seed 002 §I.1).

    The organisation's details are copied at registration (they are what was printed, signed and
    stamped on the form); the bank approves or rejects it and tells us through a signed notification.
    At most one live (pending or active) registration per organisation and bank.
    """

    reference = models.CharField(_("mã đăng ký"), max_length=24, unique=True)
    provider = models.CharField(_("ngân hàng"), max_length=20)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="debit_registrations"
    )
    organisation_name = models.CharField(_("tên tổ chức"), max_length=255)
    tax_code = models.CharField(_("mã số thuế"), max_length=14)
    address = models.CharField(_("địa chỉ"), max_length=255)
    representative_name = models.CharField(_("người đại diện"), max_length=150)
    representative_position = models.CharField(_("chức vụ"), max_length=100, blank=True)
    representative_phone = models.CharField(_("điện thoại"), max_length=15, blank=True)
    representative_email = models.EmailField(_("e-mail"), blank=True)
    account_number = models.CharField(_("số tài khoản"), max_length=19)
    account_holder = models.CharField(_("chủ tài khoản"), max_length=150)
    status = models.CharField(
        _("trạng thái"),
        max_length=12,
        choices=DebitRegistrationStatus.choices,
        default=DebitRegistrationStatus.PENDING,
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("ngày đăng ký"))
    sent_at = models.DateTimeField(_("đã gửi ngân hàng lúc"), null=True, blank=True)
    send_attempts = models.PositiveSmallIntegerField(default=0)
    last_send_error = models.CharField(max_length=500, blank=True)
    bank_reference = models.CharField(_("mã hồ sơ tại ngân hàng"), max_length=40, blank=True)
    decided_at = models.DateTimeField(_("ngân hàng xử lý lúc"), null=True, blank=True)
    rejection_reason = models.CharField(_("lý do từ chối"), max_length=500, blank=True)
    cancelled_at = models.DateTimeField(_("hủy lúc"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancel_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "provider"],
                condition=models.Q(status__in=["pending", "active"]),
                name="one_live_debit_registration_per_organisation",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "-created_at"])]
        verbose_name = _("đăng ký thanh toán trực tuyến")
        verbose_name_plural = _("đăng ký thanh toán trực tuyến")

    def __str__(self) -> str:
        return f"{self.reference} {self.organisation_name} ({self.status})"

    @property
    def account_masked(self) -> str:
        """The account number as shown in lists: the last four digits only."""
        return "•" * max(len(self.account_number) - 4, 0) + self.account_number[-4:]


class DebitRequest(models.Model):
    """Links a debit payment to the registration it debits (one payment, one debit, all or nothing)."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="debit_request")
    registration = models.ForeignKey(DebitRegistration, on_delete=models.PROTECT, related_name="debits")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.payment_id} ← {self.registration_id}"


class ProviderNonce(models.Model):
    """A nonce a signed-gateway provider has used (docs/protocols/signed-gateway.md, replay protection).

    A message is accepted only if its timestamp is within the freshness window and its nonce is new
    for that provider; the unique constraint makes "new" hold under concurrency. Rows older than the
    window are useless (such messages are refused as stale anyway) and are pruned periodically.
    """

    provider = models.CharField(max_length=20)
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "nonce"], name="provider_nonce_unique")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.nonce}"


# --- VietQR bank transfers (engineer S, civicpay/payments/transfers.py, docs/protocols/vietqr.md) ---------


class TransferStatus(models.TextChoices):
    MATCHED = "matched", _("Đã ghi nhận tự động")
    REVIEW = "review", _("Chờ kế toán xử lý")


class IncomingTransfer(models.Model):
    """One transfer the bank reported into a receiving account, once per ``bank_transaction_id``.

    Written in the same transaction as its effect: the payment it paid (exact match) or the
    :class:`TransferReview` item and the suspense ledger entry. The raw notification is the
    ``callback`` (stored first, append-only).
    """

    bank_transaction_id = models.CharField(_("mã giao dịch ngân hàng"), max_length=64, unique=True)
    account = models.CharField(_("tài khoản nhận"), max_length=32)
    amount = models.BigIntegerField(_("số tiền (VNĐ)"))
    memo = models.CharField(_("nội dung chuyển khoản"), max_length=255, blank=True)
    transferred_at = models.DateTimeField(_("thời điểm chuyển"))
    sender_name = models.CharField(_("người chuyển"), max_length=255, blank=True)
    sender_account = models.CharField(_("tài khoản chuyển"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("thời điểm nhận thông báo"))
    agency_code = models.CharField(_("mã cơ quan"), max_length=32, blank=True, db_index=True)
    status = models.CharField(_("trạng thái"), max_length=10, choices=TransferStatus.choices)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="incoming_transfers"
    )
    callback = models.ForeignKey(ProviderCallback, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="incoming_transfer_amount_positive"),
        ]
        verbose_name = _("giao dịch chuyển khoản đến")
        verbose_name_plural = _("giao dịch chuyển khoản đến")

    def __str__(self) -> str:
        return f"{self.bank_transaction_id} {self.amount} ({self.status})"


class ReviewReason(models.TextChoices):
    WRONG_AMOUNT = "wrong_amount", _("Sai số tiền")
    NO_CODE = "no_code", _("Không tìm thấy mã thanh toán")
    DUPLICATE = "duplicate", _("Thanh toán trùng")
    CLOSED = "closed", _("Giao dịch thanh toán đã kết thúc")


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("Chờ xử lý")
    APPLIED = "applied", _("Đã ghi nhận cho khoản thu")
    REFUND_DUE = "refund_due", _("Chờ hoàn trả")


class TransferReview(models.Model):
    """A transfer that did not match exactly, in the agency's finance queue. Its money sits in
    ``suspense_account`` until finance applies it to a payable or marks it for refund.

    ``agency_code`` is empty when nothing tells which agency it is for (no payment code, sent to
    the shared default account): every agency collecting on that account sees it, and the first
    finance officer who acts on it takes it for their agency (audited).
    """

    transfer = models.OneToOneField(IncomingTransfer, on_delete=models.PROTECT, related_name="review")
    agency_code = models.CharField(_("mã cơ quan"), max_length=32, blank=True, db_index=True)
    reason = models.CharField(_("lý do"), max_length=20, choices=ReviewReason.choices)
    detail = models.CharField(_("chi tiết"), max_length=500, blank=True)
    status = models.CharField(_("trạng thái"), max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    suspense_account = models.CharField(max_length=80)
    suggested_payment = models.ForeignKey(
        Payment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("giao dịch liên quan"),
    )
    applied_payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("ghi nhận bằng")
    )
    refund_amount = models.BigIntegerField(_("số tiền hoàn trả"), default=0)
    resolution_note = models.CharField(_("ghi chú xử lý"), max_length=500, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(_("xử lý lúc"), null=True, blank=True)
    created_at = models.DateTimeField(_("thời điểm tạo"))

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["agency_code", "status", "created_at"])]
        verbose_name = _("chuyển khoản cần xử lý")
        verbose_name_plural = _("chuyển khoản cần xử lý")

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.reason} ({self.status})"
