"""Chuyển khoản cần xử lý: the finance officer's queue of bank transfers that did not match exactly.

Finance role only (reception officers get 403); an item of another agency is 404 — both checked by
:func:`finance_officer` and ``transfers.transfer_review_get_for_agency``. Two actions, each one
service call (audited, ledger entries in the same transaction):

- "Ghi nhận cho khoản thu": pay a fee notice of the agency with the transfer's money;
- "Hoàn trả": record that the money is to be sent back, with the reason.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from civicpay.accounts.decorators import officer_required, officer_with_role
from civicpay.accounts.models import Officer, OfficerRole
from civicpay.billing.errors import BillingError
from civicpay.billing.models import PaymentRequest, PaymentRequestStatus
from civicpay.billing.payables import PAYABLE_KIND, payables_for_requests
from civicpay.payments.errors import PaymentError
from civicpay.payments.models import ReviewStatus, TransferReview
from civicpay.payments.transfers import (
    transfer_review_apply,
    transfer_review_get_for_agency,
    transfer_review_refund,
    transfer_reviews_for_agency,
)

RESOLVED_SHOWN = 50


class ApplyForm(forms.Form):
    notice = forms.CharField(
        label=gettext_lazy("Số thông báo thu phí hoặc mã hồ sơ"),
        max_length=64,
        help_text=gettext_lazy("Khoản thu của cơ quan, chưa thanh toán, có số tiền không vượt quá số tiền đã chuyển."),
        error_messages={"required": gettext_lazy("Nhập số thông báo thu phí hoặc mã hồ sơ.")},
    )
    note = forms.CharField(label=gettext_lazy("Ghi chú"), max_length=500, required=False)


class RefundForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Lý do hoàn trả"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("Nhập lý do hoàn trả.")},
    )


def finance_officer(request: HttpRequest) -> Officer:
    """The logged-in officer if they hold the finance role (``officer_required`` ran first); else 403.
    The access rule of every finance screen (transfers to review, receipts to cancel or replace)."""
    return officer_with_role(request, OfficerRole.FINANCE)


def _review(officer: Officer, pk: int) -> TransferReview:
    try:
        return transfer_review_get_for_agency(agency_code=officer.agency.code, pk=pk)
    except TransferReview.DoesNotExist:
        raise Http404(_("Không tìm thấy khoản chuyển khoản")) from None


def _suggested_notice(review: TransferReview) -> PaymentRequest | None:
    """The fee notice of the payment the memo named (wrong amount, closed attempt), to prefill the form."""
    payment = review.suggested_payment
    if payment is None:
        return None
    ids = [int(i.payable_id) for i in payment.items.all() if i.payable_kind == PAYABLE_KIND]
    return PaymentRequest.objects.filter(pk__in=ids).first()


def _item_page(
    request: HttpRequest,
    review: TransferReview,
    *,
    apply_form: ApplyForm | None = None,
    refund_form: RefundForm | None = None,
    status: int = 200,
) -> HttpResponse:
    notice = _suggested_notice(review)
    context: dict[str, Any] = {
        "review": review,
        "transfer": review.transfer,
        "suggested_notice": notice,
        "apply_form": apply_form or ApplyForm(initial={"notice": notice.number if notice else ""}),
        "refund_form": refund_form or RefundForm(),
        "is_open": review.status == ReviewStatus.OPEN,
    }
    return render(request, "backoffice/transfers/item.html", context, status=status)


@officer_required
@require_GET
def transfer_queue(request: HttpRequest) -> HttpResponse:
    """The agency's open items, oldest first, and the latest resolved ones."""
    officer = finance_officer(request)
    code = officer.agency.code
    context = {
        "officer": officer,
        "open_items": list(transfer_reviews_for_agency(agency_code=code)),
        "resolved_items": list(
            transfer_reviews_for_agency(agency_code=code, status=None).exclude(status=ReviewStatus.OPEN)[
                :RESOLVED_SHOWN
            ]
        ),
    }
    return render(request, "backoffice/transfers/queue.html", context)


@officer_required
@require_GET
def transfer_item(request: HttpRequest, pk: int) -> HttpResponse:
    officer = finance_officer(request)
    return _item_page(request, _review(officer, pk))


def _notice_for(officer: Officer, text: str) -> PaymentRequest | None:
    """The agency's issued fee notice with this number, or the current one of this dossier code."""
    text = text.strip()
    return (
        PaymentRequest.objects.select_related("agency")
        .prefetch_related("lines")
        .filter(Q(number__iexact=text) | Q(owner_reference__iexact=text), agency=officer.agency)
        .filter(status=PaymentRequestStatus.ISSUED)
        .first()
    )


@officer_required
@require_POST
def transfer_apply(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Ghi nhận cho khoản thu": the notice is paid with this transfer; the money leaves suspense."""
    officer = finance_officer(request)
    review = _review(officer, pk)
    form = ApplyForm(request.POST)
    if form.is_valid():
        notice = _notice_for(officer, form.cleaned_data["notice"])
        if notice is None:
            form.add_error("notice", _("Không tìm thấy khoản thu chưa thanh toán với số hoặc mã hồ sơ này."))
        else:
            try:
                payment = transfer_review_apply(
                    review=review,
                    items=payables_for_requests([notice]),
                    agency_code=officer.agency.code,
                    by=request.user,  # type: ignore[arg-type]
                    payer_user=notice.payer_user,
                    payer_name=notice.payer_name,
                    payer_email=notice.payer_email,
                    payer_phone=notice.payer_phone,
                    note=form.cleaned_data["note"],
                )
            except (PaymentError, BillingError) as exc:
                form.add_error("notice", exc.message)
            else:
                messages.success(
                    request,
                    _("Đã ghi nhận chuyển khoản cho thông báo %(number)s (giao dịch %(ref)s).")
                    % {"number": notice.number, "ref": payment.reference},
                )
                return redirect("backoffice:transfer_item", pk=review.pk)
    return _item_page(request, review, apply_form=form, status=400)


@officer_required
@require_POST
def transfer_refund(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Hoàn trả": the money is due back to the sender; the accountant makes the outgoing transfer."""
    officer = finance_officer(request)
    review = _review(officer, pk)
    form = RefundForm(request.POST)
    if form.is_valid():
        try:
            transfer_review_refund(
                review=review,
                agency_code=officer.agency.code,
                by=request.user,  # type: ignore[arg-type]
                reason=form.cleaned_data["reason"],
            )
        except PaymentError as exc:
            form.add_error("reason", exc.message)
        else:
            messages.success(request, _("Đã chuyển khoản này sang chờ hoàn trả."))
            return redirect("backoffice:transfer_item", pk=review.pk)
    return _item_page(request, review, refund_form=form, status=400)
