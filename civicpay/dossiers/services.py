"""Dossier life cycle: every state change of a dossier goes through one of these functions.

Each one is a single transaction that locks the dossier (``select_for_update``), checks the state
machine (``states.TRANSITIONS``), writes a ``DossierStatusChange`` when the status moves and one core
audit row, and puts notifications in the outbox (delivered after commit). Officers act only within
their own agency; applicants only on their own or their organisation's dossiers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from civicpay.accounts.models import OfficerRole, OrganisationMember
from civicpay.billing.models import PaymentRequest, PaymentRequestStatus
from civicpay.billing.selectors import payment_request_current_for_owner
from civicpay.billing.services import payment_request_cancel, payment_request_issue
from civicpay.billing.types import LineInput
from civicpay.core import clock
from civicpay.core.audit import audit_record, audit_trail
from civicpay.core.money import format_vnd
from civicpay.core.sequences import next_value
from civicpay.directory.models import Procedure
from civicpay.dossiers.errors import DossierError, IllegalTransition
from civicpay.dossiers.models import (
    AttachmentPurpose,
    Dossier,
    DossierAttachment,
    DossierStatus,
    DossierStatusChange,
    FeeStatus,
)
from civicpay.dossiers.states import (
    PAYMENT_REQUEST_FROM,
    TERMINAL,
    can_transition,
    check_fee_transition,
    check_transition,
)
from civicpay.dossiers.storage import private_storage
from civicpay.dossiers.types import DossierAction
from civicpay.dossiers.uploads import sha256_of, validate_upload
from civicpay.notifications.services import notification_send

if TYPE_CHECKING:
    from civicpay.accounts.models import Officer, Organisation, User

__all__ = [
    "OWNER_KIND",
    "DossierAction",
    "add_working_days",
    "dossier_applicant_can_provide_info",
    "dossier_applicant_can_withdraw",
    "dossier_cancel_payment_request",
    "dossier_complete",
    "dossier_officer_actions",
    "dossier_provide_additional_info",
    "dossier_receive",
    "dossier_reject",
    "dossier_replace_payment_request",
    "dossier_request_additional_info",
    "dossier_request_payment",
    "dossier_resend_payment_notice",
    "dossier_return_result",
    "dossier_start_processing",
    "dossier_submit",
    "dossier_withdraw",
]

OWNER_KIND = "dossier"
MAX_ATTACHMENTS = 10
MAX_DETAIL_CHARS = 4000
S = DossierStatus


# --- Rules shared by the services and by what the UI offers ---------------------------------------


def _officer_allows(action: DossierAction, dossier: Dossier) -> bool:
    status, fee = dossier.status, dossier.fee_status
    match action:
        case DossierAction.REQUEST_PAYMENT:
            return fee == FeeStatus.NONE and status in PAYMENT_REQUEST_FROM
        case DossierAction.RESEND_PAYMENT_NOTICE | DossierAction.CANCEL_PAYMENT_REQUEST:
            return fee == FeeStatus.AWAITING and status not in TERMINAL
        case DossierAction.RECEIVE:
            return can_transition(status, S.RECEIVED) and status != S.ADDITIONAL_INFO_REQUESTED
        case DossierAction.START_PROCESSING:
            return status == S.RECEIVED
        case DossierAction.REQUEST_ADDITIONAL_INFO:
            return can_transition(status, S.ADDITIONAL_INFO_REQUESTED)
        case DossierAction.REJECT:
            return can_transition(status, S.REJECTED)
        case DossierAction.RETURN_RESULT:
            # The result is handed over only once the fees asked for are paid.
            return can_transition(status, S.RESULT_READY) and fee != FeeStatus.AWAITING
        case DossierAction.COMPLETE:
            return can_transition(status, S.COMPLETED)
    return False  # pragma: no cover - every member is matched above


def dossier_officer_actions(*, dossier: Dossier) -> set[DossierAction]:
    """The officer actions the state machine allows now (the back office shows only these)."""
    return {action for action in DossierAction if _officer_allows(action, dossier)}


def dossier_applicant_can_withdraw(dossier: Dossier) -> bool:
    """Before reception (or while asked for more documents), and never once fees are paid."""
    return can_transition(dossier.status, S.WITHDRAWN) and dossier.fee_status != FeeStatus.PAID


def dossier_applicant_can_provide_info(dossier: Dossier) -> bool:
    return dossier.status == S.ADDITIONAL_INFO_REQUESTED


def _require(action: DossierAction, dossier: Dossier) -> None:
    if not _officer_allows(action, dossier):
        raise IllegalTransition(
            _("Không thể thực hiện thao tác này khi hồ sơ ở trạng thái “%(status)s” (phí: %(fee)s).")
            % {"status": dossier.status_label, "fee": dossier.fee_status_label}
        )


# --- Helpers ---------------------------------------------------------------------------------------


def add_working_days(start: date, days: int) -> date:
    """``start`` + ``days`` working days (Monday–Friday). Public holidays are not modelled yet."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def _lock(dossier: Dossier) -> Dossier:
    # of=("self",): the dossier's row only. Without it PostgreSQL also locks the joined agency, procedure
    # and applicant rows, so two officers acting on two dossiers of one agency would wait on each other.
    return (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("agency", "procedure", "applicant")
        .get(pk=dossier.pk)
    )


