"""Organisations paying through VietinBank (seed 002 §I): *Đăng ký thanh toán trực tuyến*, *Xem hồ sơ* with
several dossiers paid at once (automatic debit, or printed instructions to pay at a branch).

Access: every page goes through ``civicpay.payments.debit``'s member checks (a registration of an
organisation the user represents) and ``dossiers``' organisation filter; anything else is a 404.
The work is in ``civicpay.payments.debit`` (registrations, debit payments) and ``payments.services``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from civicpay.accounts.models import Organisation, User
from civicpay.billing.errors import BillingError
from civicpay.billing.models import PaymentRequest, PaymentRequestStatus
from civicpay.billing.payables import PAYABLE_KIND, payables_for_requests
from civicpay.core import clock
from civicpay.core.money import format_vnd, vnd_in_words
from civicpay.core.ratelimit import client_ip
from civicpay.directory.models import Agency
from civicpay.documents.models import DocumentKind
from civicpay.documents.services import document_issue_once, document_read
from civicpay.documents.types import DocumentSummary
from civicpay.dossiers.models import Dossier
from civicpay.payments.access import payment_get_for_viewer, remember_payment
from civicpay.payments.debit import (
    DebitError,
    debit_payment_create,
    debit_registration_active,
    debit_registration_cancel,
    debit_registration_create,
    debit_registration_get_for_user,
    debit_registration_live,
    debit_registration_prefill,
    debit_registrations_for_user,
    organisation_get_for_member,
    organisations_for_member,
)
from civicpay.payments.errors import PaymentError
from civicpay.payments.models import PENDING_STATUSES, DebitRegistration, DebitRegistrationStatus, Payment, PaymentItem
from civicpay.payments.providers.vietinbank import CODE as VIETINBANK
from civicpay.payments.providers.vietinbank import METHOD_BRANCH, METHOD_DEBIT
from civicpay.payments.selectors import payment_status_view
from civicpay.payments.services import payment_create, payment_start

# --- forms ----------------------------------------------------------------------------------------


class RegistrationForm(forms.Form):
    """What the organisation types; everything else comes from its account (seed 002 §I.1)."""

    account_number = forms.CharField(
        label=gettext_lazy("Số tài khoản"),
        help_text=gettext_lazy("Tài khoản thanh toán của tổ chức tại VietinBank, 6 đến 19 chữ số."),
        max_length=30,
        error_messages={"required": gettext_lazy("Nhập số tài khoản.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}),
    )
    account_holder = forms.CharField(
        label=gettext_lazy("Chủ tài khoản"),
        help_text=gettext_lazy("Tên chủ tài khoản như trên sổ tài khoản, ví dụ CONG TY TNHH SAO MAI."),
        max_length=150,
        error_messages={"required": gettext_lazy("Nhập tên chủ tài khoản.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_account_number(self) -> str:
        value = "".join(ch for ch in self.cleaned_data["account_number"] if ch not in " -.")
        if not (value.isascii() and value.isdigit() and 6 <= len(value) <= 19):
            raise forms.ValidationError(_("Số tài khoản gồm 6 đến 19 chữ số."), code="format")
        return value


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _ip(request: HttpRequest) -> str | None:
    ip = client_ip(request)
    return None if ip == "unknown" else ip


def _registration_for(request: HttpRequest, reference: str) -> DebitRegistration:
    try:
        return debit_registration_get_for_user(user=_user(request), reference=reference)
    except DebitRegistration.DoesNotExist:
        raise Http404(_("Không tìm thấy đăng ký thanh toán trực tuyến")) from None


def _organisation_for(request: HttpRequest, organisation_id: int) -> Organisation:
    try:
        return organisation_get_for_member(user=_user(request), organisation_id=organisation_id)
    except Organisation.DoesNotExist:
        raise Http404(_("Không tìm thấy tổ chức")) from None


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename) or "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Đăng ký thanh toán trực tuyến ------------------------------------------------------------------


@login_required
def registrations(request: HttpRequest) -> HttpResponse:
    """The organisations the user represents and their registrations, newest first."""
    user = _user(request)
    organisations = list(organisations_for_member(user=user))
    rows = [(organisation, debit_registration_live(organisation=organisation)) for organisation in organisations]
    history = debit_registrations_for_user(user=user)[:50]
    return render(request, "portal/debit/registrations.html", {"rows": rows, "history": history})


@login_required
@require_http_methods(["GET", "POST"])
def registration_new(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """The form: the organisation's details pre-filled, account number and holder typed in."""
    user = _user(request)
    organisation = _organisation_for(request, organisation_id)
    live = debit_registration_live(organisation=organisation)
    if live is not None:
        return redirect("portal:debit_registration", reference=live.reference)
    form = RegistrationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                registration = debit_registration_create(
                    organisation=organisation,
                    user=user,
                    account_number=form.cleaned_data["account_number"],
                    account_holder=form.cleaned_data["account_holder"],
                    ip_address=_ip(request),
                )
            except DebitError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _(
                        "Đã gửi đăng ký đến VietinBank. In phiếu đăng ký, ký, đóng dấu và nộp tại điểm giao dịch VietinBank."
                    ),
                )
                return redirect("portal:debit_registration", reference=registration.reference)
        status = 400
    prefill = debit_registration_prefill(organisation=organisation, user=user)
    context = {"organisation": organisation, "prefill": prefill, "form": form}
    return render(request, "portal/debit/registration_new.html", context, status=status)


