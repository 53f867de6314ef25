"""Reading payment requests, with the payer's access rule in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from civicpay.billing.models import CURRENT_STATUSES, PaymentRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from civicpay.accounts.models import User


def _payer_filter(user: User) -> Q:
    return Q(payer_user=user) | Q(payer_organisation__memberships__user=user)


def payment_request_list_for_payer(*, user: User | AnonymousUser) -> QuerySet[PaymentRequest]:
    """Requests addressed to ``user`` or to an organisation ``user`` represents, newest first."""
    if not user.is_authenticated:
        return PaymentRequest.objects.none()
    ids = PaymentRequest.objects.filter(_payer_filter(user)).values("pk")
    return (
        PaymentRequest.objects.filter(pk__in=ids)
        .select_related("agency", "payer_organisation")
        .prefetch_related("lines")
        .order_by("-issued_at", "-id")
    )


def payment_request_get_for_payer(*, user: User | AnonymousUser, number: str) -> PaymentRequest:
    """One request by its number, only if ``user`` is its payer; else ``PaymentRequest.DoesNotExist``."""
    return payment_request_list_for_payer(user=user).get(number=number)


def payment_request_current_for_owner(*, owner_kind: str, owner_id: int) -> PaymentRequest | None:
    """The owner's live request: the issued one, or the paid one (at most one exists, by constraint)."""
    return (
        PaymentRequest.objects.filter(owner_kind=owner_kind, owner_id=owner_id, status__in=CURRENT_STATUSES)
        .prefetch_related("lines")
        .first()
    )


def payment_requests_for_owner(*, owner_kind: str, owner_id: int) -> QuerySet[PaymentRequest]:
    """Every request ever issued for the owner (including cancelled and expired), newest first."""
    return (
        PaymentRequest.objects.filter(owner_kind=owner_kind, owner_id=owner_id)
        .select_related("issued_by", "cancelled_by")
        .prefetch_related("lines")
        .order_by("-issued_at", "-id")
    )
