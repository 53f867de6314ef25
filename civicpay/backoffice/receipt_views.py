"""Biên lai: the finance officer finds a receipt of the agency, sees its documents, cancels or corrects it.

Same access rule as the transfer queue (``transfer_views.finance_officer``): finance officers and agency
admins only (reception officers and citizens get 403); a receipt of another agency is a 404, exactly like
one that does not exist (``receipts.receipt_get_for_agency``).

Cancelling ("Hủy biên lai") and correcting the payer ("Điều chỉnh biên lai") sign and issue documents that
cannot be taken back, so each is two steps (GOV.UK "check your answers"): the form, then a page that says
what will happen, with the answers in hidden fields and a button that does it. Each action is one service
call (``billing.receipts.receipt_cancel`` / ``receipt_replace``), which checks everything again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from civicpay.accounts.decorators import officer_required
from civicpay.accounts.models import Officer
from civicpay.backoffice.transfer_views import finance_officer
from civicpay.billing.errors import BillingError
from civicpay.billing.models import Receipt
from civicpay.billing.receipt_xml import RECEIPT_XML_OWNER_KIND
from civicpay.billing.receipts import (
    PAYER_ADDRESS_MAX,
    PAYER_NAME_MAX,
    REASON_MAX,
    RECEIPT_OWNER_KIND,
    receipt_cancel,
    receipt_chain_documents,
    receipt_check_changeable,
    receipt_document_filename,
    receipt_get_for_agency,
    receipt_replace,
    receipt_search_for_agency,
    receipt_versions,
)
from civicpay.documents.models import IssuedDocument, ReplacementKind
from civicpay.documents.services import document_read


class SearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Mã hồ sơ, số thông báo hoặc số biên lai"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("Ví dụ: G22.45-261122-0001, TB2611220001, 0000042 hoặc AA-26E 0000042"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Lý do hủy biên lai"),
        max_length=REASON_MAX,
        help_text=gettext_lazy("Ví dụ: hoàn trả phí, lệ phí cho người nộp theo quyết định số …"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("Nhập lý do hủy biên lai.")},
    )


class ReplaceForm(forms.Form):
    payer_name = forms.CharField(
        label=gettext_lazy("Họ tên hoặc tên tổ chức người nộp"),
        max_length=PAYER_NAME_MAX,
        error_messages={"required": gettext_lazy("Nhập họ tên hoặc tên tổ chức người nộp.")},
    )
    payer_address = forms.CharField(
        label=gettext_lazy("Địa chỉ người nộp"), max_length=PAYER_ADDRESS_MAX, required=False
    )
    reason = forms.CharField(
        label=gettext_lazy("Lý do điều chỉnh"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("Nhập lý do điều chỉnh biên lai.")},
    )


@dataclass(frozen=True)
class DocumentRow:
    """One issued document of the receipt's payment request, as the officer's page lists it."""

    document: IssuedDocument
    label: str
    format: str
    state: str
    state_tag: str


def _document_rows(receipt: Receipt) -> list[DocumentRow]:
    """The PDF and XML documents of every receipt of the payment request, oldest first."""
    documents = sorted(
        receipt_chain_documents(receipt, owner_kind=RECEIPT_OWNER_KIND)
        + receipt_chain_documents(receipt, owner_kind=RECEIPT_XML_OWNER_KIND),
        key=lambda document: (document.issued_at, document.pk),
    )
    successors = {document.replaces_id: document for document in documents if document.replaces_id}
    labels = {
        "": _("Biên lai"),
        ReplacementKind.REPLACE: _("Biên lai thay thế"),
        ReplacementKind.CANCEL: _("Thông báo hủy biên lai"),
    }
    rows = []
    for document in documents:
        successor = successors.get(document.pk)
        if successor is None:
            state, tag = _("Còn hiệu lực"), "tag-success"
        elif successor.replacement_kind == ReplacementKind.CANCEL:
            state, tag = _("Đã bị hủy"), "tag-error"
        else:
            state, tag = _("Đã được thay thế"), "tag-warning"
        rows.append(
            DocumentRow(
                document=document,
                label=labels.get(document.replacement_kind, document.replacement_kind),
                format="XML" if document.media_type == "application/xml" else "PDF",
                state=state,
                state_tag=tag,
            )
        )
    return rows


def _receipt(officer: Officer, pk: int) -> Receipt:
    try:
        return receipt_get_for_agency(agency=officer.agency, pk=pk)
    except Receipt.DoesNotExist:
        raise Http404(_("Không tìm thấy biên lai")) from None


@officer_required
@require_GET
def receipt_list(request: HttpRequest) -> HttpResponse:
    """Find a receipt of the agency by dossier code, fee notice number or receipt number."""
    officer = finance_officer(request)
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    context = {
        "officer": officer,
        "form": form,
        "query": query,
        "receipts": receipt_search_for_agency(agency=officer.agency, query=query),
    }
    return render(request, "backoffice/receipts/list.html", context)


@officer_required
@require_GET
def receipt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The receipt, the other receipts of its payment request, and every document issued for them."""
    receipt = _receipt(finance_officer(request), pk)
    context = {
        "receipt": receipt,
        "versions": receipt_versions(receipt),
        "documents": _document_rows(receipt),
    }
    return render(request, "backoffice/receipts/detail.html", context)