@login_required
def registration_detail(request: HttpRequest, reference: str) -> HttpResponse:
    registration = _registration_for(request, reference)
    return render(request, "portal/debit/registration_detail.html", {"registration": registration})


def _registration_document_context(registration: DebitRegistration) -> dict[str, Any]:
    return {
        "registration": registration,
        "created_on": clock.local(registration.created_at).date(),
        "bank_name": "VietinBank – Ngân hàng TMCP Công Thương Việt Nam",
        "site_name": settings.SITE_NAME,
        "portal_url": settings.BASE_URL,
    }


@login_required
def registration_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    """ "In phiếu đăng ký": the form to sign, stamp and take to the bank (issued once, signed, with a
    lookup code; printing again gives the same document)."""
    registration = _registration_for(request, reference)
    document = document_issue_once(
        kind=DocumentKind.REGISTRATION_FORM,
        owner_kind="payments.debitregistration",
        owner_id=registration.pk,
        template_name="portal/debit/registration_pdf.html",
        context=_registration_document_context(registration),
        issuer_agency_code=None,
        summary=DocumentSummary(
            title=str(DocumentKind.REGISTRATION_FORM.label),
            issuer_name=settings.SITE_NAME,
            document_date=clock.local(registration.created_at).date(),
            reference=registration.reference,
        ),
        by=_user(request),
    )
    return _pdf_response(document_read(document), f"phieu-dang-ky-{registration.reference}.pdf")


@login_required
@require_http_methods(["GET", "POST"])
def registration_cancel(request: HttpRequest, reference: str) -> HttpResponse:
    """ "Hủy đăng ký": a confirmation page, then the cancellation (the bank is told)."""
    registration = _registration_for(request, reference)
    if registration.status not in (DebitRegistrationStatus.PENDING, DebitRegistrationStatus.ACTIVE):
        return redirect("portal:debit_registration", reference=registration.reference)
    if request.method == "POST":
        try:
            debit_registration_cancel(registration=registration, user=_user(request), ip_address=_ip(request))
        except DebitRegistration.DoesNotExist:
            raise Http404(_("Không tìm thấy đăng ký thanh toán trực tuyến")) from None
        except DebitError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã hủy đăng ký thanh toán trực tuyến %(ref)s.") % {"ref": reference})
        return redirect("portal:debit_registration", reference=registration.reference)
    return render(request, "portal/debit/registration_cancel.html", {"registration": registration})


# --- Xem hồ sơ: several dossiers, one payment -------------------------------------------------------


@dataclass(frozen=True)
class DossierRow:
    dossier: Dossier
    notice: PaymentRequest | None
    pending: Payment | None

    @property
    def payable(self) -> bool:
        return self.notice is not None and self.notice.is_payable and self.pending is None

    @property
    def is_paid(self) -> bool:
        return self.dossier.is_paid or (self.notice is not None and self.notice.status == PaymentRequestStatus.PAID)


