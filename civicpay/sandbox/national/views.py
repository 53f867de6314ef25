"""The national payment platform sandbox ("Cổng DVC Quốc gia"): an aggregator's pages.

The payer arrives from CivicPay, picks one of the platform's own banks or e-wallets, sees a simulated
confirmation ("Xác nhận thanh toán" / "Hủy") and is sent back; the platform notifies CivicPay from the
worker. Seed 001, section II, steps 3–4.
"""

from __future__ import annotations

from typing import Final

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from civicpay.sandbox.models import SignedStep, SignedTransaction
from civicpay.sandbox.national import data
from civicpay.sandbox.signed import services
from civicpay.sandbox.signed.views import back_to_merchant, open_transaction, step_url, transaction_page

GATEWAY: Final = "national"
STEP_VIEWS: Final[dict[str, str]] = {SignedStep.BANK: "choose", SignedStep.CONFIRM: "confirm"}
METHOD: Final = "platform"


class IntermediaryForm(forms.Form):
    bank_code = forms.ChoiceField(
        label=_("Chọn ngân hàng hoặc ví điện tử"),
        choices=[(item.code, item.name) for item in data.INTERMEDIARIES],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Chọn ngân hàng hoặc ví điện tử để thanh toán."),
            "invalid_choice": _("Chọn ngân hàng hoặc ví điện tử để thanh toán."),
        },
    )


def _url(txn: SignedTransaction, step: str | None = None) -> str:
    return step_url(txn, STEP_VIEWS, step)


@require_GET
def pay(request: HttpRequest) -> HttpResponse:
    """``<gateway>/pay``: CivicPay's signed redirect lands here. The platform has one method of its own."""
    opened = open_transaction(request, GATEWAY, methods=("", METHOD))
    if isinstance(opened, HttpResponse):
        return opened
    return redirect(_url(opened))


@require_http_methods(["GET", "POST"])
@transaction_page(GATEWAY, {SignedStep.BANK, SignedStep.CONFIRM}, STEP_VIEWS)
def choose(request: HttpRequest, txn: SignedTransaction) -> HttpResponse:
    """The platform's own list of banks and e-wallets."""
    form = IntermediaryForm(
        request.POST if request.method == "POST" else None, initial={"bank_code": txn.bank_code or None}
    )
    if request.method == "POST" and form.is_valid():
        txn = services.signed_transaction_advance(
            txn=txn,
            from_steps={SignedStep.BANK, SignedStep.CONFIRM},
            step=SignedStep.CONFIRM,
            bank_code=form.cleaned_data["bank_code"],
            method=METHOD,
        )
        return redirect(_url(txn))
    return render(
        request,
        "sandbox/national/choose.html",
        {"txn": txn, "form": form, "banks": data.BANKS, "wallets": data.WALLETS},
    )


@require_http_methods(["GET", "POST"])
@transaction_page(GATEWAY, {SignedStep.CONFIRM}, STEP_VIEWS)
def confirm(request: HttpRequest, txn: SignedTransaction) -> HttpResponse:
    """The simulated confirmation at the chosen bank or wallet."""
    if request.method == "POST":
        txn = services.signed_transaction_finish(txn=txn, status=services.SUCCESS, result_code="00")
        return back_to_merchant(txn)
    return render(
        request,
        "sandbox/national/confirm.html",
        {"txn": txn, "intermediary": data.BY_CODE.get(txn.bank_code), "choose_url": _url(txn, SignedStep.BANK)},
    )
