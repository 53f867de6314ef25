"""The VNPay sandbox's pages and endpoints. Thin: validation in forms, behaviour in services/api.

The payer's pages are addressed like VNPay's own (``paymentv2/Transaction/…html?token=…``); the token
is the only key to a transaction, as on the real gateway. A page asked for out of order sends the payer
to the step the transaction is at; a finished transaction shows its outcome and the way back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicpay.sandbox.models import VnpayIpn, VnpayStep, VnpayTransaction
from civicpay.sandbox.vnpay import cards, services
from civicpay.sandbox.vnpay.api import vnpay_api_handle
from civicpay.sandbox.vnpay.forms import BankChoiceForm, CardForm, OtpForm

TRANSACTIONS_SHOWN = 50
_STEP_VIEWS = {VnpayStep.METHOD: "method", VnpayStep.CARD: "card", VnpayStep.OTP: "otp"}

TxnView = Callable[[HttpRequest, VnpayTransaction], HttpResponse]


def _origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _step_url(txn: VnpayTransaction, step: str | None = None) -> str:
    name = _STEP_VIEWS.get(VnpayStep(step or txn.step), "method")
    return f"{reverse(f'sandbox:vnpay:{name}')}?{urlencode({'token': txn.token})}"


def _error(request: HttpRequest, code: str, message: str, detail: str = "", status: int = 400) -> HttpResponse:
    """VNPay's error page: "Giao dịch không hợp lệ", the code, and what was wrong (for the merchant)."""
    return render(
        request, "sandbox/vnpay/error.html", {"code": code, "message": message, "detail": detail}, status=status
    )


def _finished(request: HttpRequest, txn: VnpayTransaction) -> HttpResponse:
    return render(
        request,
        "sandbox/vnpay/finished.html",
        {"txn": txn, "return_url": services.return_url_for(txn), "timed_out": txn.response_code == cards.TIMED_OUT},
    )


def _after_outcome(request: HttpRequest, txn: VnpayTransaction) -> HttpResponse:
    """The payer is sent back to the merchant at once, except after a time-out, which is explained first."""
    if txn.response_code == cards.TIMED_OUT:
        return _finished(request, txn)
    return HttpResponseRedirect(services.return_url_for(txn))


def transaction_page(steps: Collection[str]) -> Callable[[TxnView], Callable[[HttpRequest], HttpResponse]]:
    """Load the transaction from ``?token=``, end it if it has expired, and keep the payer on its step."""

    def decorate(view: TxnView) -> Callable[[HttpRequest], HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest) -> HttpResponse:
            token = request.GET.get("token", "")
            txn = VnpayTransaction.objects.filter(token=token).first() if token else None
            if txn is None:
                return _error(request, "91", _("Không tìm thấy giao dịch"), status=404)
            txn = services.vnpay_transaction_expire_if_due(txn=txn)
            if txn.is_finished:
                return _finished(request, txn)
            if txn.step not in steps:
                return redirect(_step_url(txn))
            return view(request, txn)

        return wrapper

    return decorate


def _page(request: HttpRequest, template: str, txn: VnpayTransaction, **context: object) -> HttpResponse:
    return render(request, template, {"txn": txn, "bank": cards.BANKS_BY_CODE.get(txn.bank_code), **context})


@require_GET
def pay(request: HttpRequest) -> HttpResponse:
    """``paymentv2/vpcpay.html``: the merchant's signed pay URL lands here."""
    try:
        txn = services.vnpay_transaction_open(params=request.GET, origin=_origin(request))
    except services.PayRequestRejected as rejected:
        return _error(request, rejected.code, str(rejected.message), rejected.detail)
    return redirect(_step_url(txn))