@officer_required
@require_GET
def receipt_document(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """One document (PDF or XML) of the receipt's payment request, as a download."""
    receipt = _receipt(finance_officer(request), pk)
    documents = [row.document for row in _document_rows(receipt) if row.document.lookup_code == code]
    if not documents:
        raise Http404(_("Không tìm thấy tài liệu"))
    document = documents[0]
    response = HttpResponse(document_read(document), content_type=document.media_type)
    response["Content-Disposition"] = (
        content_disposition_header(True, receipt_document_filename(document)) or "attachment"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@dataclass(frozen=True)
class Step:
    """One of the two two-step actions: its form, what its pages say, and the service it calls
    (``backoffice/receipts/action.html``)."""

    form_class: type[forms.Form]
    run: Callable[[Receipt, Any, dict[str, Any]], Receipt]
    done: Callable[[Receipt, Receipt], str]
    url_name: str
    title: Promise
    intro: Promise
    confirm_title: Promise
    details_template: str
    warning: Promise
    confirm_label: Promise
    confirm_class: str = ""
    initial: Callable[[Receipt], dict[str, Any]] = lambda receipt: {}


def _cancel(receipt: Receipt, by: Any, data: dict[str, Any]) -> Receipt:
    return receipt_cancel(receipt=receipt, reason=data["reason"], by=by)


def _replace(receipt: Receipt, by: Any, data: dict[str, Any]) -> Receipt:
    return receipt_replace(
        receipt=receipt,
        payer_name=data["payer_name"],
        payer_address=data["payer_address"],
        reason=data["reason"],
        by=by,
    )


CANCEL = Step(
    form_class=CancelForm,
    run=_cancel,
    done=lambda old, new: (
        _("Đã hủy biên lai %(receipt)s và phát hành thông báo hủy có chữ ký số.") % {"receipt": str(old)}
    ),
    url_name="backoffice:receipt_cancel",
    title=gettext_lazy("Hủy biên lai"),
    intro=gettext_lazy(
        "Hủy biên lai khi khoản thu được hoàn trả hoặc biên lai lập nhầm. Nếu chỉ sai tên hoặc địa chỉ người "
        "nộp, hãy điều chỉnh biên lai thay vì hủy."
    ),
    confirm_title=gettext_lazy("Xác nhận hủy biên lai"),
    details_template="backoffice/receipts/_confirm_cancel.html",
    warning=gettext_lazy(
        "Hệ thống sẽ phát hành thông báo hủy (PDF và XML có chữ ký số của cơ quan) tham chiếu biên lai này. "
        "Biên lai vẫn được lưu cùng số của nó; người nộp và người tra cứu mã tra cứu sẽ thấy biên lai đã bị "
        "hủy. Không thể hoàn tác."
    ),
    confirm_label=gettext_lazy("Hủy biên lai"),
    confirm_class="button-warning",
)
REPLACE = Step(
    form_class=ReplaceForm,
    run=_replace,
    done=lambda old, new: _("Đã lập biên lai %(new)s thay thế biên lai %(old)s.") % {"new": str(new), "old": str(old)},
    url_name="backoffice:receipt_replace",
    title=gettext_lazy("Điều chỉnh biên lai"),
    intro=gettext_lazy(
        "Dùng khi tên hoặc địa chỉ người nộp trên biên lai bị sai. Biên lai điều chỉnh là một biên lai mới, có "
        "số mới, thay thế biên lai này; số tiền và các khoản thu giữ nguyên."
    ),
    confirm_title=gettext_lazy("Xác nhận điều chỉnh biên lai"),
    details_template="backoffice/receipts/_confirm_replace.html",
    warning=gettext_lazy(
        "Hệ thống sẽ lập biên lai thay thế với số mới, ghi “Thay thế cho biên lai Mẫu số… ký hiệu… số… "
        "ngày…”, và phát hành bản PDF và XML có chữ ký số của cơ quan. Biên lai hiện tại vẫn được lưu và "
        "được đánh dấu đã bị thay thế. Không thể hoàn tác."
    ),
    confirm_label=gettext_lazy("Lập biên lai thay thế"),
    initial=lambda receipt: {"payer_name": receipt.payer_name, "payer_address": receipt.payer_address},
)


def _two_step(request: HttpRequest, pk: int, step: Step) -> HttpResponse:
    """GET: the form. POST: back to the form with errors (400) or when the officer asks to change the
    answers; the confirmation page when they are valid; the action itself once confirmed."""
    receipt = _receipt(finance_officer(request), pk)
    try:
        receipt_check_changeable(receipt)
    except BillingError as error:
        messages.error(request, error.message)
        return redirect("backoffice:receipt", pk=receipt.pk)

    def page(form: forms.Form, *, confirming: bool = False, status: int = 200) -> HttpResponse:
        context = {"receipt": receipt, "form": form, "step": step, "confirming": confirming}
        return render(request, "backoffice/receipts/action.html", context, status=status)

    if request.method != "POST":
        return page(step.form_class(initial=step.initial(receipt)))
    form = step.form_class(request.POST)
    if not form.is_valid():
        return page(form, status=400)
    if "confirm" not in request.POST:
        return page(form, confirming="edit" not in request.POST)
    try:
        result = step.run(receipt, request.user, form.cleaned_data)
    except BillingError as error:
        form.add_error(None, error.message)
        return page(form, status=400)
    messages.success(request, step.done(receipt, result))
    return redirect("backoffice:receipt", pk=result.pk)


# By the ``action`` the URL conf passes: "Hủy biên lai" and "Điều chỉnh biên lai".
STEPS = {"cancel": CANCEL, "replace": REPLACE}


@officer_required
@require_http_methods(["GET", "POST"])
def receipt_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """ "Hủy biên lai" (a required reason) or "Điều chỉnh biên lai" (the corrected payer name and address,
    a reason), each followed by a confirmation step."""
    return _two_step(request, pk, STEPS[action])
