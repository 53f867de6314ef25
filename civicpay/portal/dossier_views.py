"""The citizen's dossier pages: submit (three steps), my dossiers, one dossier, attachments, lookup.

Views stay thin: every read goes through a dossiers selector (the one access check per resource) and
every change through a dossiers service. A dossier that is not the user's is a 404, never a 403, so a
stranger cannot even learn that a code exists.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from civicpay.accounts.models import Organisation, User
from civicpay.accounts.selectors import organisation_memberships_for_user
from civicpay.billing.models import PaymentRequestStatus
from civicpay.billing.receipts import receipt_for_request
from civicpay.billing.selectors import payment_request_current_for_owner
from civicpay.core.ratelimit import rate_limit
from civicpay.directory.models import Procedure
from civicpay.directory.selectors import agency_list, procedure_search
from civicpay.dossiers.errors import DossierError
from civicpay.dossiers.models import Dossier, DossierAttachment
from civicpay.dossiers.selectors import (
    attachment_get_for_applicant,
    dossier_get_for_applicant,
    dossier_list_for_applicant,
    dossier_public_status,
    dossier_timeline,
)
from civicpay.dossiers.services import (
    dossier_applicant_can_provide_info,
    dossier_applicant_can_withdraw,
    dossier_provide_additional_info,
    dossier_submit,
    dossier_withdraw,
)
from civicpay.portal.dossier_forms import (
    NOTES_MAX,
    SUMMARY_MAX,
    DossierDetailsForm,
    LookupForm,
    ProcedureChoiceForm,
    ProvideInfoForm,
    WithdrawForm,
)
from civicpay.portal.dossier_wizard import MAX_HELD_FILES, WizardState

PAGE_SIZE = 20
SEARCH_RESULTS_MAX = 50
# Public lookup: enough for a person checking a few codes, too few to enumerate codes.
LOOKUP_LIMIT = 20
LOOKUP_PERIOD_SECONDS = 60


def _user(request: HttpRequest) -> User:
    """The logged-in user (views using it are behind ``login_required``)."""
    assert isinstance(request.user, User)
    return request.user


def _get_dossier(request: HttpRequest, code: str) -> Dossier:
    try:
        return dossier_get_for_applicant(user=_user(request), code=code)
    except Dossier.DoesNotExist:
        raise Http404(_("Không tìm thấy hồ sơ")) from None


def _wizard_procedure(state: WizardState) -> Procedure | None:
    """The procedure chosen at step 1, if it is still open for online submission."""
    if state.procedure_id is None:
        return None
    return procedure_search(q="").filter(pk=state.procedure_id).first()


def _organisations(user: User) -> list[Organisation]:
    return [m.organisation for m in organisation_memberships_for_user(user=user)]


def _chosen_organisation(state: WizardState, organisations: list[Organisation]) -> Organisation | None:
    """The organisation the user chose to submit for, if they still represent it."""
    if not state.on_behalf.startswith("org:"):
        return None
    wanted = state.on_behalf.removeprefix("org:")
    return next((org for org in organisations if str(org.pk) == wanted), None)


# --- Submit: step 1, the procedure ----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def dossier_new(request: HttpRequest) -> HttpResponse:
    """Step 1: find the procedure by name or code, optionally within one agency, and choose it."""
    state = WizardState.load(request.session)
    q = request.GET.get("q", "").strip()[:100]
    agencies = agency_list()
    agency = agencies.filter(pk=request.GET["agency"]).first() if request.GET.get("agency", "").isdigit() else None

    if request.method == "POST":
        form = ProcedureChoiceForm(request.POST)
        if form.is_valid():
            procedure: Procedure = form.cleaned_data["procedure"]
            state.procedure_id = procedure.pk
            state.save(request.session)
            return redirect("portal:dossier_new_details")
    else:
        form = ProcedureChoiceForm(initial={"procedure": state.procedure_id})

    searched = bool(q or agency)
    results = list(procedure_search(q=q, agency=agency)[:SEARCH_RESULTS_MAX]) if searched else []
    current = _wizard_procedure(state)
    if current and current not in results:
        results.insert(0, current)
    return render(
        request,
        "portal/dossiers/new_procedure.html",
        {
            "form": form,
            "q": q,
            "agencies": agencies,
            "agency": agency,
            "searched": searched,
            "results": results,
            "selected_id": state.procedure_id,
        },
    )


# --- Submit: step 2, the details and files --------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def dossier_new_details(request: HttpRequest) -> HttpResponse:
    """Step 2: for whom, what is asked, and the documents (see dossier_wizard for how files are kept)."""
    user = _user(request)
    state = WizardState.load(request.session)
    procedure = _wizard_procedure(state)
    if procedure is None:
        return redirect("portal:dossier_new")
    organisations = _organisations(user)

    if request.method == "POST" and "remove" in request.POST:
        # "Xóa" next to a held file: drop it and show the page again with what was typed.
        state.release(request.POST["remove"])
        state.save(request.session)
        typed = {key: request.POST.get(key, "") for key in ("on_behalf", "summary", "notes")}
        form = DossierDetailsForm(initial=typed, user=user, organisations=organisations, held_count=len(state.files))
        return _render_details(request, form, procedure, state, organisations)

    if request.method == "POST":
        form = DossierDetailsForm(
            request.POST, request.FILES, user=user, organisations=organisations, held_count=len(state.files)
        )
        valid = form.is_valid()
        room = MAX_HELD_FILES - len(state.files)
        for upload, content_type in form.accepted[:room]:
            state.hold(upload, content_type=content_type)
        if len(form.accepted) > room:
            valid = False
            form.add_error("attachments", _("Mỗi hồ sơ có tối đa %(count)d tệp đính kèm") % {"count": MAX_HELD_FILES})
        # Keep what was typed even when something is wrong, so leaving and coming back loses nothing.
        state.on_behalf = str(request.POST.get("on_behalf", state.on_behalf))
        state.summary = str(request.POST.get("summary", ""))[:SUMMARY_MAX]
        state.notes = str(request.POST.get("notes", ""))[:NOTES_MAX]
        state.details_done = valid
        state.save(request.session)
        if valid:
            return redirect("portal:dossier_new_check")
    else:
        form = DossierDetailsForm(
            initial={"on_behalf": state.on_behalf, "summary": state.summary, "notes": state.notes},
            user=user,
            organisations=organisations,
            held_count=len(state.files),
        )
    return _render_details(request, form, procedure, state, organisations)


def _render_details(
    request: HttpRequest,
    form: DossierDetailsForm,
    procedure: Procedure,
    state: WizardState,
    organisations: list[Organisation],
) -> HttpResponse:
    return render(
        request,
        "portal/dossiers/new_details.html",
        {"form": form, "procedure": procedure, "held_files": state.files, "organisations": organisations},
    )


# --- Submit: step 3, check your answers -----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def dossier_new_check(request: HttpRequest) -> HttpResponse:
    """Step 3: "Kiểm tra thông tin" with change links; "Nộp hồ sơ" creates the dossier."""
    user = _user(request)
    state = WizardState.load(request.session)
    procedure = _wizard_procedure(state)
    if procedure is None:
        return redirect("portal:dossier_new")
    if not state.details_done or not state.files:
        return redirect("portal:dossier_new_details")
    organisations = _organisations(user)
    organisation = _chosen_organisation(state, organisations)
    if state.on_behalf != "self" and organisation is None:
        # The user no longer represents that organisation: ask again rather than guess.
        state.details_done = False
        state.save(request.session)
        return redirect("portal:dossier_new_details")

    missing = state.missing_files()
    if missing:
        for held in missing:
            messages.error(request, _("Tệp “%(name)s” không còn lưu tạm, hãy tải lên lại.") % {"name": held.name})
            state.release(held.token)
        state.details_done = False
        state.save(request.session)
        return redirect("portal:dossier_new_details")

    if request.method == "POST":
        try:
            with state.opened_files() as uploads:
                dossier = dossier_submit(
                    user=user,
                    procedure=procedure,
                    details={"summary": state.summary, "notes": state.notes},
                    attachments=uploads,
                    organisation=organisation,
                )
        except DossierError as exc:
            messages.error(request, exc.message)
        else:
            state.clear(request.session)
            return redirect("portal:dossier_submitted", code=dossier.code)

    return render(
        request,
        "portal/dossiers/new_check.html",
        {"procedure": procedure, "state": state, "organisation": organisation, "applicant": user},
    )


@login_required
def dossier_submitted(request: HttpRequest, code: str) -> HttpResponse:
    """Confirmation: the dossier code, big, and what happens next."""
    dossier = _get_dossier(request, code)
    return render(request, "portal/dossiers/submitted.html", {"dossier": dossier})


# --- My dossiers ----------------------------------------------------------------------------------


@login_required
def dossier_list(request: HttpRequest) -> HttpResponse:
    """The "Quản lý hồ sơ" page: the user's own dossiers and their organisations'."""
    dossiers = dossier_list_for_applicant(user=_user(request)).select_related("procedure", "agency", "organisation")
    page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/dossiers/list.html", {"page": page, "dossiers": page.object_list})


@login_required
def dossier_detail(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _get_dossier(request, code)
    return _render_detail(request, dossier)


def _render_detail(
    request: HttpRequest,
    dossier: Dossier,
    *,
    info_form: ProvideInfoForm | None = None,
    withdraw_form: WithdrawForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_provide_info = dossier_applicant_can_provide_info(dossier)
    can_withdraw = dossier_applicant_can_withdraw(dossier)
    notice = payment_request_current_for_owner(owner_kind="dossier", owner_id=dossier.pk)
    paid = notice if notice is not None and notice.status == PaymentRequestStatus.PAID else None
    context: dict[str, Any] = {
        "dossier": dossier,
        "attachments": dossier.attachments.order_by("uploaded_at", "id"),
        "timeline": dossier_timeline(dossier=dossier),
        "notice": notice,
        "receipt": receipt_for_request(paid) if paid is not None else None,
        "can_provide_info": can_provide_info,
        "can_withdraw": can_withdraw,
        "info_form": info_form or (ProvideInfoForm() if can_provide_info else None),
        "withdraw_form": withdraw_form or (WithdrawForm() if can_withdraw else None),
    }
    return render(request, "portal/dossiers/detail.html", context, status=status)


@login_required
@require_POST
def dossier_provide_info(request: HttpRequest, code: str) -> HttpResponse:
    """The applicant answers "Yêu cầu bổ sung" with a note and documents."""
    dossier = _get_dossier(request, code)
    form = ProvideInfoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            dossier_provide_additional_info(
                dossier=dossier,
                user=_user(request),
                note=form.cleaned_data["note"],
                attachments=[upload for upload, _type in form.accepted],
            )
        except DossierError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Đã gửi thông tin bổ sung cho cơ quan."))
            return redirect("portal:dossier_detail", code=dossier.code)
    return _render_detail(request, dossier, info_form=form, status=400)


@login_required
@require_POST
def dossier_withdraw_view(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _get_dossier(request, code)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            dossier_withdraw(dossier=dossier, user=_user(request), reason=form.cleaned_data["reason"])
        except DossierError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Đã rút hồ sơ %(code)s.") % {"code": dossier.code})
            return redirect("portal:dossier_detail", code=dossier.code)
    return _render_detail(request, dossier, withdraw_form=form, status=400)


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """A dossier file, only to the people who may see the dossier; always a download, never rendered."""
    try:
        attachment = attachment_get_for_applicant(user=_user(request), pk=pk)
    except DossierAttachment.DoesNotExist:
        raise Http404(_("Không tìm thấy tệp")) from None
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Public lookup --------------------------------------------------------------------------------


def lookup(request: HttpRequest) -> HttpResponse:
    """Anyone can check a dossier's status by code: status, agency, procedure and date, nothing personal."""
    form = LookupForm(request.GET or None)
    result = None
    searched = False
    if form.is_bound:
        if rate_limit(request, scope="dossier-lookup", limit=LOOKUP_LIMIT, period_seconds=LOOKUP_PERIOD_SECONDS):
            refused = render(
                request, "portal/dossiers/lookup_limited.html", {"retry_after": LOOKUP_PERIOD_SECONDS}, status=429
            )
            refused["Retry-After"] = str(LOOKUP_PERIOD_SECONDS)
            return refused
        if form.is_valid():
            searched = True
            result = dossier_public_status(code=form.cleaned_data["code"])
    return render(
        request,
        "portal/dossiers/lookup.html",
        {"form": form, "result": result, "searched": searched},
    )
