"""Template helpers for the back office: money, status tags and the menu's waiting count."""

from __future__ import annotations

from typing import Any

from django import template

from civicpay.core.money import format_vnd

register = template.Library()

_STATUS_TAGS = {
    "awaiting_payment": "tag-awaiting",
    "paid": "tag-paid",
    "additional_info_requested": "tag-warning",
    "result_ready": "tag-success",
    "completed": "tag-success",
    "rejected": "tag-rejected",
    "withdrawn": "tag-rejected",
}
_FEE_TAGS = {"awaiting": "tag-awaiting", "paid": "tag-paid"}


@register.filter
def vnd(amount: int | None) -> str:
    """``1250000|vnd`` → ``1.250.000 ₫``; empty for ``None``."""
    return "" if amount is None else format_vnd(int(amount))


@register.filter
def status_tag(status: str) -> str:
    """The CSS class of a dossier status tag."""
    return _STATUS_TAGS.get(status, "")


@register.filter
def fee_tag(fee_status: str) -> str:
    """The CSS class of a fee-status tag ("Đã thanh toán" stands out in green)."""
    return _FEE_TAGS.get(fee_status, "")


@register.simple_tag(takes_context=True)
def waiting_dossier_count(context: dict[str, Any]) -> int | None:
    """Online dossiers of the officer's agency still waiting for reception (status "Chờ tiếp nhận")."""
    from civicpay.dossiers.models import DossierStatus
    from civicpay.dossiers.selectors import dossier_list_for_officer

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_officer:
        return None
    return dossier_list_for_officer(officer=user.officer, status=DossierStatus.SUBMITTED).count()


@register.filter
def audit_values(values: dict[str, Any] | None) -> str:
    """An audit entry's before/after dict as ``key: value; …`` (empty dict → em dash)."""
    if not values:
        return "—"
    return "; ".join(f"{key}: {value}" for key, value in values.items())
