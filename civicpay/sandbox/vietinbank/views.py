"""The simulated VietinBank's pages: the card payment (bank → card → terms → OTP), the teller's counter
(registrations to approve, payment codes to collect), and the JSON API. Thin: behaviour in services.

The card pages are addressed by the transaction's token, the only key to it, as on a real gateway; a
page asked for out of order sends the payer to the step the transaction is at.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicpay.sandbox.models import SignedStep, SignedTransaction
from civicpay.sandbox.signed import api as engine_api
from civicpay.sandbox.signed import services as engine
from civicpay.sandbox.signed.messages import return_url_for
from civicpay.sandbox.vietinbank import api, bank, services
from civicpay.sandbox.vietinbank.forms import CardForm, CollectForm, IssuingBankForm, OtpForm, RejectForm
from civicpay.sandbox.vietinbank.models import BankRegistration, RegistrationStatus

SHOWN = 30
_STEP_VIEWS = {SignedStep.BANK: "bank", SignedStep.CARD: "card", SignedStep.CONFIRM: "terms", SignedStep.OTP: "otp"}

TxnView = Callable[[HttpRequest, SignedTransaction], HttpResponse]


def _step_url(txn: SignedTransaction) -> str:
    name = _STEP_VIEWS.get(SignedStep(txn.step), "bank")
    return f"{reverse(f'sandbox:vietinbank:{name}')}?{urlencode({'token': txn.token})}"


def _error(request: HttpRequest, code: str, message: str, detail: str = "", status: int = 400) -> HttpResponse:
    return render(
        request, "sandbox/vietinbank/error.html", {"code": code, "message": message, "detail": detail}, status=status
    )


def card_page(steps: Collection[str]) -> Callable[[TxnView], Callable[[HttpRequest], HttpResponse]]:
    """Load the card transaction from ``?token=`` and keep the payer on its step."""

    def decorate(view: TxnView) -> Callable[[HttpRequest], HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest) -> HttpResponse:
            token = request.GET.get("token", "")
            txn = (
                SignedTransaction.objects.filter(
                    gateway=bank.GATEWAY.code, method=bank.METHOD_CARD, token=token
                ).first()
                if token
                else None
            )
            if txn is None:
                return _error(request, "01", _("Không tìm thấy giao dịch"), status=404)
            if txn.is_finished:
                return HttpResponseRedirect(return_url_for(txn))
            if txn.step not in steps:
                return redirect(_step_url(txn))
            return view(request, txn)

        return wrapper

    return decorate


def _context(txn: SignedTransaction, **extra: object) -> dict[str, object]:
    return {"txn": txn, "issuer": bank.BANKS_BY_CODE.get(txn.bank_code), **extra}


@require_GET
def pay(request: HttpRequest) -> HttpResponse:
    """``<gateway>/pay``: the merchant's signed redirect for a card payment."""
    try:
        txn = engine.signed_transaction_open(gateway=bank.GATEWAY, params=request.GET, methods={bank.METHOD_CARD})
    except engine.PayRequestRejected as rejected:
        return _error(request, rejected.code, rejected.message, rejected.detail)
    if txn.step == SignedStep.METHOD:  # the engine's default first step: this bank starts with the issuer
        txn = engine.signed_transaction_advance(txn=txn, from_steps={SignedStep.METHOD}, step=SignedStep.BANK)
    return redirect(_step_url(txn))


@require_http_methods(["GET", "POST"])
@card_page({SignedStep.BANK, SignedStep.CARD})
def choose_bank(request: HttpRequest, txn: SignedTransaction) -> HttpResponse:
    """ "Chọn ngân hàng phát hành của thẻ dùng để thanh toán"."""
    form = IssuingBankForm(request.POST or None, initial={"bank_code": txn.bank_code or None})
    if request.method == "POST" and form.is_valid():
        txn = engine.signed_transaction_advance(
            txn=txn,
            from_steps={SignedStep.BANK, SignedStep.CARD},
            step=SignedStep.CARD,
            bank_code=form.cleaned_data["bank_code"],
        )
        return redirect(_step_url(txn))
    return render(request, "sandbox/vietinbank/bank.html", _context(txn, form=form))


