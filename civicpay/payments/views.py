"""Payment endpoints: provider notifications (IPN), the browser's return, and the status poll.

Thin on purpose: the work is in ``callbacks`` (store, then apply) and ``selectors``.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from civicpay.payments.access import payment_get_for_viewer
from civicpay.payments.callbacks import notification_receive, return_receive
from civicpay.payments.models import Payment
from civicpay.payments.providers.base import PaymentProvider, provider_get
from civicpay.payments.selectors import payment_status_view


def _provider(code: str) -> PaymentProvider:
    try:
        return provider_get(code)
    except LookupError:
        raise Http404(code) from None


@csrf_exempt
@require_GET
@never_cache
def provider_notification(request: HttpRequest, provider_code: str) -> HttpResponse:
    """Server-to-server notification (VNPay: GET with vnp_* parameters, JSON reply)."""
    return notification_receive(provider=_provider(provider_code), request=request)


@require_GET
@never_cache
def provider_return(request: HttpRequest, provider_code: str) -> HttpResponse:
    """The payer's browser back from the gateway: stored, never trusted, redirected to the result page."""
    response = return_receive(provider=_provider(provider_code), request=request)
    if response is None:
        return render(request, "payments/return_unknown.html", status=404)
    return response


@require_GET
@never_cache
def payment_status(request: HttpRequest, reference: str) -> JsonResponse:
    """``{"status", "state", "message", "final"}`` for the result page to poll; owner only."""
    try:
        payment = payment_get_for_viewer(reference=reference, user=request.user, session=request.session)
    except Payment.DoesNotExist:
        raise Http404(reference) from None
    view = payment_status_view(payment)
    return JsonResponse({"status": view.status, "state": view.state, "message": view.message, "final": view.is_final})
