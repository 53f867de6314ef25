"""The MoMo sandbox's pages and endpoints. Thin: checks in ``api``, behaviour in ``services``.

The payer's page is addressed like MoMo's own ``payUrl`` (``v2/gateway/pay?t=…``); the token is the
only key to a payment, as on the real gateway. It shows the QR code a phone would scan (the
``deeplink``, as inline SVG) next to a simulated MoMo app where the payer confirms or declines.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import segno
from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicpay.payments.providers import momo_protocol as momo
from civicpay.sandbox.models import MomoIpn, MomoTransaction
from civicpay.sandbox.momo import services
from civicpay.sandbox.momo.api import Answer, momo_api_create, momo_api_query, momo_api_refund
from civicpay.sandbox.momo.forms import AppConfirmForm

TRANSACTIONS_SHOWN = 50


def _json_api(handler: Callable[[object], Answer], request: HttpRequest) -> JsonResponse:
    try:
        body: object = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        body = None
    status, answer = handler(body)
    return JsonResponse(answer, status=status, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_POST
def api_create(request: HttpRequest) -> JsonResponse:
    origin = f"{request.scheme}://{request.get_host()}"
    return _json_api(lambda body: momo_api_create(body, origin=origin), request)


@csrf_exempt
@require_POST
def api_query(request: HttpRequest) -> JsonResponse:
    return _json_api(momo_api_query, request)


@csrf_exempt
@require_POST
def api_refund(request: HttpRequest) -> JsonResponse:
    return _json_api(momo_api_refund, request)


def _finished(request: HttpRequest, txn: MomoTransaction) -> HttpResponse:
    return render(
        request,
        "sandbox/momo/finished.html",
        {"txn": txn, "message": momo.message_for(txn.result_code), "return_url": services.redirect_url_for(txn)},
    )


@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest) -> HttpResponse:
    """The ``payUrl``: QR code + simulated app; "Xác nhận thanh toán" or "Từ chối" ends the payment."""
    token = request.GET.get("t", "")
    txn = MomoTransaction.objects.filter(token=token).first() if token else None
    if txn is None:
        return render(request, "sandbox/momo/error.html", status=404)
    txn = services.momo_transaction_expire_if_due(txn=txn)
    if txn.is_finished:
        return _finished(request, txn)
    form = AppConfirmForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "decline":
            txn = services.momo_transaction_decline(txn=txn, wallet_phone=request.POST.get("wallet", "")[:20])
        elif action == "confirm" and form.is_valid():
            txn = services.momo_transaction_confirm(txn=txn, wallet_phone=form.cleaned_data["wallet"])
        if txn.is_finished:
            target = services.redirect_url_for(txn)
            return HttpResponseRedirect(target) if target else _finished(request, txn)
    qr_svg = segno.make(services.deeplink(txn, scan=True), error="m").svg_inline(
        scale=5, title=_("Mã QR thanh toán MoMo"), dark="#2d1130"
    )
    return render(request, "sandbox/momo/pay.html", {"txn": txn, "form": form, "qr_svg": qr_svg})


@require_GET
def transactions(request: HttpRequest) -> HttpResponse:
    """The gateway's log: recent payments, every IPN attempt with the merchant's HTTP status, refunds."""
    ipns = MomoIpn.objects.prefetch_related("attempt_log")
    shown = MomoTransaction.objects.prefetch_related(Prefetch("ipns", queryset=ipns), "refunds")[:TRANSACTIONS_SHOWN]
    return render(request, "sandbox/momo/transactions.html", {"transactions": shown, "shown": TRANSACTIONS_SHOWN})


@require_POST
def resend_ipn(request: HttpRequest, pk: int) -> HttpResponse:
    txn = get_object_or_404(MomoTransaction, pk=pk)
    if txn.is_finished:
        services.momo_ipn_resend(txn=txn)
        messages.success(request, _("Đã xếp lịch gửi lại IPN của giao dịch %(ref)s.") % {"ref": txn.order_id})
    return redirect(f"{reverse('sandbox:momo:transactions')}#txn-{txn.pk}")