@require_http_methods(["GET", "POST"])
@card_page({SignedStep.CARD})
def card(request: HttpRequest, txn: SignedTransaction) -> HttpResponse:
    """The card details, then "XÁC THỰC"."""
    form = CardForm(request.POST or None, bank_code=txn.bank_code)
    if request.method == "POST" and form.is_valid() and form.card is not None:
        txn = engine.signed_transaction_advance(
            txn=txn, from_steps={SignedStep.CARD}, step=SignedStep.CONFIRM, payer_account=form.card.masked
        )
        return redirect(_step_url(txn))
    return render(
        request,
        "sandbox/vietinbank/card.html",
        _context(
            txn,
            form=form,
            test_cards=bank.TEST_CARDS,
            test_holder=bank.TEST_HOLDER,
            test_issue_date=bank.TEST_ISSUE_DATE,
            test_otp=bank.TEST_OTP,
            bank_url=f"{reverse('sandbox:vietinbank:bank')}?{urlencode({'token': txn.token})}",
        ),
    )


@require_http_methods(["GET", "POST"])
@card_page({SignedStep.CONFIRM})
def terms(request: HttpRequest, txn: SignedTransaction) -> HttpResponse:
    """The issuing bank's terms and "CHẤP NHẬN"; the bank then sends the OTP."""
    if request.method == "POST":
        txn = engine.signed_transaction_advance(txn=txn, from_steps={SignedStep.CONFIRM}, step=SignedStep.OTP)
        return redirect(_step_url(txn))
    return render(request, "sandbox/vietinbank/terms.html", _context(txn))


@require_http_methods(["GET", "POST"])
@card_page({SignedStep.OTP})
def otp(request: HttpRequest, txn: SignedTransaction) -> HttpResponse:
    """ "Nhập mã OTP": the right code ends the payment with the card's outcome; three wrong ones with 13."""
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        test_card = next((c for c in bank.TEST_CARDS if c.masked == txn.payer_account), bank.TEST_CARDS[0])
        check = engine.signed_transaction_check_secret(
            txn=txn,
            step=SignedStep.OTP,
            given=form.cleaned_data["otp"],
            expected=bank.TEST_OTP,
            max_failures=bank.MAX_OTP_FAILURES,
            lockout_code=bank.WRONG_OTP,
            on_success=(test_card.status, test_card.result_code, bank.RESULT_MESSAGES[test_card.result_code]),
        )
        if check.txn.is_finished:
            return HttpResponseRedirect(return_url_for(check.txn))
        form.add_error(
            "otp",
            _("Mã OTP không đúng. Bạn còn %(left)s lần thử, nhập sai quá số lần quy định giao dịch sẽ bị hủy.")
            % {"left": check.attempts_left},
        )
    return render(request, "sandbox/vietinbank/otp.html", _context(txn, form=form, test_otp=bank.TEST_OTP))


@require_POST
def cancel(request: HttpRequest) -> HttpResponse:
    """ "Hủy giao dịch" from any card step: cancelled (``24``), back to the merchant."""
    txn = get_object_or_404(
        SignedTransaction, gateway=bank.GATEWAY.code, method=bank.METHOD_CARD, token=request.GET.get("token", "")
    )
    txn = engine.signed_transaction_cancel(txn=txn)
    return HttpResponseRedirect(return_url_for(txn))


# --- the teller's counter -----------------------------------------------------------------------------