def _check_officer(officer: Officer, dossier: Dossier) -> None:
    if officer.agency_id != dossier.agency_id:
        raise DossierError(_("Hồ sơ không thuộc cơ quan của bạn."))
    if not officer.has_role(OfficerRole.RECEPTION):
        raise DossierError(_("Bạn không có quyền tiếp nhận, xử lý hồ sơ."))


def _is_applicant(user: User, dossier: Dossier) -> bool:
    if dossier.applicant_id == user.pk:
        return True
    return (
        dossier.organisation_id is not None
        and OrganisationMember.objects.filter(organisation_id=dossier.organisation_id, user=user).exists()
    )


def _check_applicant(user: User, dossier: Dossier) -> None:
    if not user.is_authenticated or not _is_applicant(user, dossier):
        raise DossierError(_("Bạn không phải người nộp hồ sơ này."))


def _snapshot(dossier: Dossier) -> dict[str, Any]:
    return {
        "status": dossier.status,
        "fee_status": dossier.fee_status,
        "receipt_number": dossier.receipt_number,
        "appointment_date": dossier.appointment_date.isoformat() if dossier.appointment_date else None,
    }


def _move(dossier: Dossier, to_status: DossierStatus, *, by: User | None, note: str = "") -> DossierStatusChange:
    """Change the status (checked against the table) and append the timeline step. Caller saves."""
    check_transition(dossier.status, to_status)
    change = DossierStatusChange.objects.create(
        dossier=dossier, from_status=dossier.status, to_status=to_status, at=clock.now(), by=by, note=note
    )
    dossier.status = to_status
    return change


def _set_fee(dossier: Dossier, fee_status: FeeStatus) -> None:
    check_fee_transition(dossier.fee_status, fee_status)
    dossier.fee_status = fee_status


