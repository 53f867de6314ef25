"""The sandbox bank's pages: send a transfer, and the log of transfers and notification attempts."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from civicpay.core.money import format_vnd
from civicpay.sandbox.bank import services
from civicpay.sandbox.bank.forms import TransferForm
from civicpay.sandbox.bank.models import NotificationAttempt, SentTransfer

TRANSFERS_SHOWN = 50


def _origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


@require_http_methods(["GET", "POST"])
def send(request: HttpRequest) -> HttpResponse:
    """ "Chuyển tiền": a transfer into any account with any amount and memo; the platform is notified
    from the worker. The receiving account defaults to the platform's demo account."""
    if request.method == "POST":
        form = TransferForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            sent = services.transfer_send(
                account=data["account"],
                amount=data["amount"],
                memo=data["memo"].strip(),
                sender_name=data["sender_name"].strip(),
                sender_account=data["sender_account"],
                notify_url=services.notify_url_for(_origin(request)),
            )
            messages.success(
                request,
                _("Đã chuyển %(amount)s vào tài khoản %(account)s. Mã giao dịch %(no)s.")
                % {"amount": format_vnd(sent.amount), "account": sent.account, "no": sent.bank_transaction_id},
            )
            return redirect("sandbox:bank:transfers")
    else:
        form = TransferForm(initial={"account": getattr(settings, "VIETQR_ACCOUNT_NO", "")})
    return render(request, "sandbox/bank/send.html", {"form": form}, status=400 if form.errors else 200)


def transfers(request: HttpRequest) -> HttpResponse:
    """The bank's log: the latest transfers, each notification attempt and the platform's reply."""
    shown = SentTransfer.objects.prefetch_related(
        Prefetch("attempt_log", queryset=NotificationAttempt.objects.order_by("number"))
    )[:TRANSFERS_SHOWN]
    return render(request, "sandbox/bank/transfers.html", {"transfers": shown, "shown": TRANSFERS_SHOWN})


@require_POST
def renotify(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Gửi lại thông báo": the same transfer notified again (the platform must record it once)."""
    sent = get_object_or_404(SentTransfer, pk=pk)
    services.transfer_renotify(sent=sent)
    messages.info(request, _("Sẽ gửi lại thông báo giao dịch %(no)s.") % {"no": sent.bank_transaction_id})
    return redirect("sandbox:bank:transfers")
