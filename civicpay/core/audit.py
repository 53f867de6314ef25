from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from civicpay.core.db.statements import Insert
from civicpay.core.models import AuditEntry

_FIELDS = ("at", "actor", "actor_label", "action", "target_type", "target_id", "before", "after", "note", "ip_address")
# AuditEntry.save() only refuses to rewrite a stored row; an insert never does.
_INSERT = Insert(AuditEntry, _FIELDS, allow_save_override=True)


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
    ip_address: str | None = None,
) -> AuditEntry:
    """Append one audit row. Call it inside the transaction of the change it records."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    entry = AuditEntry(
        at=timezone.now(),
        actor=actor if is_user else None,
        actor_label=(getattr(actor, "full_name", "") or str(actor)) if is_user else "system",
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        before=before or {},
        after=after or {},
        note=note,
        ip_address=ip_address,
    )
    _INSERT.add(entry)
    return entry


def audit_trail(target: models.Model) -> models.QuerySet[AuditEntry]:
    """Every entry recorded for ``target``, oldest first."""
    return AuditEntry.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
