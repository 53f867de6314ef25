"""Sandbox state. Only the gateway simulators persist anything; the dev mailbox uses notifications' tables.

VNPay sandbox (``civicpay/sandbox/vnpay``, docs/sandbox.md): the transactions merchants opened through the
pay URL, every IPN delivery and each attempt at it, and refunds — the gateway's side of the story, kept
so a "money did not arrive" investigation can see exactly what was sent, when, and what the merchant said.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicpay.core.money import format_vnd

# --- Callback deliveries, shared by every gateway simulator (civicpay/sandbox/notify.py) -------------


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Đang gửi")
    DELIVERED = "delivered", _("Đã gửi")
    GAVE_UP = "gave_up", _("Ngừng gửi")


class Delivery(models.Model):
    """A server-to-server callback a gateway delivers to the merchant, retried until acknowledged."""

    url = models.CharField(max_length=1000)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class DeliveryAttempt(models.Model):
    """One HTTP request of a delivery and what the merchant answered (or why there was no answer)."""

    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    outcome = models.CharField(max_length=10, choices=DeliveryStatus.choices)

    class Meta:
        abstract = True


class VnpayStep(models.TextChoices):
    """Where the payer is in the gateway's pages; ``done`` once the transaction has an outcome."""

    METHOD = "method", _("Chọn ngân hàng")
    CARD = "card", _("Nhập thông tin thẻ")
    OTP = "otp", _("Nhập mã OTP")
    DONE = "done", _("Đã kết thúc")


class VnpayTransaction(models.Model):
    """One payment a merchant opened with ``vpcpay.html``; ``response_code`` is set once, when it ends."""

    token = models.CharField(max_length=64, unique=True)
    tmn_code = models.CharField(max_length=20)
    txn_ref = models.CharField(max_length=100)
    amount_vnd = models.BigIntegerField()
    order_info = models.CharField(max_length=255)
    order_type = models.CharField(max_length=100, blank=True)
    locale = models.CharField(max_length=5, blank=True)
    return_url = models.CharField(max_length=1000)
    ipn_url = models.CharField(max_length=1000)
    ip_addr = models.CharField(max_length=64, blank=True)
    vnp_create_date = models.CharField(max_length=14, help_text="vnp_CreateDate as sent (querydr's TransactionDate)")
    expire_at = models.DateTimeField()
    request_params = models.JSONField(default=dict)

    step = models.CharField(max_length=10, choices=VnpayStep.choices, default=VnpayStep.METHOD)
    bank_code = models.CharField(max_length=20, blank=True)
    bank_chosen_by_merchant = models.BooleanField(default=False)
    card_number = models.CharField(max_length=19, blank=True)
    card_holder = models.CharField(max_length=100, blank=True)
    otp_failures = models.PositiveSmallIntegerField(default=0)

    response_code = models.CharField(max_length=2, blank=True)
    transaction_no = models.CharField(max_length=20, blank=True)
    pay_date = models.DateTimeField(null=True, blank=True)
    result_params = models.JSONField(default=dict, blank=True)
    refunded_vnd = models.BigIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tmn_code", "txn_ref", "vnp_create_date"], name="sandbox_vnpay_txn_unique_per_request"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tmn_code}/{self.txn_ref}"

    @property
    def is_finished(self) -> bool:
        return self.step == VnpayStep.DONE

    @property
    def is_success(self) -> bool:
        return self.response_code == "00"

    @property
    def amount_text(self) -> str:
        return format_vnd(self.amount_vnd)

    @property
    def card_number_masked(self) -> str:
        """What the transaction log shows: the BIN and the last four digits, as gateways print it."""
        if len(self.card_number) < 10:
            return self.card_number
        return f"{self.card_number[:6]}{'x' * (len(self.card_number) - 10)}{self.card_number[-4:]}"


class VnpayIpn(Delivery):
    """One IPN to deliver (a test card may ask for two identical ones), retried until acknowledged."""

    transaction = models.ForeignKey(VnpayTransaction, on_delete=models.CASCADE, related_name="ipns")
    copy = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["transaction_id", "copy", "pk"]

    def __str__(self) -> str:
        return f"IPN {self.copy} of {self.transaction}"


