"""Tiếp nhận hồ sơ qua mạng: the online-dossier queue and the two-step "Yêu cầu thanh toán" (seed 001).

The request-payment journey keeps its draft in the server-side session between the edit step and the
confirmation step: amounts the officer confirms are the ones the server validated, never values read back
from the page. Each dossier's request is issued by its own service call (its own transaction), so one
dossier that changed meanwhile does not stop the others; the officer is told which succeeded and which not.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from civicpay.accounts.decorators import officer_required
from civicpay.accounts.models import Officer
from civicpay.backoffice.forms import (
    BaseFeeLinesFormSet,
    ConfirmPaymentRequestForm,
    PaymentBatchForm,
    QueueFilterForm,
    fee_lines_formset,
)
from civicpay.backoffice.paging import keyset_page
from civicpay.billing.errors import BillingError
from civicpay.billing.types import LineInput
from civicpay.directory.models import FeeKind
from civicpay.dossiers.errors import DossierError
from civicpay.dossiers.models import Dossier
from civicpay.dossiers.selectors import dossier_fee_prefill, dossier_get_for_officer, dossier_list_for_officer
from civicpay.dossiers.services import (
    dossier_officer_actions,
    dossier_replace_payment_request,
    dossier_request_payment,
)
from civicpay.dossiers.types import DossierAction

DRAFT_SESSION_KEY = "backoffice.payment_request_draft"
MAX_BATCH = 50


def officer_of(request: HttpRequest) -> Officer:
    """The logged-in officer (``officer_required`` has already let only officers through)."""
    officer: Officer = request.user.officer  # type: ignore[union-attr]
    return officer


# --- The queue ------------------------------------------------------------------------------------


@officer_required
def queue(request: HttpRequest) -> HttpResponse:
    """The agency's online dossiers, newest first, filtered and searched, 25 a page by keyset."""
    officer = officer_of(request)
    form = QueueFilterForm(request.GET or None, agency=officer.agency)
    if form.is_bound:
        form.is_valid()
    dossiers = dossier_list_for_officer(officer=officer, **form.selector_filters()).select_related("procedure")
    page = keyset_page(dossiers, after=request.GET.get("sau", ""), before=request.GET.get("truoc", ""))
    filters = {key: str(value) for key, value in request.GET.items() if key not in {"sau", "truoc"} and value}
    return render(
        request,
        "backoffice/queue.html",
        {
            "form": form,
            "page": page,
            "next_url": _with_query(request, filters, sau=page.next_cursor),
            "previous_url": _with_query(request, filters, truoc=page.previous_cursor),
            "is_filtered": bool(filters),
        },
    )


def _with_query(request: HttpRequest, filters: dict[str, str], **cursor: str | None) -> str | None:
    extra = {k: v for k, v in cursor.items() if v}
    if not extra:
        return None
    return f"{request.path}?{urlencode({**filters, **extra})}"


# --- Yêu cầu thanh toán: step 1, the fee lines ----------------------------------------------------------


@dataclass
class Candidate:
    """A ticked dossier the officer may request payment for, with its lines formset."""

    dossier: Dossier
    formset: BaseFeeLinesFormSet


@dataclass
class Refusal:
    """A ticked dossier that cannot get a payment request now, and why (shown to the officer)."""

    label: str
    reason: str


@dataclass
class Selection:
    candidates: list[Candidate] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)


def parse_ids(values: list[str]) -> list[int]:
    """Dossier ids from ``?ids=1&ids=2`` or ``?ids=1,2``, in order, without duplicates or junk."""
    ids: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if part.isdigit() and int(part) not in ids:
                ids.append(int(part))
    return ids


def _refusal_reason(dossier: Dossier, *, replacing: bool) -> str | None:
    actions = dossier_officer_actions(dossier=dossier)
    if replacing:
        if DossierAction.CANCEL_PAYMENT_REQUEST in actions:
            return None
        return _("Hồ sơ không có yêu cầu thanh toán chưa nộp tiền để thay thế.")
    if DossierAction.REQUEST_PAYMENT in actions:
        return None
    return _("Không thể yêu cầu thanh toán: hồ sơ đang ở trạng thái “%(status)s”, phí: “%(fee)s”.") % {
        "status": dossier.status_label,
        "fee": dossier.fee_status_label,
    }