def _pending_payments(notices: list[PaymentRequest]) -> dict[str, Payment]:
    """Debit or branch payments still waiting at the bank, by payment request id."""
    items = (
        PaymentItem.objects.filter(
            payable_kind=PAYABLE_KIND,
            payable_id__in=[str(n.pk) for n in notices],
            payment__provider=VIETINBANK,
            payment__method__in=[METHOD_DEBIT, METHOD_BRANCH],
            payment__status__in=PENDING_STATUSES,
            payment__expires_at__gt=clock.now(),
        )
        .select_related("payment")
        .order_by("payment__created_at")
    )
    return {item.payable_id: item.payment for item in items}


def _dossier_rows(organisation: Organisation) -> list[DossierRow]:
    dossiers = list(
        Dossier.objects.filter(organisation=organisation)
        .select_related("agency", "procedure")
        .order_by("-submitted_at", "-id")[:100]
    )
    notices = {
        notice.owner_id: notice
        for notice in PaymentRequest.objects.filter(
            owner_kind="dossier",
            owner_id__in=[d.pk for d in dossiers],
            status__in=[PaymentRequestStatus.ISSUED, PaymentRequestStatus.PAID],
        )
        .select_related("agency")
        .prefetch_related("lines")
    }
    pending = _pending_payments(list(notices.values()))
    rows = []
    for dossier in dossiers:
        notice = notices.get(dossier.pk)
        rows.append(DossierRow(dossier, notice, pending.get(str(notice.pk)) if notice is not None else None))
    return rows


def _chosen_organisation(request: HttpRequest) -> tuple[Organisation | None, list[Organisation]]:
    organisations = list(organisations_for_member(user=_user(request)))
    wanted = request.POST.get("to_chuc") or request.GET.get("to_chuc")
    if wanted:
        if not str(wanted).isdigit():
            raise Http404(_("Không tìm thấy tổ chức"))
        return _organisation_for(request, int(wanted)), organisations
    return (organisations[0] if organisations else None), organisations


@login_required
@never_cache
def org_dossiers(request: HttpRequest) -> HttpResponse:
    """ "Xem hồ sơ": the organisation's dossiers; tick those to pay and press "Thanh toán"."""
    organisation, organisations = _chosen_organisation(request)
    rows = _dossier_rows(organisation) if organisation is not None else []
    context = {
        "organisation": organisation,
        "organisations": organisations,
        "rows": rows,
        "registration": debit_registration_live(organisation=organisation) if organisation else None,
        "any_payable": any(row.payable for row in rows),
    }
    return render(request, "portal/debit/dossiers.html", context)


def _selected_notices(request: HttpRequest, organisation: Organisation) -> list[PaymentRequest]:
    """The issued notices of the ticked dossiers of ``organisation`` (anything else is ignored: a 404
    would tell a stranger which codes exist)."""
    codes = request.POST.getlist("ho_so")
    if not codes:
        return []
    rows = {row.dossier.code: row for row in _dossier_rows(organisation)}
    return [rows[code].notice for code in codes if code in rows and rows[code].payable and rows[code].notice]  # type: ignore[misc]


@login_required
@never_cache
@require_POST
def org_pay(request: HttpRequest) -> HttpResponse:
    """ "Thanh toán" for the ticked dossiers: a check page first; "Xác nhận" creates one payment for all.

    With an active registration the payment is one automatic debit; without one it is one payment code
    to pay at a VietinBank branch ("Chỉ dẫn thanh toán dịch vụ công trực tuyến").
    """
    organisation, _organisations = _chosen_organisation(request)
    if organisation is None:
        raise Http404(_("Không tìm thấy tổ chức"))
    notices = _selected_notices(request, organisation)
    if not notices:
        messages.error(request, _("Chọn ít nhất một hồ sơ cần thanh toán."))
        return redirect(f"{reverse('portal:org_dossiers')}?to_chuc={organisation.pk}")
    registration = debit_registration_active(organisation=organisation)
    total = sum(notice.total for notice in notices)
    if request.POST.get("xac_nhan") == "1":
        try:
            payment = _pay(request, organisation, registration, notices)
        except (PaymentError, BillingError) as exc:
            messages.error(request, exc.message)
        else:
            return redirect("portal:org_payment", reference=payment.reference)
    context = {
        "organisation": organisation,
        "notices": notices,
        "registration": registration,
        "total": format_vnd(total),
        "total_in_words": vnd_in_words(total),
    }
    return render(request, "portal/debit/check.html", context)