@require_GET
def teller(request: HttpRequest) -> HttpResponse:
    """Registrations waiting for a decision, recent decisions, and "Thu tiền tại quầy"."""
    registrations = BankRegistration.objects.prefetch_related("notices")
    payments = SignedTransaction.objects.filter(
        gateway=bank.GATEWAY.code, method__in=[bank.METHOD_DEBIT, bank.METHOD_BRANCH]
    ).prefetch_related("notifications")[:SHOWN]
    return render(
        request,
        "sandbox/vietinbank/teller.html",
        {
            "pending": registrations.filter(status=RegistrationStatus.PENDING).order_by("received_at", "pk"),
            "decided": registrations.exclude(status=RegistrationStatus.PENDING)[:SHOWN],
            "payments": payments,
            "collect_form": CollectForm(),
            "reject_form": RejectForm(),
            "test_accounts": bank.TEST_ACCOUNTS,
        },
    )


@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    registration = get_object_or_404(BankRegistration, pk=pk)
    services.registration_decide(registration=registration, approve=True)
    messages.success(
        request,
        _("Đã duyệt đăng ký của %(org)s. Ngân hàng đang thông báo cho đơn vị.")
        % {"org": registration.organisation_name},
    )
    return redirect("sandbox:vietinbank:teller")


@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    registration = get_object_or_404(BankRegistration, pk=pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nhập lý do từ chối đăng ký của %(org)s.") % {"org": registration.organisation_name})
        return redirect("sandbox:vietinbank:teller")
    services.registration_decide(registration=registration, approve=False, reason=form.cleaned_data["reason"])
    messages.success(request, _("Đã từ chối đăng ký của %(org)s.") % {"org": registration.organisation_name})
    return redirect("sandbox:vietinbank:teller")


@require_POST
def resend_notice(request: HttpRequest, pk: int) -> HttpResponse:
    registration = get_object_or_404(BankRegistration, pk=pk)
    services.registration_notice_resend(registration=registration)
    messages.success(request, _("Đã gửi lại thông báo."))
    return redirect("sandbox:vietinbank:teller")


@require_http_methods(["GET", "POST"])
def collect(request: HttpRequest) -> HttpResponse:
    """ "Thu tiền tại quầy": look a payment code up (GET), then confirm the cash was taken (POST)."""
    form = CollectForm(request.POST or request.GET or None)
    bill = None
    if form.is_bound and form.is_valid():
        bill = services.bill_find(code=form.cleaned_data["code"])
        if bill is None:
            form.add_error("code", _("Không tìm thấy mã thanh toán này."))
        elif request.method == "POST" and not bill.is_finished:
            bill = services.bill_collect(txn=bill)
            if bill.status == engine.SUCCESS:
                messages.success(
                    request,
                    _("Đã thu %(amount)s cho mã %(code)s.") % {"amount": bill.amount_text, "code": bill.order_id},
                )
            else:
                messages.error(request, _("Mã thanh toán %(code)s đã hết hạn.") % {"code": bill.order_id})
            return redirect(f"{reverse('sandbox:vietinbank:collect')}?{urlencode({'code': bill.order_id})}")
    return render(
        request,
        "sandbox/vietinbank/collect.html",
        {"form": form, "bill": bill, "deadline": services.bill_deadline(bill) if bill else None},
    )


# --- the API ----------------------------------------------------------------------------------------


def _json_api(handler: Callable[[object], dict[str, str]]) -> Callable[[HttpRequest], HttpResponse]:
    @csrf_exempt
    @require_POST
    def view(request: HttpRequest) -> HttpResponse:
        try:
            body: object = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            body = None
        return JsonResponse(handler(body))

    return view


api_registration = _json_api(
    lambda body: api.serve(body=body, key_field="registration_id", handler=api.handle_registration)
)
api_registration_cancel = _json_api(
    lambda body: api.serve(body=body, key_field="registration_id", handler=api.handle_registration_cancel)
)
api_debit = _json_api(lambda body: api.serve(body=body, key_field="order_id", handler=api.handle_debit))
api_bill = _json_api(lambda body: api.serve(body=body, key_field="order_id", handler=api.handle_bill))
api_query = _json_api(lambda body: engine_api.api_query(gateway=bank.GATEWAY, body=body))
api_refund = _json_api(lambda body: engine_api.api_refund(gateway=bank.GATEWAY, body=body))
