"""Template helpers for the dossier and fee-notice pages: money display and the home-page shortcuts."""

from __future__ import annotations

from typing import Any

from django import template

from civicpay.accounts.models import User
from civicpay.billing.models import PaymentRequestStatus
from civicpay.billing.selectors import payment_request_list_for_payer
from civicpay.core.money import format_vnd
from civicpay.dossiers.selectors import dossier_list_for_applicant
from civicpay.notifications.selectors import portal_unread_count

register = template.Library()


@register.filter
def vnd(amount: int | None) -> str:
    """``{{ 1250000|vnd }}`` → ``1.250.000 ₫``."""
    return format_vnd(int(amount or 0))


@register.simple_tag(takes_context=True)
def dossier_shortcut_counts(context: dict[str, Any]) -> dict[str, int]:
    """Counts for the home-page shortcuts; zeros for anyone who is not a logged-in citizen."""
    user = context.get("user")
    if not isinstance(user, User) or not user.is_authenticated:
        return {"dossiers": 0, "notices": 0, "unread": 0}
    return {
        "dossiers": dossier_list_for_applicant(user=user).count(),
        "notices": payment_request_list_for_payer(user=user).filter(status=PaymentRequestStatus.ISSUED).count(),
        "unread": portal_unread_count(user=user),
    }
