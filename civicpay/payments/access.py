"""Who may see a payment's status: its payer (logged in) or the browser session that created it
(paying by dossier code without an account). One check, used by every payer-facing view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from civicpay.payments.models import Payment

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.base import SessionBase

    from civicpay.accounts.models import User

SESSION_KEY = "payments.references"
_REMEMBERED = 20


def remember_payment(session: SessionBase, payment: Payment) -> None:
    """Let this browser session follow ``payment`` (call right after ``payment_create``)."""
    refs = [ref for ref in session.get(SESSION_KEY, []) if ref != payment.reference]
    session[SESSION_KEY] = [*refs, payment.reference][-_REMEMBERED:]


def payment_get_for_viewer(*, reference: str, user: User | AnonymousUser, session: SessionBase) -> Payment:
    """``payment`` if the viewer is its payer or created it in this session; else ``Payment.DoesNotExist``."""
    payment = Payment.objects.get(reference=reference)
    if user.is_authenticated and payment.payer_user_id == user.pk:
        return payment
    if reference in session.get(SESSION_KEY, []):
        return payment
    raise Payment.DoesNotExist(reference)
