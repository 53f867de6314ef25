"""The simulated bank's own records of organisations' debit registrations and of the decisions it notifies.

Payments (card, debit, branch codes) are ``civicpay.sandbox.models.SignedTransaction`` rows of the
signed-protocol engine (gateway ``vietinbank``, method ``card``/``debit``/``branch``); only what that
engine has no place for lives here.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", _("Chờ duyệt")
    APPROVED = "approved", _("Đã duyệt")
    REJECTED = "rejected", _("Từ chối")
    CANCELLED = "cancelled", _("Khách hàng đã hủy")


class BankRegistration(models.Model):
    """A registration a merchant sent with ``api/registration``, waiting for the teller (``teller/``)."""

    merchant_id = models.CharField(max_length=40)
    registration_id = models.CharField(max_length=40)
    bank_reference = models.CharField(max_length=40, unique=True)
    organisation_name = models.CharField(max_length=255)
    tax_code = models.CharField(max_length=20)
    address = models.CharField(max_length=255, blank=True)
    representative_name = models.CharField(max_length=150, blank=True)
    account_number = models.CharField(max_length=19)
    account_holder = models.CharField(max_length=150)
    notify_url = models.CharField(max_length=1000)
    status = models.CharField(max_length=10, choices=RegistrationStatus.choices, default=RegistrationStatus.PENDING)
    reason = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["merchant_id", "registration_id"], name="sandbox_vtb_registration_unique")
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} {self.organisation_name} ({self.status})"


class NoticeStatus(models.TextChoices):
    PENDING = "pending", _("Đang gửi")
    DELIVERED = "delivered", _("Đã gửi")
    GAVE_UP = "gave_up", _("Ngừng gửi")


class RegistrationNotice(models.Model):
    """The decision on a registration, POSTed to the merchant (re-signed each try) until acknowledged."""

    registration = models.ForeignKey(BankRegistration, on_delete=models.CASCADE, related_name="notices")
    status = models.CharField(max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_reply_code = models.CharField(max_length=10, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["registration_id", "pk"]

    def __str__(self) -> str:
        return f"notice {self.pk} of {self.registration}"