def _validate_files(files: Sequence[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    if len(files) > MAX_ATTACHMENTS:
        raise DossierError(_("Đính kèm tối đa %(n)d tệp.") % {"n": MAX_ATTACHMENTS})
    return [(file, validate_upload(file)) for file in files]


def _store(
    dossier: Dossier, checked: list[tuple[UploadedFile, str]], *, purpose: str, by: User, written: list[str]
) -> list[DossierAttachment]:
    """Save files under PRIVATE_ROOT with random names; ``written`` collects the stored names so the
    caller can remove them if its transaction fails (Django has no on-rollback hook)."""
    stored: list[DossierAttachment] = []
    for file, content_type in checked:
        attachment = DossierAttachment(
            dossier=dossier,
            purpose=purpose,
            original_name=(file.name or "tep")[-255:],
            content_type=content_type,
            size=file.size or 0,
            sha256=sha256_of(file),
            uploaded_by=by,
        )
        attachment.file.save(file.name or "tep", file, save=False)
        written.append(str(attachment.file.name))
        stored.append(attachment)
    DossierAttachment.objects.bulk_create(stored)
    return stored


def _remove_files(names: list[str]) -> None:
    storage = private_storage()
    for name in names:
        storage.delete(name)


def _site_url(path: str) -> str:
    return f"{settings.BASE_URL}{path}"


def _notify_applicant(
    dossier: Dossier, *, key: str, subject: str, body: str, channels: Sequence[str] = ("email", "portal")
) -> None:
    """Tell the applicant, once per ``key`` and channel (the outbox drops repeats of a key)."""
    for channel in channels:
        if channel == "sms" and not dossier.applicant_phone:
            continue
        if channel == "email" and not dossier.applicant_email:
            continue
        to = {"sms": dossier.applicant_phone, "email": dossier.applicant_email}.get(channel, "")
        notification_send(
            channel=channel,
            to=to,
            subject=subject if channel != "sms" else "",
            body=body,
            key=f"{key}:{channel}",
            user=dossier.applicant,
        )


def _portal_path(dossier: Dossier) -> str:
    from civicpay.dossiers.billing_owner import dossier_portal_path

    return dossier_portal_path(dossier.code)


def _clean_details(details: dict[str, str]) -> dict[str, str]:
    cleaned = {str(key): str(value).strip() for key, value in details.items()}
    if not cleaned.get("summary"):
        raise DossierError(_("Nhập nội dung đề nghị"))
    if any(len(value) > MAX_DETAIL_CHARS for value in cleaned.values()):
        raise DossierError(_("Mỗi nội dung tối đa %(n)d ký tự.") % {"n": MAX_DETAIL_CHARS})
    return cleaned


# --- Submission ------------------------------------------------------------------------------------


def dossier_code(*, agency_code: str, day: date, sequence: int) -> str:
    """``G22.45-261122-0001``: agency code, local date yymmdd, the agency's sequence for that day."""
    return f"{agency_code}-{day:%y%m%d}-{sequence:04d}"


def dossier_submit(
    *,
    user: User,
    procedure: Procedure,
    details: dict[str, str],
    attachments: Sequence[UploadedFile],
    organisation: Organisation | None = None,
) -> Dossier:
    """Submit a dossier online. The code's daily sequence comes from a locked counter row per agency
    and local day (``core.sequences``), so concurrent submissions never share a code."""
    agency = procedure.agency
    if not procedure.is_active or not agency.is_active:
        raise DossierError(_("Thủ tục này hiện không tiếp nhận hồ sơ trực tuyến."))
    if (
        organisation is not None
        and not OrganisationMember.objects.filter(organisation=organisation, user=user).exists()
    ):
        raise DossierError(_("Bạn không phải người đại diện của tổ chức này."))
    cleaned = _clean_details(details)
    checked = _validate_files(attachments)
    written: list[str] = []
    try:
        with transaction.atomic():
            today = clock.local_today()
            sequence = next_value(scope=f"dossier:{agency.pk}:{today:%Y%m%d}")
            dossier = Dossier.objects.create(
                code=dossier_code(agency_code=agency.code, day=today, sequence=sequence),
                agency=agency,
                procedure=procedure,
                applicant=user,
                organisation=organisation,
                applicant_name=organisation.name if organisation else user.full_name,
                applicant_email=user.email,
                applicant_phone=user.phone or "",
                applicant_id_number=organisation.tax_code if organisation else user.id_number,
                applicant_address=organisation.address if organisation else "",
                details=cleaned,
                submitted_at=clock.now(),
            )
            _store(dossier, checked, purpose=AttachmentPurpose.APPLICATION, by=user, written=written)
            DossierStatusChange.objects.create(
                dossier=dossier, from_status="", to_status=S.SUBMITTED, at=dossier.submitted_at, by=user
            )
            audit_record(actor=user, action="dossier.submitted", target=dossier, after=_snapshot(dossier))
            _notify_applicant(
                dossier,
                key=f"dossier:{dossier.pk}:submitted",
                subject=_("Đã nộp hồ sơ %(code)s") % {"code": dossier.code},
                body=_(
                    "Hồ sơ %(code)s (%(procedure)s) đã được gửi tới %(agency)s và đang chờ tiếp nhận. "
                    "Theo dõi hồ sơ tại %(url)s"
                )
                % {
                    "code": dossier.code,
                    "procedure": procedure.name,
                    "agency": agency.name,
                    "url": _site_url(_portal_path(dossier)),
                },
            )
    except BaseException:
        _remove_files(written)
        raise
    return dossier


# --- Payment requests (fee notices) ----------------------------------------------------------------


def _issue_for(
    dossier: Dossier,
    *,
    officer: Officer,
    lines: Sequence[LineInput],
    due_date: date | None,
    replaces: PaymentRequest | None = None,
    reason: str = "",
) -> PaymentRequest:
    return payment_request_issue(
        owner_kind=OWNER_KIND,
        owner_id=dossier.pk,
        owner_reference=dossier.code,
        agency=dossier.agency,
        payer_user=dossier.applicant,
        payer_organisation=dossier.organisation,
        payer_name=dossier.applicant_name,
        payer_email=dossier.applicant_email,
        payer_phone=dossier.applicant_phone,
        description=_("Phí, lệ phí hồ sơ %(code)s – %(procedure)s")
        % {"code": dossier.code, "procedure": dossier.procedure.name},
        lines=lines,
        due_date=due_date,
        issued_by=officer.user,
        replaces=replaces,
        replace_reason=reason,
    )


def _notify_payment_request(dossier: Dossier, request: PaymentRequest, *, key: str) -> None:
    """SMS + e-mail + portal to the payer: number, amount, due date and where to pay."""
    context = {
        "code": dossier.code,
        "number": request.number,
        "amount": format_vnd(request.total),
        "due": f"{request.due_date:%d/%m/%Y}",
        "agency": dossier.agency.name,
        "url": _site_url(_portal_path(dossier)),
    }
    sms = (
        _("%(agency)s: Hồ sơ %(code)s có thông báo thu phí %(number)s, số tiền %(amount)s, hạn %(due)s. %(url)s")
        % context
    )
    lines = "\n".join(
        f"- {line.get_kind_display()}: {line.description}: {format_vnd(line.amount)}" for line in request.lines.all()
    )
    email = _(
        "Kính gửi %(payer)s,\n\n%(agency)s thông báo thu phí, lệ phí cho hồ sơ %(code)s "
        "(thông báo số %(number)s):\n\n%(lines)s\n\nTổng cộng: %(amount)s\nHạn thanh toán: %(due)s\n\n"
        "Xem, in thông báo và thanh toán trực tuyến tại %(url)s"
    ) % {**context, "payer": request.payer_name, "lines": lines}
    subject = _("Thông báo thu phí hồ sơ %(code)s") % context
    if request.payer_phone:
        notification_send(channel="sms", to=request.payer_phone, body=sms, key=f"{key}:sms", user=request.payer_user)
    if request.payer_email:
        notification_send(
            channel="email",
            to=request.payer_email,
            subject=subject,
            body=email,
            key=f"{key}:email",
            user=request.payer_user,
        )
    if request.payer_user is not None:
        notification_send(
            channel="portal", to="", subject=subject, body=sms, key=f"{key}:portal", user=request.payer_user
        )


def _current_issued(dossier: Dossier) -> PaymentRequest:
    request = payment_request_current_for_owner(owner_kind=OWNER_KIND, owner_id=dossier.pk)
    if request is None or request.status != PaymentRequestStatus.ISSUED:
        raise IllegalTransition(_("Hồ sơ không có thông báo thu phí chưa thanh toán."))
    return request


def dossier_request_payment(
    *, dossier: Dossier, officer: Officer, lines: Sequence[LineInput], due_date: date | None = None
) -> PaymentRequest:
    """Issue the fee notice (seed 001 "Yêu cầu thanh toán") and notify the payer by SMS, e-mail and
    in the portal. A submitted dossier moves to awaiting payment; a received one keeps its status."""
    with transaction.atomic():
        locked = _lock(dossier)
        _check_officer(officer, locked)
        _require(DossierAction.REQUEST_PAYMENT, locked)
        before = _snapshot(locked)
        request = _issue_for(locked, officer=officer, lines=lines, due_date=due_date)
        _set_fee(locked, FeeStatus.AWAITING)
        if locked.status == S.SUBMITTED:
            _move(
                locked,
                S.AWAITING_PAYMENT,
                by=officer.user,
                note=_("Thông báo thu phí %(number)s: %(amount)s")
                % {"number": request.number, "amount": format_vnd(request.total)},
            )
        locked.save(update_fields=["status", "fee_status", "updated_at"])
        audit_record(
            actor=officer.user,
            action="dossier.payment_requested",
            target=locked,
            before=before,
            after={**_snapshot(locked), "payment_request": request.number, "total": request.total},
        )
        _notify_payment_request(locked, request, key=f"payment_request:{request.pk}:issued")
    return request


def dossier_resend_payment_notice(*, dossier: Dossier, officer: Officer) -> None:
    """Send the current notice again ("nếu khách hàng vẫn chưa nhận được … thì thực hiện lại").
    Each resend gets fresh idempotency keys (numbered from the audit trail), so it really goes out."""
    with transaction.atomic():
        locked = _lock(dossier)
        _check_officer(officer, locked)
        _require(DossierAction.RESEND_PAYMENT_NOTICE, locked)
        request = _current_issued(locked)
        count = audit_trail(locked).filter(action="dossier.payment_notice_resent").count() + 1
        audit_record(
            actor=officer.user,
            action="dossier.payment_notice_resent",
            target=locked,
            after={"payment_request": request.number, "resend": count},
        )
        _notify_payment_request(locked, request, key=f"payment_request:{request.pk}:resend:{count}")


def dossier_cancel_payment_request(*, dossier: Dossier, officer: Officer, reason: str) -> None:
    """Cancel the unpaid notice; the dossier goes back to waiting (billing calls our owner handler,
    which resets the fee status and, if it was awaiting payment, the status)."""
    if not reason.strip():
        raise DossierError(_("Nhập lý do hủy yêu cầu thanh toán"))
    with transaction.atomic():
        locked = _lock(dossier)
        _check_officer(officer, locked)
        _require(DossierAction.CANCEL_PAYMENT_REQUEST, locked)
        before = _snapshot(locked)
        request = _current_issued(locked)
        payment_request_cancel(request=request, by=officer.user, reason=reason)
        locked.refresh_from_db()
        audit_record(
            actor=officer.user,
            action="dossier.payment_request_cancelled",
            target=locked,
            before=before,
            after={**_snapshot(locked), "payment_request": request.number},
            note=reason.strip(),
        )


def dossier_replace_payment_request(
    *, dossier: Dossier, officer: Officer, lines: Sequence[LineInput], due_date: date | None, reason: str
) -> PaymentRequest:
    """Cancel the unpaid notice and issue a corrected one in one step; the payer is notified anew."""
    if not reason.strip():
        raise DossierError(_("Nhập lý do thay thế thông báo thu phí"))
    with transaction.atomic():
        locked = _lock(dossier)
        _check_officer(officer, locked)
        _require(DossierAction.CANCEL_PAYMENT_REQUEST, locked)
        old = _current_issued(locked)
        request = _issue_for(locked, officer=officer, lines=lines, due_date=due_date, replaces=old, reason=reason)
        audit_record(
            actor=officer.user,
            action="dossier.payment_request_replaced",
            target=locked,
            before={"payment_request": old.number, "total": old.total},
            after={"payment_request": request.number, "total": request.total},
            note=reason.strip(),
        )
        _notify_payment_request(locked, request, key=f"payment_request:{request.pk}:issued")
    return request


# --- Reception and processing ----------------------------------------------------------------------


def dossier_receive(*, dossier: Dossier, officer: Officer, appointment_date: date | None = None) -> Dossier:
    """Receive (tiếp nhận): a receipt number unique per agency and year (``2026-000123``, from a
    locked counter) and the appointment date for the result (default: processing days, working days)."""
    with transaction.atomic():
        locked = _lock(dossier)
        _check_officer(officer, locked)
        _require(DossierAction.RECEIVE, locked)
        today = clock.local_today()
        if appointment_date is None:
            appointment_date = add_working_days(today, locked.procedure.processing_days)
        elif appointment_date < today:
            raise DossierError(_("Ngày hẹn trả kết quả không được trước hôm nay"))
        before = _snapshot(locked)
        number = next_value(scope=f"receipt:{locked.agency_id}:{today.year}")
        locked.receipt_year = today.year
        locked.receipt_number = f"{today.year}-{number:06d}"
        locked.received_at = clock.now()
        locked.received_by = officer.user
        locked.appointment_date = appointment_date
        change = _move(
            locked,
            S.RECEIVED,
            by=officer.user,
            note=_("Số biên nhận %(number)s, hẹn trả kết quả %(date)s")
            % {"number": locked.receipt_number, "date": f"{appointment_date:%d/%m/%Y}"},
        )
        locked.save()
        audit_record(
            actor=officer.user, action="dossier.received", target=locked, before=before, after=_snapshot(locked)
        )
        _notify_applicant(
            locked,
            key=f"dossier:{locked.pk}:change:{change.pk}",
            subject=_("Hồ sơ %(code)s đã được tiếp nhận") % {"code": locked.code},
            body=_("Hồ sơ %(code)s đã được tiếp nhận. Số biên nhận %(number)s; ngày hẹn trả kết quả %(date)s.")
            % {"code": locked.code, "number": locked.receipt_number, "date": f"{appointment_date:%d/%m/%Y}"},
        )
    return locked


def _officer_move(
    dossier: Dossier,
    *,
    officer: Officer,
    action: DossierAction,
    to_status: DossierStatus,
    audit_action: str,
    note: str = "",
    fields: dict[str, Any] | None = None,
) -> tuple[Dossier, DossierStatusChange]:
    """The common shape of a simple officer step: lock, check, move, save, audit. Runs inside the
    caller's transaction."""
    locked = _lock(dossier)
    _check_officer(officer, locked)
    _require(action, locked)
    before = _snapshot(locked)
    for name, value in (fields or {}).items():
        setattr(locked, name, value)
    change = _move(locked, to_status, by=officer.user, note=note)
    locked.save()
    audit_record(
        actor=officer.user, action=audit_action, target=locked, before=before, after=_snapshot(locked), note=note
    )
    return locked, change


def dossier_start_processing(*, dossier: Dossier, officer: Officer) -> Dossier:
    with transaction.atomic():
        locked, _change = _officer_move(
            dossier,
            officer=officer,
            action=DossierAction.START_PROCESSING,
            to_status=S.PROCESSING,
            audit_action="dossier.processing_started",
        )
    return locked


def dossier_request_additional_info(*, dossier: Dossier, officer: Officer, reason: str) -> Dossier:
    """Ask the applicant for more documents; they answer with ``dossier_provide_additional_info``."""
    reason = reason.strip()
    if not reason:
        raise DossierError(_("Nhập nội dung yêu cầu bổ sung"))
    with transaction.atomic():
        locked, change = _officer_move(
            dossier,
            officer=officer,
            action=DossierAction.REQUEST_ADDITIONAL_INFO,
            to_status=S.ADDITIONAL_INFO_REQUESTED,
            audit_action="dossier.additional_info_requested",
            note=reason,
            fields={"additional_info_reason": reason},
        )
        _notify_applicant(
            locked,
            key=f"dossier:{locked.pk}:change:{change.pk}",
            subject=_("Hồ sơ %(code)s cần bổ sung") % {"code": locked.code},
            body=_("Hồ sơ %(code)s cần bổ sung: %(reason)s. Bổ sung tại %(url)s")
            % {"code": locked.code, "reason": reason, "url": _site_url(_portal_path(locked))},
            channels=("sms", "email", "portal"),
        )
    return locked


def _cancel_unpaid_request(dossier: Dossier, *, by: User, reason: str) -> None:
    """When a dossier ends (rejected, withdrawn) its unpaid notice must not stay payable."""
    if dossier.fee_status != FeeStatus.AWAITING:
        return
    request = payment_request_current_for_owner(owner_kind=OWNER_KIND, owner_id=dossier.pk)
    if request is not None and request.status == PaymentRequestStatus.ISSUED:
        payment_request_cancel(request=request, by=by, reason=reason)
    dossier.refresh_from_db()


def dossier_reject(*, dossier: Dossier, officer: Officer, reason: str) -> Dossier:
    """Refuse the dossier with a reason. An unpaid notice is cancelled; paid fees are refunded by the
    payments app (not in this issue)."""
    reason = reason.strip()
    if not reason:
        raise DossierError(_("Nhập lý do từ chối"))
    with transaction.atomic():
        locked, change = _officer_move(
            dossier,
            officer=officer,
            action=DossierAction.REJECT,
            to_status=S.REJECTED,
            audit_action="dossier.rejected",
            note=reason,
            fields={"rejection_reason": reason},
        )
        _cancel_unpaid_request(locked, by=officer.user, reason=_("Hồ sơ bị từ chối: %(reason)s") % {"reason": reason})
        _notify_applicant(
            locked,
            key=f"dossier:{locked.pk}:change:{change.pk}",
            subject=_("Hồ sơ %(code)s bị từ chối") % {"code": locked.code},
            body=_("Hồ sơ %(code)s bị từ chối. Lý do: %(reason)s") % {"code": locked.code, "reason": reason},
            channels=("sms", "email", "portal"),
        )
    return locked


def dossier_return_result(*, dossier: Dossier, officer: Officer, result_file: UploadedFile, note: str) -> Dossier:
    """Attach the result (stored privately like every attachment) and tell the applicant it is ready."""
    checked = _validate_files([result_file])
    written: list[str] = []
    try:
        with transaction.atomic():
            locked, change = _officer_move(
                dossier,
                officer=officer,
                action=DossierAction.RETURN_RESULT,
                to_status=S.RESULT_READY,
                audit_action="dossier.result_returned",
                note=note.strip(),
                fields={"result_note": note.strip()},
            )
            _store(locked, checked, purpose=AttachmentPurpose.RESULT, by=officer.user, written=written)
            _notify_applicant(
                locked,
                key=f"dossier:{locked.pk}:change:{change.pk}",
                subject=_("Hồ sơ %(code)s đã có kết quả") % {"code": locked.code},
                body=_("Hồ sơ %(code)s đã có kết quả giải quyết. Xem tại %(url)s")
                % {"code": locked.code, "url": _site_url(_portal_path(locked))},
                channels=("sms", "email", "portal"),
            )
    except BaseException:
        _remove_files(written)
        raise
    return locked


def dossier_complete(*, dossier: Dossier, officer: Officer) -> Dossier:
    """The result has been handed to the applicant (trả kết quả)."""
    with transaction.atomic():
        locked, _change = _officer_move(
            dossier,
            officer=officer,
            action=DossierAction.COMPLETE,
            to_status=S.COMPLETED,
            audit_action="dossier.completed",
        )
    return locked


# --- Applicant actions -----------------------------------------------------------------------------


def dossier_provide_additional_info(
    *, dossier: Dossier, user: User, note: str, attachments: Sequence[UploadedFile]
) -> Dossier:
    """The applicant answers a request for more documents; the dossier returns to where it was
    (received or processing) when the officer asked."""
    note = note.strip()
    if not note and not attachments:
        raise DossierError(_("Nhập nội dung bổ sung hoặc đính kèm tệp"))
    checked = _validate_files(attachments)
    written: list[str] = []
    try:
        with transaction.atomic():
            locked = _lock(dossier)
            _check_applicant(user, locked)
            if not dossier_applicant_can_provide_info(locked):
                raise IllegalTransition(_("Hồ sơ không ở trạng thái yêu cầu bổ sung."))
            asked = (
                DossierStatusChange.objects.filter(dossier=locked, to_status=S.ADDITIONAL_INFO_REQUESTED)
                .order_by("-at", "-id")
                .first()
            )
            back_to = S(asked.from_status) if asked and asked.from_status else S.RECEIVED
            before = _snapshot(locked)
            _store(locked, checked, purpose=AttachmentPurpose.ADDITIONAL, by=user, written=written)
            _move(locked, back_to, by=user, note=note or _("Đã bổ sung tài liệu"))
            locked.save()
            audit_record(
                actor=user,
                action="dossier.additional_info_provided",
                target=locked,
                before=before,
                after={**_snapshot(locked), "files": len(checked)},
                note=note,
            )
    except BaseException:
        _remove_files(written)
        raise
    return locked


def dossier_withdraw(*, dossier: Dossier, user: User, reason: str) -> Dossier:
    """The applicant withdraws the dossier; an unpaid notice is cancelled with it."""
    reason = reason.strip()
    if not reason:
        raise DossierError(_("Nhập lý do rút hồ sơ"))
    with transaction.atomic():
        locked = _lock(dossier)
        _check_applicant(user, locked)
        if not dossier_applicant_can_withdraw(locked):
            raise IllegalTransition(
                _("Không thể rút hồ sơ ở trạng thái “%(status)s”.") % {"status": locked.status_label}
            )
        before = _snapshot(locked)
        _move(locked, S.WITHDRAWN, by=user, note=reason)
        locked.save()
        _cancel_unpaid_request(locked, by=user, reason=_("Người nộp rút hồ sơ: %(reason)s") % {"reason": reason})
        audit_record(
            actor=user, action="dossier.withdrawn", target=locked, before=before, after=_snapshot(locked), note=reason
        )
    return locked