class VnpayIpnAttempt(DeliveryAttempt):
    """One HTTP GET of an IPN and what the merchant answered (or why there was no answer)."""

    ipn = models.ForeignKey(VnpayIpn, on_delete=models.CASCADE, related_name="attempt_log")
    rsp_code = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["ipn_id", "number"]

    def __str__(self) -> str:
        return f"{self.ipn} #{self.number}"


class VnpayRefund(models.Model):
    """A refund accepted by the ``merchant_webapi`` (``02`` full, ``03`` partial); ``request_id`` is unique."""

    transaction = models.ForeignKey(VnpayTransaction, on_delete=models.CASCADE, related_name="refunds")
    tmn_code = models.CharField(max_length=20)
    request_id = models.CharField(max_length=32)
    transaction_type = models.CharField(max_length=2)
    amount_vnd = models.BigIntegerField()
    create_by = models.CharField(max_length=250, blank=True)
    refund_transaction_no = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["transaction_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tmn_code", "request_id"], name="sandbox_vnpay_refund_request_unique")
        ]

    def __str__(self) -> str:
        return f"refund {self.request_id} of {self.transaction}"


# --- Signed gateway protocol sandboxes (civicpay/sandbox/signed; ViettelPay, national platform, VietinBank) ---


class SignedStep(models.TextChoices):
    """Where the payer is on the gateway's pages; each gateway uses the steps it needs."""

    METHOD = "method", _("Chọn hình thức thanh toán")
    WALLET = "wallet", _("Xác nhận bằng ví")
    BANK = "bank", _("Chọn ngân hàng")
    CARD = "card", _("Nhập thông tin thẻ")
    OTP = "otp", _("Nhập mã OTP")
    CONFIRM = "confirm", _("Xác nhận thanh toán")
    DONE = "done", _("Đã kết thúc")


class SignedTransaction(models.Model):
    """One payment a merchant opened with ``<gateway>/pay``; ``status`` is set once, when it ends.

    ``gateway`` is the sandbox's code (``viettelpay``, ``national``, ``vietinbank``); ``order_id`` is
    unique per gateway and merchant, as gateways require. No card number is kept, only its mask.
    """

    gateway = models.CharField(max_length=20)
    token = models.CharField(max_length=64, unique=True)
    merchant_id = models.CharField(max_length=40)
    order_id = models.CharField(max_length=64)
    amount = models.BigIntegerField()
    order_info = models.CharField(max_length=255, blank=True)
    locale = models.CharField(max_length=5, blank=True)
    return_url = models.CharField(max_length=1000)
    notify_url = models.CharField(max_length=1000)
    request_params = models.JSONField(default=dict)

    step = models.CharField(max_length=10, choices=SignedStep.choices, default=SignedStep.METHOD)
    method = models.CharField(max_length=20, blank=True)
    method_chosen_by_merchant = models.BooleanField(default=False)
    bank_code = models.CharField(max_length=20, blank=True)
    payer_account = models.CharField(max_length=40, blank=True, help_text="wallet phone number, masked card")
    failures = models.PositiveSmallIntegerField(default=0, help_text="wrong PINs/OTPs so far")

    status = models.CharField(max_length=10, blank=True)  # success | failed | cancelled, once finished
    result_code = models.CharField(max_length=4, blank=True)
    message = models.CharField(max_length=255, blank=True)
    transaction_id = models.CharField(max_length=32, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    refunded = models.BigIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "merchant_id", "order_id"], name="sandbox_signed_txn_unique_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.merchant_id}/{self.order_id}"

    @property
    def is_finished(self) -> bool:
        return self.step == SignedStep.DONE

    @property
    def amount_text(self) -> str:
        return format_vnd(self.amount)


class SignedNotification(Delivery):
    """A notification to deliver to ``notify_url``, re-signed on each attempt, until acknowledged."""

    transaction = models.ForeignKey(SignedTransaction, on_delete=models.CASCADE, related_name="notifications")

    class Meta:
        ordering = ["transaction_id", "pk"]

    def __str__(self) -> str:
        return f"notification {self.pk} of {self.transaction}"