def _select(
    officer: Officer, ids: list[int], *, replacing: bool, data: QueryDict | dict[str, Any] | None = None
) -> Selection:
    selection = Selection()
    for pk in ids:
        try:
            dossier = dossier_get_for_officer(officer=officer, pk=pk)
        except Dossier.DoesNotExist:
            selection.refusals.append(Refusal(label=f"#{pk}", reason=_("Không tìm thấy hồ sơ trong cơ quan của bạn.")))
            continue
        reason = _refusal_reason(dossier, replacing=replacing)
        if reason:
            selection.refusals.append(Refusal(label=dossier.code, reason=reason))
            continue
        schedule = dossier_fee_prefill(dossier=dossier)
        formset = fee_lines_formset(dossier_pk=dossier.pk, schedule=schedule, data=data)
        selection.candidates.append(Candidate(dossier=dossier, formset=formset))
    return selection


def _error_list(selection: Selection, batch_form: PaymentBatchForm) -> list[tuple[str, str]]:
    """``(anchor, message)`` for the page's error summary: every error, linked to its field."""
    errors: list[tuple[str, str]] = [
        (f"#{batch_form[name].auto_id}", str(message))
        for name, messages_ in batch_form.errors.items()
        for message in messages_
    ]
    for candidate in selection.candidates:
        code = candidate.dossier.code
        for index, form in enumerate(candidate.formset.forms):
            if candidate.formset.is_removed(form):
                continue
            for name, messages_ in form.errors.items():
                anchor = f"#{form[name].auto_id}" if name in form.fields else f"#dossier-{candidate.dossier.pk}"
                for message in messages_:
                    errors.append(
                        (
                            anchor,
                            _("%(code)s, dòng %(n)s: %(message)s") % {"code": code, "n": index + 1, "message": message},
                        )
                    )
        for message in candidate.formset.non_form_errors():
            errors.append((f"#dossier-{candidate.dossier.pk}", f"{code}: {message}"))
    return errors


def _form_data_for_session(post: QueryDict) -> dict[str, list[str]]:
    return {key: values for key, values in post.lists() if key != "csrfmiddlewaretoken"}


def _restore_post(data: dict[str, list[str]]) -> QueryDict:
    restored = QueryDict(mutable=True)
    for key, values in data.items():
        restored.setlist(key, values)
    return restored


@officer_required
@require_http_methods(["GET", "POST"])
def request_payment(request: HttpRequest) -> HttpResponse:
    """Step 1: the fee lines of each ticked dossier, from its fee schedule, for the officer to check and edit.

    "Thêm dòng" (``add_line=<dossier pk>``) posts the page back with one more empty line and keeps every
    answer; ticking "Bỏ dòng này" removes a line. "Tiếp tục" validates and stores the draft in the session.
    """
    officer = officer_of(request)
    source = request.POST if request.method == "POST" else request.GET
    ids = parse_ids(source.getlist("ids"))
    replacing = source.get("replace") == "1"
    if not ids:
        messages.error(request, _("Chọn ít nhất một hồ sơ để yêu cầu thanh toán."))
        return redirect("backoffice:queue")
    if len(ids) > MAX_BATCH:
        messages.error(request, _("Chọn tối đa %(n)s hồ sơ mỗi lần.") % {"n": MAX_BATCH})
        return redirect("backoffice:queue")
    if replacing and len(ids) != 1:
        messages.error(request, _("Mỗi lần chỉ thay thế yêu cầu thanh toán của một hồ sơ."))
        return redirect("backoffice:queue")

    data: QueryDict | None = None
    show_errors = False
    if request.method == "POST":
        data = request.POST.copy()
        add_to = request.POST.get("add_line", "")
        if add_to.isdigit():
            total_key = f"d{add_to}-TOTAL_FORMS"
            total = str(data.get(total_key, ""))
            if total.isdigit():
                data[total_key] = str(int(total) + 1)
        else:
            show_errors = True
    elif request.GET.get("sua") == "1":
        draft = request.session.get(DRAFT_SESSION_KEY)
        if draft and draft.get("ids") == ids and draft.get("replace") == replacing:
            data = _restore_post(draft["form_data"])

    selection = _select(officer, ids, replacing=replacing, data=data)
    if show_errors or data is None:
        batch_form = PaymentBatchForm(data, replacing=replacing)
    else:  # "Thêm dòng" or back from the confirmation: keep the answers, judge them only on "Tiếp tục"
        kept = {name: data.get(name, "") for name in ("due_date", "reason")}
        batch_form = PaymentBatchForm(initial=kept, replacing=replacing)
    if show_errors and selection.candidates:
        # Validate every formset (not just up to the first invalid one) so every error is shown at once.
        formsets_valid = [c.formset.is_valid() for c in selection.candidates]
        if batch_form.is_valid() and all(formsets_valid):
            request.session[DRAFT_SESSION_KEY] = {
                "ids": ids,
                "replace": replacing,
                "due_date": batch_form.cleaned_data["due_date"].isoformat()
                if batch_form.cleaned_data["due_date"]
                else None,
                "reason": batch_form.cleaned_data.get("reason", ""),
                "items": [
                    {"dossier_id": c.dossier.pk, "lines": [asdict(line) for line in c.formset.line_inputs()]}
                    for c in selection.candidates
                ],
                "form_data": _form_data_for_session(request.POST),
            }
            return redirect("backoffice:request_payment_confirm")
    errors = _error_list(selection, batch_form) if show_errors and selection.candidates else []
    return render(
        request,
        "backoffice/request_payment.html",
        {
            "selection": selection,
            "batch_form": batch_form,
            "ids": ",".join(str(pk) for pk in ids),
            "replacing": replacing,
            "errors": errors,
            "show_errors": show_errors,
        },
        status=400 if errors else 200,
    )


