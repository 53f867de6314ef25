"""The ViettelPay sandbox's payer pages (seed 000's three options): wallet, BankPlus, domestic ATM card.

Wallet → phone number + PIN on a screen styled like the ViettelPay app; BankPlus → choose the bank →
OTP; ATM → card form → OTP. Every page has "Hủy giao dịch". Thin: checks in forms, state changes in
``civicpay.sandbox.signed.services``, the notification from the worker.
"""

from __future__ import annotations

from typing import Final

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from civicpay.sandbox.models import SignedStep, SignedTransaction
from civicpay.sandbox.signed import services
from civicpay.sandbox.signed.views import back_to_merchant, open_transaction, step_url, transaction_page
from civicpay.sandbox.viettelpay import data
from civicpay.sandbox.viettelpay.forms import BankForm, CardForm, MethodForm, OtpForm, WalletForm

GATEWAY: Final = "viettelpay"
STEP_VIEWS: Final[dict[str, str]] = {
    SignedStep.METHOD: "method",
    SignedStep.WALLET: "wallet",
    SignedStep.BANK: "bank",
    SignedStep.CARD: "card",
    SignedStep.OTP: "otp",
}
FIRST_STEP: Final = {
    data.METHOD_WALLET: SignedStep.WALLET,
    data.METHOD_BANKPLUS: SignedStep.BANK,
    data.METHOD_ATM: SignedStep.CARD,
}


def _url(txn: SignedTransaction, step: str | None = None) -> str:
    return step_url(txn, STEP_VIEWS, step)


def _page(request: HttpRequest, template: str, txn: SignedTransaction, **context: object) -> HttpResponse:
    return render(
        request,
        f"sandbox/viettelpay/{template}",
        {
            "txn": txn,
            "method_label": data.METHOD_LABELS.get(txn.method, ""),
            "bank": data.BANKS_BY_CODE.get(txn.bank_code),
            "method_url": None if txn.method_chosen_by_merchant else _url(txn, SignedStep.METHOD),
            **context,
        },
    )


def _choose(txn: SignedTransaction, method: str) -> SignedTransaction:
    """Go to the first page of ``method``; a BankPlus bank the merchant already chose skips the list."""
    step = FIRST_STEP[method]
    if method == data.METHOD_BANKPLUS and txn.bank_code in data.BANKS_BY_CODE:
        step = SignedStep.OTP
    return services.signed_transaction_advance(txn=txn, from_steps={SignedStep.METHOD}, step=step, method=method)


@require_GET
def pay(request: HttpRequest) -> HttpResponse:
    """``<gateway>/pay``: the merchant's signed redirect lands here."""
    opened = open_transaction(request, GATEWAY, methods=data.METHODS)
    if isinstance(opened, HttpResponse):
        return opened
    txn = opened
    if txn.step == SignedStep.METHOD and txn.method in FIRST_STEP:
        txn = _choose(txn, txn.method)
    return redirect(_url(txn))


_PAYER_STEPS = {SignedStep.METHOD, SignedStep.WALLET, SignedStep.BANK, SignedStep.CARD}


@require_http_methods(["GET", "POST"])
@transaction_page(GATEWAY, _PAYER_STEPS, STEP_VIEWS)
def method(request: HttpRequest, txn: SignedTransaction) -> HttpResponse:
    """Chọn hình thức thanh toán: the seed's three options. Going back here resets the choice."""
    if txn.method_chosen_by_merchant:
        return redirect(_url(txn))
    form = MethodForm(request.POST if request.method == "POST" else None, initial={"method": txn.method or None})
    if request.method == "POST" and form.is_valid():
        txn = services.signed_transaction_advance(
            txn=txn, from_steps=_PAYER_STEPS, step=SignedStep.METHOD, method="", bank_code=""
        )
        return redirect(_url(_choose(txn, form.cleaned_data["method"])))
    return _page(request, "method.html", txn, form=form, banks=data.BANKPLUS_BANKS)


