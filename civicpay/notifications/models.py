"""The notification outbox and the dev mailbox.

An ``OutboxMessage`` is written in the same transaction as the change it announces, so a rolled-back
payment never sends an SMS and a committed one always will. Delivery happens afterwards, in a
background task, at least once; the unique idempotency ``key`` makes "at least once" look like
"exactly once" to the recipient (one payment → one SMS, however many callbacks arrive).

``DevMessage`` is where e-mail and SMS land when no real transport is configured (the embedded
profile): the dev mailbox page in the sandbox shows them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Thư điện tử")
    SMS = "sms", _("Tin nhắn SMS")
    PORTAL = "portal", _("Thông báo trên cổng")


class Status(models.TextChoices):
    PENDING = "pending", _("Đang chờ gửi")
    SENDING = "sending", _("Đang gửi")
    SENT = "sent", _("Đã gửi")
    FAILED = "failed", _("Gửi thất bại")


class OutboxMessage(models.Model):
    """One notification to one recipient over one channel, and the state of its delivery.

    ``pending → sending → sent``; on a retryable error back to ``pending`` with a later
    ``next_attempt_at``; after ``NOTIFICATION_MAX_ATTEMPTS`` or a final error, ``failed``.
    Portal messages are ``sent`` as soon as they are written: the portal is their transport.
    """

    channel = models.CharField(_("kênh"), max_length=10, choices=Channel.choices)
    to = models.CharField(_("người nhận"), max_length=254)
    subject = models.CharField(_("tiêu đề"), max_length=255, blank=True)
    body = models.TextField(_("nội dung"))
    html_body = models.TextField(_("nội dung HTML"), blank=True)
    key = models.CharField(_("khóa chống gửi trùng"), max_length=200, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
        verbose_name=_("người dùng"),
    )
    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("số lần đã thử"), default=0)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True, db_index=True)
    next_attempt_at = models.DateTimeField(_("lần thử tiếp theo"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("thời điểm bắt đầu gửi"), null=True, blank=True)
    sent_at = models.DateTimeField(_("thời điểm gửi"), null=True, blank=True)
    read_at = models.DateTimeField(_("thời điểm đọc"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["user", "channel", "-created_at"]),
        ]
        verbose_name = _("thông báo gửi đi")
        verbose_name_plural = _("thông báo gửi đi")

    def __str__(self) -> str:
        return f"{self.channel} → {self.to}: {self.subject or self.body[:40]}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class DevMessage(models.Model):
    """An e-mail or SMS caught by the dev transports instead of leaving the machine."""

    channel = models.CharField(_("kênh"), max_length=10, choices=Channel.choices)
    to = models.CharField(_("người nhận"), max_length=254, db_index=True)
    subject = models.CharField(_("tiêu đề"), max_length=255, blank=True)
    body = models.TextField(_("nội dung"), blank=True)
    html = models.TextField(_("nội dung HTML"), blank=True)
    outbox_key = models.CharField(_("khóa chống gửi trùng"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("thời điểm nhận"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("thư thử nghiệm")
        verbose_name_plural = _("thư thử nghiệm")

    def __str__(self) -> str:
        return f"{self.channel} → {self.to}: {self.subject or self.body[:40]}"