class SignedNotificationAttempt(DeliveryAttempt):
    """One POST of a notification and what the merchant answered (or why there was no answer)."""

    notification = models.ForeignKey(SignedNotification, on_delete=models.CASCADE, related_name="attempt_log")
    reply_code = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["notification_id", "number"]

    def __str__(self) -> str:
        return f"{self.notification} #{self.number}"


class SignedRefund(models.Model):
    """A refund accepted by ``<gateway>/api/refund``."""

    transaction = models.ForeignKey(SignedTransaction, on_delete=models.CASCADE, related_name="refunds")
    refund_id = models.CharField(max_length=32, unique=True)
    amount = models.BigIntegerField()
    reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["transaction_id", "pk"]

    def __str__(self) -> str:
        return f"refund {self.refund_id} of {self.transaction}"


# --- MoMo sandbox (civicpay/sandbox/momo, docs/sandbox.md) ----------------------------------------


class MomoTransaction(models.Model):
    """One captureWallet payment a merchant created with ``/v2/gateway/api/create``.

    ``result_code`` is ``None`` while the payer has not answered (MoMo's 1000); it is set once, when
    the payer confirms or declines in the simulated app or the payment expires.
    """

    token = models.CharField(max_length=64, unique=True)
    partner_code = models.CharField(max_length=50)
    request_id = models.CharField(max_length=50)
    order_id = models.CharField(max_length=200)
    amount = models.BigIntegerField()
    order_info = models.CharField(max_length=255)
    redirect_url = models.CharField(max_length=1000)
    ipn_url = models.CharField(max_length=1000)
    extra_data = models.TextField(blank=True)
    lang = models.CharField(max_length=2, default="vi")
    request_params = models.JSONField(default=dict)
    expire_at = models.DateTimeField()

    result_code = models.IntegerField(null=True, blank=True)
    trans_id = models.BigIntegerField(null=True, blank=True)
    wallet_phone = models.CharField(max_length=20, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result_params = models.JSONField(default=dict, blank=True)
    refunded = models.BigIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["partner_code", "order_id"], name="sandbox_momo_order_unique"),
            models.UniqueConstraint(fields=["partner_code", "request_id"], name="sandbox_momo_request_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_code}/{self.order_id}"

    @property
    def is_finished(self) -> bool:
        return self.result_code is not None

    @property
    def is_success(self) -> bool:
        return self.result_code == 0

    @property
    def amount_text(self) -> str:
        return format_vnd(self.amount)


class MomoIpn(Delivery):
    """One IPN to POST to the merchant's ``ipnUrl``, retried until it answers 204 (or 200)."""

    transaction = models.ForeignKey(MomoTransaction, on_delete=models.CASCADE, related_name="ipns")
    copy = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["transaction_id", "copy", "pk"]

    def __str__(self) -> str:
        return f"MoMo IPN {self.copy} of {self.transaction}"


class MomoIpnAttempt(DeliveryAttempt):
    """One POST of an IPN and the merchant's HTTP status (MoMo reads nothing else)."""

    ipn = models.ForeignKey(MomoIpn, on_delete=models.CASCADE, related_name="attempt_log")

    class Meta:
        ordering = ["ipn_id", "number"]

    def __str__(self) -> str:
        return f"{self.ipn} #{self.number}"


class MomoRefund(models.Model):
    """A refund accepted by ``/v2/gateway/api/refund``; each has its own new ``orderId``."""

    transaction = models.ForeignKey(MomoTransaction, on_delete=models.CASCADE, related_name="refunds")
    partner_code = models.CharField(max_length=50)
    order_id = models.CharField(max_length=200)
    request_id = models.CharField(max_length=50)
    amount = models.BigIntegerField()
    description = models.CharField(max_length=255, blank=True)
    trans_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["transaction_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["partner_code", "order_id"], name="sandbox_momo_refund_order_unique")
        ]

    def __str__(self) -> str:
        return f"refund {self.order_id} of {self.transaction}"