@require_http_methods(["GET", "POST"])
@transaction_page(GATEWAY, {SignedStep.WALLET}, STEP_VIEWS)
def wallet(request: HttpRequest, txn: SignedTransaction) -> HttpResponse:
    """The app-style confirm screen: phone number + PIN; the account decides the outcome."""
    form = WalletForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        account = data.WALLETS_BY_PHONE[form.cleaned_data["phone"]]
        services.signed_transaction_advance(
            txn=txn, from_steps={SignedStep.WALLET}, step=SignedStep.WALLET, payer_account=account.phone
        )
        status = services.SUCCESS if account.result_code == "00" else services.FAILED
        check = services.signed_transaction_check_secret(
            txn=txn,
            step=SignedStep.WALLET,
            given=form.cleaned_data["pin"],
            expected=account.pin,
            max_failures=data.MAX_FAILURES,
            lockout_code=data.WRONG_PIN,
            on_success=(status, account.result_code, ""),
        )
        if check.txn.is_finished:
            return back_to_merchant(check.txn)
        txn = check.txn
        form.add_error(
            "pin",
            _("Mã PIN không đúng. Bạn còn %(left)d lần thử; nhập sai %(max)d lần, giao dịch sẽ bị hủy.")
            % {"left": check.attempts_left, "max": data.MAX_FAILURES},
        )
    return _page(request, "wallet.html", txn, form=form, accounts=data.WALLET_ACCOUNTS)


@require_http_methods(["GET", "POST"])
@transaction_page(GATEWAY, {SignedStep.BANK}, STEP_VIEWS)
def bank(request: HttpRequest, txn: SignedTransaction) -> HttpResponse:
    """BankPlus: the banks whose customers hold a BankPlus account."""
    form = BankForm(request.POST if request.method == "POST" else None, initial={"bank_code": txn.bank_code or None})
    if request.method == "POST" and form.is_valid():
        txn = services.signed_transaction_advance(
            txn=txn, from_steps={SignedStep.BANK}, step=SignedStep.OTP, bank_code=form.cleaned_data["bank_code"]
        )
        return redirect(_url(txn))
    return _page(request, "bank.html", txn, form=form)


@require_http_methods(["GET", "POST"])
@transaction_page(GATEWAY, {SignedStep.CARD}, STEP_VIEWS)
def card(request: HttpRequest, txn: SignedTransaction) -> HttpResponse:
    """Thẻ ATM nội địa: number (16/19 digits), holder in capitals without diacritics, issue date."""
    form = CardForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        txn = services.signed_transaction_advance(
            txn=txn,
            from_steps={SignedStep.CARD},
            step=SignedStep.OTP,
            payer_account=data.card_mask(form.cleaned_data["card_number"]),
            bank_code="NAPAS",
        )
        return redirect(_url(txn))
    return _page(
        request,
        "card.html",
        txn,
        form=form,
        test_cards=(
            (data.TEST_CARD_OK, _("Thanh toán thành công")),
            (data.TEST_CARD_NO_FUNDS, _("Số dư không đủ (mã 51)")),
        ),
        test_holder=data.TEST_HOLDER,
        test_issue_date=data.TEST_ISSUE_DATE,
    )


@require_http_methods(["GET", "POST"])
@transaction_page(GATEWAY, {SignedStep.OTP}, STEP_VIEWS)
def otp(request: HttpRequest, txn: SignedTransaction) -> HttpResponse:
    """The OTP of BankPlus and ATM payments; three wrong codes end the payment (code 13)."""
    form = OtpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        code = data.card_result_code(txn.payer_account) if txn.method == data.METHOD_ATM else "00"
        status = services.SUCCESS if code == "00" else services.FAILED
        check = services.signed_transaction_check_secret(
            txn=txn,
            step=SignedStep.OTP,
            given=form.cleaned_data["otp"],
            expected=data.TEST_OTP,
            max_failures=data.MAX_FAILURES,
            lockout_code=data.WRONG_OTP,
            on_success=(status, code, ""),
        )
        if check.txn.is_finished:
            return back_to_merchant(check.txn)
        txn = check.txn
        form.add_error(
            "otp",
            _("Mã OTP không đúng. Bạn còn %(left)d lần thử; nhập sai %(max)d lần, giao dịch sẽ bị hủy.")
            % {"left": check.attempts_left, "max": data.MAX_FAILURES},
        )
    return _page(request, "otp.html", txn, form=form, test_otp=data.TEST_OTP)
