"""The sandbox bank's side of the story: each transfer "sent" into a receiving account and every
attempt to notify the platform of it, kept so "the money did not arrive" can be traced exactly."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicpay.core.money import format_vnd


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Đang gửi")
    DELIVERED = "delivered", _("Đã được xác nhận")
    GAVE_UP = "gave_up", _("Ngừng gửi")


class SentTransfer(models.Model):
    """An incoming transfer into ``account``: any amount, any memo, as a payer's app would send it."""

    bank_transaction_id = models.CharField(max_length=64, unique=True)
    account = models.CharField(_("tài khoản nhận"), max_length=32)
    amount = models.BigIntegerField(_("số tiền"))
    memo = models.CharField(_("nội dung chuyển khoản"), max_length=255, blank=True)
    sender_name = models.CharField(_("người chuyển"), max_length=255)
    sender_account = models.CharField(_("tài khoản chuyển"), max_length=64)
    transferred_at = models.DateTimeField()
    notify_url = models.CharField(max_length=1000)
    status = models.CharField(max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.bank_transaction_id} → {self.account} {self.amount}"

    @property
    def amount_text(self) -> str:
        return format_vnd(self.amount)


class NotificationAttempt(models.Model):
    """One POST of the signed notification and what the platform answered."""

    transfer = models.ForeignKey(SentTransfer, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    reply_code = models.CharField(max_length=10, blank=True)
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=2000, blank=True)
    outcome = models.CharField(max_length=10, choices=NotificationStatus.choices)

    class Meta:
        ordering = ["transfer", "number"]

    def __str__(self) -> str:
        return f"{self.transfer_id}#{self.number} {self.http_status} {self.reply_code}"