def _pay(
    request: HttpRequest,
    organisation: Organisation,
    registration: DebitRegistration | None,
    notices: list[PaymentRequest],
) -> Payment:
    user = _user(request)
    items = payables_for_requests(notices)
    return_url = reverse("portal:org_dossiers")
    if registration is not None:
        payment = debit_payment_create(
            registration=registration, user=user, items=items, return_url=return_url, client_ip=_ip(request)
        )
    else:
        payment = payment_create(
            items=items,
            provider=VIETINBANK,
            method=METHOD_BRANCH,
            payer_user=user,
            payer_name=organisation.name,
            payer_email=user.email,
            payer_phone=user.phone or "",
            return_url=return_url,
            client_ip=_ip(request),
        )
    remember_payment(request.session, payment)
    # No browser goes to the bank here: the bank notifies the platform at its public BASE_URL.
    payment_start(payment=payment, client_ip=client_ip(request))
    return payment


def _payment_for(request: HttpRequest, reference: str) -> Payment:
    try:
        payment = payment_get_for_viewer(reference=reference, user=request.user, session=request.session)
    except Payment.DoesNotExist:
        raise Http404(_("Không tìm thấy giao dịch")) from None
    if payment.provider != VIETINBANK:
        raise Http404(_("Không tìm thấy giao dịch"))
    return payment


def _payment_notices(payment: Payment) -> list[PaymentRequest]:
    ids = [int(item.payable_id) for item in payment.items.all() if item.payable_kind == PAYABLE_KIND]
    return list(PaymentRequest.objects.filter(pk__in=ids).select_related("agency").order_by("owner_reference"))


@login_required
@never_cache
def org_payment(request: HttpRequest, reference: str) -> HttpResponse:
    """After "Xác nhận": the debit waiting for the bank, or the branch instructions to print."""
    payment = _payment_for(request, reference)
    context = {
        "payment": payment,
        "status": payment_status_view(payment),
        "notices": _payment_notices(payment),
        "amount": format_vnd(payment.amount),
        "is_branch": payment.method == METHOD_BRANCH,
        "collection_account": settings.VIETINBANK_COLLECTION_ACCOUNT,
        "collection_name": settings.VIETINBANK_COLLECTION_NAME,
        "dossiers_url": reverse("portal:org_dossiers"),
    }
    return render(request, "portal/debit/payment.html", context)


@login_required
def branch_instructions_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    """ "In Chỉ dẫn thanh toán dịch vụ công trực tuyến" (seed 002 §I.2.2): payment code, amount,
    beneficiary agency and account, deadline, and how to pay at a VietinBank branch."""
    payment = _payment_for(request, reference)
    if payment.method != METHOD_BRANCH:
        raise Http404(_("Không tìm thấy giao dịch"))
    notices = _payment_notices(payment)
    agency = Agency.objects.filter(code=payment.agency_code).first()
    deadline = clock.local(payment.expires_at)
    document = document_issue_once(
        kind=DocumentKind.PAYMENT_INSTRUCTIONS,
        owner_kind="payments.payment",
        owner_id=payment.pk,
        template_name="portal/debit/instructions_pdf.html",
        context={
            "payment": payment,
            "notices": notices,
            "agency": agency,
            "amount": format_vnd(payment.amount),
            "amount_in_words": vnd_in_words(payment.amount),
            "deadline": deadline,
            "collection_account": settings.VIETINBANK_COLLECTION_ACCOUNT,
            "collection_name": settings.VIETINBANK_COLLECTION_NAME,
            "hotline": settings.SUPPORT_HOTLINE,
            "site_name": settings.SITE_NAME,
        },
        issuer_agency_code=None,
        summary=DocumentSummary(
            title=str(DocumentKind.PAYMENT_INSTRUCTIONS.label),
            issuer_name=settings.SITE_NAME,
            document_date=clock.local(payment.created_at).date(),
            amount=payment.amount,
            reference=payment.reference,
        ),
        by=_user(request),
    )
    return _pdf_response(document_read(document), f"chi-dan-thanh-toan-{payment.reference}.pdf")
