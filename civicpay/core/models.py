from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The audit log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit log is append-only")


class AuditEntry(models.Model):
    """One row per state-changing action: who, when, what, on which object, before and after.

    Append-only: the model refuses updates and deletes. Written by services inside the same
    transaction as the change it records (``civicpay.core.audit.audit_record``).
    """

    at = models.DateTimeField(_("thời điểm"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(_("người thực hiện"), max_length=200, blank=True)
    action = models.CharField(_("hành động"), max_length=80)
    target_type = models.CharField(max_length=80)
    target_id = models.CharField(max_length=64)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    note = models.TextField(_("ghi chú"), blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["target_type", "target_id", "at"])]
        verbose_name = _("nhật ký")
        verbose_name_plural = _("nhật ký")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_type}#{self.target_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("The audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit log is append-only")


class Sequence(models.Model):
    """A named counter (e.g. dossier codes per agency and day). Read and bump it only through
    ``civicpay.core.sequences.next_value`` inside the transaction that uses the number."""

    scope = models.CharField(max_length=120, unique=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("bộ đếm")
        verbose_name_plural = _("bộ đếm")

    def __str__(self) -> str:
        return f"{self.scope} = {self.value}"


class WorkerHeartbeat(models.Model):
    """A background worker process (``manage.py civicpay_worker``) saying it is alive.

    Written by the worker loop when it starts, every ``WORKER_HEARTBEAT_SECONDS`` while it runs, and once
    more when it stops cleanly (``stopped_at``). A row whose ``seen_at`` is old and ``stopped_at`` empty is a
    worker that died. Read by the ``workers`` health check (``civicpay.core.health``): with no live worker,
    successful payments are not settled and no message is delivered.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    queues = models.CharField(max_length=255, blank=True)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("tiến trình nền")
        verbose_name_plural = _("tiến trình nền")

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"