@require_http_methods(["GET", "POST"])
@transaction_page({VnpayStep.METHOD, VnpayStep.CARD})
def method(request: HttpRequest, txn: VnpayTransaction) -> HttpResponse:
    if txn.bank_chosen_by_merchant:
        return redirect(_step_url(txn))
    form = BankChoiceForm(request.POST or None, initial={"bank_code": txn.bank_code or None})
    if request.method == "POST" and form.is_valid():
        txn = services.vnpay_transaction_choose_bank(txn=txn, bank_code=form.cleaned_data["bank_code"])
        return redirect(_step_url(txn, VnpayStep.CARD))
    requested = txn.request_params.get("vnp_BankCode", "")
    return _page(
        request,
        "sandbox/vnpay/method.html",
        txn,
        form=form,
        banks=cards.BANKS,
        unsimulated=requested if requested in cards.SIMULATED_AS_DOMESTIC else "",
    )


@require_http_methods(["GET", "POST"])
@transaction_page({VnpayStep.CARD})
def card(request: HttpRequest, txn: VnpayTransaction) -> HttpResponse:
    form = CardForm(request.POST or None, bank_code=txn.bank_code)
    if request.method == "POST" and form.is_valid() and form.card is not None:
        txn = services.vnpay_transaction_enter_card(txn=txn, card=form.card)
        return redirect(_step_url(txn, VnpayStep.OTP))
    return _page(
        request,
        "sandbox/vnpay/card.html",
        txn,
        form=form,
        test_cards=cards.cards_for_bank(txn.bank_code),
        test_holder=cards.TEST_HOLDER,
        test_issue_date=cards.TEST_ISSUE_DATE,
        test_otp=cards.TEST_OTP,
        method_url=None if txn.bank_chosen_by_merchant else _step_url(txn, VnpayStep.METHOD),
    )


@require_http_methods(["GET", "POST"])
@transaction_page({VnpayStep.OTP})
def otp(request: HttpRequest, txn: VnpayTransaction) -> HttpResponse:
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = services.vnpay_transaction_check_otp(txn=txn, otp=form.cleaned_data["otp"])
        if check.txn.is_finished:
            return _after_outcome(request, check.txn)
        txn = check.txn
        form.add_error(
            "otp",
            _("Mã OTP không đúng. Bạn còn %(left)d lần thử; nhập sai %(max)d lần, giao dịch sẽ bị hủy.")
            % {"left": check.attempts_left, "max": cards.MAX_OTP_FAILURES},
        )
    return _page(
        request, "sandbox/vnpay/otp.html", txn, form=form, test_otp=cards.TEST_OTP, masked=txn.card_number_masked
    )


@require_POST
def cancel(request: HttpRequest) -> HttpResponse:
    """ "Hủy thanh toán" from any step: the payment ends with ``24`` and the payer goes back."""
    txn = get_object_or_404(VnpayTransaction, token=request.GET.get("token", ""))
    txn = services.vnpay_transaction_expire_if_due(txn=txn)
    txn = services.vnpay_transaction_cancel(txn=txn)
    return _after_outcome(request, txn)


@csrf_exempt
@require_POST
def api_transaction(request: HttpRequest) -> JsonResponse:
    """``merchant_webapi/api/transaction``: querydr and refund (JSON in, JSON out, always HTTP 200)."""
    try:
        body: object = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        body = None
    return JsonResponse(vnpay_api_handle(body))


@require_GET
def transactions(request: HttpRequest) -> HttpResponse:
    """The gateway's log: recent transactions, every IPN attempt and refund (demos, investigations)."""
    ipns = VnpayIpn.objects.prefetch_related("attempt_log")
    shown = VnpayTransaction.objects.prefetch_related(Prefetch("ipns", queryset=ipns), "refunds")[:TRANSACTIONS_SHOWN]
    return render(request, "sandbox/vnpay/transactions.html", {"transactions": shown, "shown": TRANSACTIONS_SHOWN})


@require_POST
def resend_ipn(request: HttpRequest, pk: int) -> HttpResponse:
    txn = get_object_or_404(VnpayTransaction, pk=pk)
    if txn.is_finished:
        services.vnpay_ipn_resend(txn=txn)
        messages.success(request, _("Đã xếp lịch gửi lại IPN của giao dịch %(ref)s.") % {"ref": txn.txn_ref})
    return redirect(f"{reverse('sandbox:vnpay:transactions')}#txn-{txn.pk}")