# --- Yêu cầu thanh toán: step 2, Kiểm tra nội dung thu phí ----------------------------------------------


@dataclass
class ConfirmItem:
    dossier: Dossier
    lines: list[LineInput]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    def kind_label(self, line: LineInput) -> str:
        return str(FeeKind(line.kind).label)

    @property
    def rows(self) -> list[tuple[str, LineInput]]:
        return [(self.kind_label(line), line) for line in self.lines]


def _draft_items(officer: Officer, draft: dict[str, Any]) -> list[ConfirmItem]:
    """The draft's dossiers, re-read through the officer's access check."""
    items = []
    for item in draft["items"]:
        dossier = dossier_get_for_officer(officer=officer, pk=item["dossier_id"])
        items.append(ConfirmItem(dossier=dossier, lines=[LineInput(**line) for line in item["lines"]]))
    return items


@officer_required
@require_http_methods(["GET", "POST"])
def request_payment_confirm(request: HttpRequest) -> HttpResponse:
    """Step 2: every dossier's lines and total, the grand total, a box to tick, then "Gửi yêu cầu thanh toán"."""
    officer = officer_of(request)
    draft = request.session.get(DRAFT_SESSION_KEY)
    if not draft:
        messages.info(request, _("Không có yêu cầu thanh toán nào đang chờ xác nhận."))
        return redirect("backoffice:queue")
    try:
        items = _draft_items(officer, draft)
    except Dossier.DoesNotExist:
        del request.session[DRAFT_SESSION_KEY]
        messages.error(request, _("Không tìm thấy hồ sơ trong cơ quan của bạn."))
        return redirect("backoffice:queue")
    due_date = date.fromisoformat(draft["due_date"]) if draft["due_date"] else None
    form = ConfirmPaymentRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        del request.session[DRAFT_SESSION_KEY]
        return _issue(request, officer, items, due_date=due_date, replacing=draft["replace"], reason=draft["reason"])
    edit_query = urlencode({"ids": ",".join(str(pk) for pk in draft["ids"]), "sua": "1"})
    if draft["replace"]:
        edit_query += "&replace=1"
    return render(
        request,
        "backoffice/request_payment_confirm.html",
        {
            "form": form,
            "items": items,
            "grand_total": sum(item.total for item in items),
            "due_date": due_date,
            "replacing": draft["replace"],
            "reason": draft["reason"],
            "edit_url": f"{reverse('backoffice:request_payment')}?{edit_query}",
        },
        status=400 if form.errors else 200,
    )


def _issue(
    request: HttpRequest,
    officer: Officer,
    items: list[ConfirmItem],
    *,
    due_date: date | None,
    replacing: bool,
    reason: str,
) -> HttpResponseRedirect:
    sent: list[str] = []
    for item in items:
        try:
            if replacing:
                dossier_replace_payment_request(
                    dossier=item.dossier, officer=officer, lines=item.lines, due_date=due_date, reason=reason
                )
            else:
                dossier_request_payment(dossier=item.dossier, officer=officer, lines=item.lines, due_date=due_date)
        except (DossierError, BillingError) as error:
            messages.error(
                request,
                _("Hồ sơ %(code)s: chưa gửi được yêu cầu thanh toán. %(reason)s")
                % {"code": item.dossier.code, "reason": error.message},
            )
        else:
            sent.append(item.dossier.code)
    if sent:
        messages.success(
            request,
            _(
                "Đã gửi yêu cầu thanh toán cho %(n)s hồ sơ: %(codes)s. Người nộp đã được thông báo qua SMS, e-mail và trên cổng."
            )
            % {"n": len(sent), "codes": ", ".join(sent)},
        )
    if replacing and len(items) == 1:
        return redirect("backoffice:dossier", pk=items[0].dossier.pk)
    return redirect("backoffice:queue")
