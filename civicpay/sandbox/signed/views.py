"""Views shared by every signed-protocol sandbox: the API, cancel, the transaction log, page helpers.

Each gateway's package (``civicpay/sandbox/viettelpay`` …) mounts these with its ``gateway_code`` and
adds its own payer pages, built with the helpers below. The token in ``?token=`` is the only key to a
transaction, as on a real gateway; a page asked for out of order sends the payer to the current step.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from civicpay.sandbox.models import SignedNotification, SignedTransaction
from civicpay.sandbox.signed import api, services
from civicpay.sandbox.signed.gateways import Gateway, gateway_get
from civicpay.sandbox.signed.messages import return_url_for

TRANSACTIONS_SHOWN = 50
TxnView = Callable[[HttpRequest, SignedTransaction], HttpResponse]


def _gateway(code: str) -> Gateway:
    try:
        return gateway_get(code)
    except LookupError:
        raise Http404(code) from None


def step_url(txn: SignedTransaction, step_views: Mapping[str, str], step: str | None = None) -> str:
    """The page of ``step`` (default: the transaction's current step) in the gateway's URL namespace."""
    name = step_views.get(step or txn.step, next(iter(step_views.values())))
    return f"{reverse(f'sandbox:{txn.gateway}:{name}')}?{urlencode({'token': txn.token})}"


def error_page(
    request: HttpRequest, gateway: Gateway, code: str, message: str, detail: str = "", status: int = 400
) -> HttpResponse:
    return render(
        request,
        "sandbox/signed/error.html",
        {
            "gateway": gateway,
            "base": f"sandbox/{gateway.code}/base.html",
            "code": code,
            "message": message,
            "detail": detail,
        },
        status=status,
    )


def finished_page(request: HttpRequest, txn: SignedTransaction) -> HttpResponse:
    return render(
        request,
        "sandbox/signed/finished.html",
        {"txn": txn, "base": f"sandbox/{txn.gateway}/base.html", "return_url": return_url_for(txn)},
    )


def back_to_merchant(txn: SignedTransaction) -> HttpResponse:
    """After the outcome the payer's browser goes straight back to the merchant's ``return_url``."""
    return HttpResponseRedirect(return_url_for(txn))


def transaction_page(
    gateway_code: str, steps: Collection[str], step_views: Mapping[str, str]
) -> Callable[[TxnView], Callable[[HttpRequest], HttpResponse]]:
    """Load the transaction from ``?token=``, show the outcome if it ended, keep the payer on its step."""

    def decorate(view: TxnView) -> Callable[[HttpRequest], HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest) -> HttpResponse:
            token = request.GET.get("token", "")
            txn = SignedTransaction.objects.filter(gateway=gateway_code, token=token).first() if token else None
            if txn is None:
                return error_page(request, _gateway(gateway_code), "91", _("Không tìm thấy giao dịch"), status=404)
            if txn.is_finished:
                return finished_page(request, txn)
            if txn.step not in steps:
                return redirect(step_url(txn, step_views))
            return view(request, txn)

        return wrapper

    return decorate


def open_transaction(
    request: HttpRequest, gateway_code: str, *, methods: Collection[str] = ()
) -> SignedTransaction | HttpResponse:
    """``<gateway>/pay``: the transaction the merchant's signed redirect opens, or the error page."""
    gateway = _gateway(gateway_code)
    try:
        return services.signed_transaction_open(gateway=gateway, params=request.GET, methods=methods)
    except services.PayRequestRejected as rejected:
        return error_page(request, gateway, rejected.code, rejected.message, rejected.detail)


@require_POST
def cancel(request: HttpRequest, gateway_code: str) -> HttpResponse:
    """ "Hủy" from any step: the payment ends as cancelled and the payer goes back to the merchant."""
    txn = get_object_or_404(SignedTransaction, gateway=gateway_code, token=request.GET.get("token", ""))
    return back_to_merchant(services.signed_transaction_cancel(txn=txn))


def _json_body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return None


@csrf_exempt
@require_POST
def api_query(request: HttpRequest, gateway_code: str) -> JsonResponse:
    return JsonResponse(api.api_query(gateway=_gateway(gateway_code), body=_json_body(request)))


@csrf_exempt
@require_POST
def api_refund(request: HttpRequest, gateway_code: str) -> JsonResponse:
    return JsonResponse(api.api_refund(gateway=_gateway(gateway_code), body=_json_body(request)))


@require_GET
def transactions(request: HttpRequest, gateway_code: str) -> HttpResponse:
    """The gateway's log: recent transactions, every notification attempt and refund."""
    gateway = _gateway(gateway_code)
    notifications = SignedNotification.objects.prefetch_related("attempt_log")
    shown = SignedTransaction.objects.filter(gateway=gateway.code).prefetch_related(
        Prefetch("notifications", queryset=notifications), "refunds"
    )[:TRANSACTIONS_SHOWN]
    return render(
        request,
        "sandbox/signed/transactions.html",
        {
            "gateway": gateway,
            "base": f"sandbox/{gateway.code}/base.html",
            "transactions": shown,
            "shown": TRANSACTIONS_SHOWN,
        },
    )


@require_POST
def resend_notification(request: HttpRequest, gateway_code: str, pk: int) -> HttpResponse:
    txn = get_object_or_404(SignedTransaction, gateway=gateway_code, pk=pk)
    if txn.is_finished:
        services.signed_notification_resend(txn=txn)
        messages.success(request, _("Đã xếp lịch gửi lại thông báo của giao dịch %(ref)s.") % {"ref": txn.order_id})
    return redirect(f"{reverse(f'sandbox:{gateway_code}:transactions')}#txn-{txn.pk}")
