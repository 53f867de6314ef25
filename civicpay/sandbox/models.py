"""Sandbox state. Only the gateway simulators persist anything; the dev mailbox uses notifications' tables.

VNPay sandbox (``civicpay/sandbox/vnpay``, docs/sandbox.md): the transactions merchants opened through the
pay URL, every IPN delivery and each attempt at it, and refunds — the gateway's side of the story, kept
so a "money did not arrive" investigation can see exactly what was sent, when, and what the merchant said.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicpay.core.money import format_vnd


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


class VnpayIpnStatus(models.TextChoices):
    PENDING = "pending", _("Đang gửi")
    DELIVERED = "delivered", _("Đã gửi")
    GAVE_UP = "gave_up", _("Ngừng gửi")


class VnpayIpn(models.Model):
    """One IPN to deliver (a test card may ask for two identical ones), retried until acknowledged."""

    transaction = models.ForeignKey(VnpayTransaction, on_delete=models.CASCADE, related_name="ipns")
    copy = models.PositiveSmallIntegerField(default=1)
    url = models.CharField(max_length=1000)
    status = models.CharField(max_length=10, choices=VnpayIpnStatus.choices, default=VnpayIpnStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["transaction_id", "copy", "pk"]

    def __str__(self) -> str:
        return f"IPN {self.copy} of {self.transaction}"


class VnpayIpnAttempt(models.Model):
    """One HTTP GET of an IPN and what the merchant answered (or why there was no answer)."""

    ipn = models.ForeignKey(VnpayIpn, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    rsp_code = models.CharField(max_length=10, blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    outcome = models.CharField(max_length=10, choices=VnpayIpnStatus.choices)

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
