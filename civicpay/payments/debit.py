"""Automatic debit through VietinBank (seed 002 §I): organisations' registrations and debit payments.

*Đăng ký thanh toán trực tuyến* — an organisation's representative registers the organisation's
account (details copied from the organisation, account number and holder typed in), prints the
form, signs and stamps it and takes it to the bank. The registration is sent to the bank over HTTP
(signed) by a background task as soon as it is created; the bank's teller approves or rejects it and
the bank tells us in a signed notification:

``pending`` ("Chờ ngân hàng duyệt") → ``active`` ("Yêu cầu đã được đăng ký thành công") | ``rejected``;
``pending``/``active`` → ``cancelled`` by the organisation (the bank is told, by a task too).

With an active registration the organisation pays several dossiers at once: one payment for all
their fee notices, one debit request to the bank, one outcome (all or nothing). The payments app
never learns about dossiers: the portal hands :func:`debit_payment_create` the payables.

Registration notifications follow the signed-gateway rules (``signed_callbacks``): stored first;
signature → ``97``; identical copy, stale timestamp or used nonce → ``98``; unknown registration →
``01``; decision already recorded → ``02``; applied → ``00``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.tasks import task
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from civicpay.accounts.models import Organisation, OrganisationMember
from civicpay.core import clock
from civicpay.core.audit import audit_record
from civicpay.notifications.services import notification_send
from civicpay.payments.callbacks import callback_finish, callback_store
from civicpay.payments.errors import PaymentError
from civicpay.payments.models import (
    LIVE_DEBIT_REGISTRATION_STATUSES,
    PENDING_STATUSES,
    CallbackKind,
    CallbackOutcome,
    DebitRegistration,
    DebitRegistrationStatus,
    DebitRequest,
    Payment,
    PaymentItem,
    ProviderCallback,
)
from civicpay.payments.providers import signed_protocol as sp
from civicpay.payments.providers.base import (
    FinalProviderError,
    InvalidSignature,
    MalformedMessage,
    ProviderError,
    provider_get,
)
from civicpay.payments.providers.signed_gateway import (
    REPLY_ALREADY_CONFIRMED,
    REPLY_ERROR,
    REPLY_INVALID_SIGNATURE,
    REPLY_NOT_FOUND,
    REPLY_OK,
    REPLY_STALE_OR_REPLAYED,
)
from civicpay.payments.providers.vietinbank import (
    CODE as PROVIDER,
)
from civicpay.payments.providers.vietinbank import (
    METHOD_DEBIT,
    REGISTRATION_APPROVED,
    VietinbankProvider,
    debit_method_allowed,
)
from civicpay.payments.replay import REPLAY_WINDOW_SECONDS, nonce_consume
from civicpay.payments.services import payment_create
from civicpay.payments.states import PaymentStatus, check_transition
from civicpay.payments.types import PayableSpec

if TYPE_CHECKING:
    from civicpay.accounts.models import User

logger = logging.getLogger(__name__)

_S = DebitRegistrationStatus
REGISTRATION_TRANSITIONS: Final[Mapping[str, frozenset[str]]] = {
    _S.PENDING: frozenset({_S.ACTIVE, _S.REJECTED, _S.CANCELLED}),
    _S.ACTIVE: frozenset({_S.CANCELLED}),
    _S.REJECTED: frozenset(),
    _S.CANCELLED: frozenset(),
}
SEND_MAX_ATTEMPTS: Final = 8
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class DebitError(PaymentError):
    """A registration or a debit cannot be made as asked; ``message`` is Vietnamese for the page."""


def _adapter() -> VietinbankProvider:
    adapter = provider_get(PROVIDER)
    assert isinstance(adapter, VietinbankProvider)
    return adapter


def _move(registration: DebitRegistration, target: DebitRegistrationStatus) -> None:
    if target not in REGISTRATION_TRANSITIONS[registration.status]:
        raise DebitError(
            _("Đăng ký đang ở trạng thái “%(status)s”, không thể chuyển sang “%(target)s”.")
            % {"status": registration.get_status_display(), "target": target.label}
        )
    registration.status = target


def _snapshot(registration: DebitRegistration) -> dict[str, object]:
    return {"status": registration.status, "reference": registration.reference}


# --- reading --------------------------------------------------------------------------------------


def organisations_for_member(*, user: User) -> QuerySet[Organisation]:
    """The organisations ``user`` represents (legal or authorised representative), by name."""
    return Organisation.objects.filter(memberships__user=user).order_by("name").distinct()


def organisation_get_for_member(*, user: User, organisation_id: int) -> Organisation:
    """One organisation ``user`` represents; ``Organisation.DoesNotExist`` otherwise (a 404)."""
    return organisations_for_member(user=user).get(pk=organisation_id)


def debit_registrations_for_user(*, user: User) -> QuerySet[DebitRegistration]:
    """Every registration of the organisations ``user`` represents, newest first."""
    return DebitRegistration.objects.filter(
        organisation__in=organisations_for_member(user=user).values("pk")
    ).select_related("organisation")


def debit_registration_get_for_user(*, user: User, reference: str) -> DebitRegistration:
    """The one access check: a registration of an organisation ``user`` represents, else ``DoesNotExist``."""
    return debit_registrations_for_user(user=user).get(reference=reference)


def debit_registration_active(*, organisation: Organisation) -> DebitRegistration | None:
    return DebitRegistration.objects.filter(
        organisation=organisation, provider=PROVIDER, status=DebitRegistrationStatus.ACTIVE
    ).first()


def debit_registration_live(*, organisation: Organisation) -> DebitRegistration | None:
    """The pending or active registration of ``organisation``, if any (at most one, by constraint)."""
    return DebitRegistration.objects.filter(
        organisation=organisation, provider=PROVIDER, status__in=LIVE_DEBIT_REGISTRATION_STATUSES
    ).first()


@dataclass(frozen=True, slots=True)
class RegistrationPrefill:
    """What the form shows from the organisation's account (seed: "tự động trích xuất")."""

    organisation_name: str
    tax_code: str
    address: str
    representative_name: str
    representative_position: str
    representative_phone: str
    representative_email: str


def debit_registration_prefill(*, organisation: Organisation, user: User) -> RegistrationPrefill:
    membership = OrganisationMember.objects.filter(organisation=organisation, user=user).first()
    position = membership.position if membership is not None else ""
    if not position and membership is not None:
        position = (
            _("Người đại diện theo pháp luật") if membership.is_legal_representative else _("Người được ủy quyền")
        )
    return RegistrationPrefill(
        organisation_name=organisation.name,
        tax_code=organisation.tax_code,
        address=organisation.address,
        representative_name=user.full_name,
        representative_position=position,
        representative_phone=user.phone or "",
        representative_email=user.email,
    )


# --- registrations --------------------------------------------------------------------------------


def normalize_account_number(value: str) -> str:
    """Digits only: spaces and dashes people type between groups are dropped."""
    return "".join(ch for ch in value if ch not in " -.")


def _reference_new() -> str:
    suffix = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"DK{clock.local_today():%y%m%d}{suffix}"


def registration_notify_url() -> str:
    return f"{settings.BASE_URL.rstrip('/')}{reverse('payments:vietinbank_registration_notify')}"


def debit_registration_create(
    *, organisation: Organisation, user: User, account_number: str, account_holder: str, ip_address: str | None = None
) -> DebitRegistration:
    """A ``pending`` registration of ``organisation``'s account, queued to be sent to the bank.

    Refused when ``user`` does not represent the organisation, or the organisation already has a
    pending or active registration (the database's constraint backs this check).
    """
    account = normalize_account_number(account_number)
    holder = " ".join(account_holder.split()).upper()
    if not (account.isascii() and account.isdigit() and 6 <= len(account) <= 19):
        raise DebitError(_("Số tài khoản gồm 6 đến 19 chữ số."))
    if not holder:
        raise DebitError(_("Nhập tên chủ tài khoản."))
    with transaction.atomic():
        locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if not OrganisationMember.objects.filter(organisation=locked, user=user).exists():
            raise DebitError(_("Bạn không đại diện cho tổ chức này."))
        if debit_registration_live(organisation=locked) is not None:
            raise DebitError(_("Tổ chức đã có đăng ký thanh toán trực tuyến đang chờ duyệt hoặc đang hiệu lực."))
        prefill = debit_registration_prefill(organisation=locked, user=user)
        registration = DebitRegistration.objects.create(
            reference=_reference_new(),
            provider=PROVIDER,
            organisation=locked,
            organisation_name=prefill.organisation_name,
            tax_code=prefill.tax_code,
            address=prefill.address,
            representative_name=prefill.representative_name,
            representative_position=prefill.representative_position[:100],
            representative_phone=prefill.representative_phone,
            representative_email=prefill.representative_email,
            account_number=account,
            account_holder=holder[:150],
            created_by=user,
            created_at=clock.now(),
        )
        audit_record(
            actor=user,
            action="debit_registration.created",
            target=registration,
            after={**_snapshot(registration), "organisation": locked.pk, "account": registration.account_masked},
            ip_address=ip_address,
        )
        deliver_registration.enqueue(registration.pk, "register")
    return registration


def debit_registration_cancel(
    *, registration: DebitRegistration, user: User, ip_address: str | None = None
) -> DebitRegistration:
    """The organisation withdraws its registration; the bank is told by a task."""
    with transaction.atomic():
        locked = DebitRegistration.objects.select_for_update().get(pk=registration.pk)
        if not OrganisationMember.objects.filter(organisation_id=locked.organisation_id, user=user).exists():
            raise DebitRegistration.DoesNotExist(registration.reference)
        before = _snapshot(locked)
        _move(locked, DebitRegistrationStatus.CANCELLED)
        locked.cancelled_at, locked.cancelled_by = clock.now(), user
        locked.save(update_fields=["status", "cancelled_at", "cancelled_by"])
        audit_record(
            actor=user,
            action="debit_registration.cancelled",
            target=locked,
            before=before,
            after=_snapshot(locked),
            ip_address=ip_address,
        )
        deliver_registration.enqueue(locked.pk, "cancel")
    return locked


def _retry_delay(attempts: int) -> timedelta:
    base = float(getattr(settings, "VIETINBANK_SEND_RETRY_SECONDS", 10))
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


@task(queue_name="default")
def deliver_registration(registration_id: int, action: str) -> str:
    """Send a registration (``register``) or its cancellation (``cancel``) to the bank; retried."""
    return registration_deliver(registration_id=registration_id, action=action)


def registration_deliver(*, registration_id: int, action: str) -> str:
    """One attempt, outside any transaction for the HTTP call; ``sent``, ``retry``, ``failed`` or ``skipped``."""
    registration = DebitRegistration.objects.filter(pk=registration_id).first()
    if registration is None:
        return "skipped"
    if action == "register" and (registration.sent_at or registration.status == DebitRegistrationStatus.CANCELLED):
        return "skipped"
    if action == "cancel" and (registration.cancel_sent_at or not registration.sent_at):
        return "skipped"  # never reached the bank: nothing to withdraw there
    adapter = _adapter()
    bank_reference = ""
    error = ""
    final = False
    try:
        if action == "register":
            bank_reference = adapter.registration_send(registration, notify_url=registration_notify_url())
        else:
            adapter.registration_cancel_send(registration)
    except ProviderError as exc:
        error, final = str(exc)[:500], isinstance(exc, FinalProviderError)
    with transaction.atomic():
        locked = DebitRegistration.objects.select_for_update().get(pk=registration_id)
        locked.send_attempts += 1
        if not error:
            if action == "register":
                locked.sent_at, locked.bank_reference = clock.now(), bank_reference[:40]
            else:
                locked.cancel_sent_at = clock.now()
            locked.last_send_error = ""
            locked.save(
                update_fields=["send_attempts", "sent_at", "bank_reference", "cancel_sent_at", "last_send_error"]
            )
            audit_record(actor=None, action=f"debit_registration.sent_{action}", target=locked, after=_snapshot(locked))
            return "sent"
        locked.last_send_error = error
        locked.save(update_fields=["send_attempts", "last_send_error"])
        if final or locked.send_attempts >= SEND_MAX_ATTEMPTS:
            logger.error("VietinBank %s of registration %s failed for good: %s", action, locked.reference, error)
            return "failed"
        deliver_registration.using(run_after=clock.now() + _retry_delay(locked.send_attempts)).enqueue(
            registration_id, action
        )
        logger.warning("VietinBank %s of registration %s will be retried: %s", action, locked.reference, error)
        return "retry"


# --- the bank's decision ---------------------------------------------------------------------------


def _notify_decision(registration: DebitRegistration) -> None:
    """One e-mail and one portal notice to the representative who registered, once per decision."""
    with translation.override("vi"):
        if registration.status == DebitRegistrationStatus.ACTIVE:
            subject = _("VietinBank đã duyệt đăng ký thanh toán trực tuyến %(ref)s") % {"ref": registration.reference}
            body = _(
                "Đăng ký thanh toán trực tuyến %(ref)s của %(org)s (tài khoản %(account)s): "
                "Yêu cầu đã được đăng ký thành công. Từ nay tổ chức có thể chọn nhiều hồ sơ và thanh toán một lần."
            )
        else:
            subject = _("VietinBank từ chối đăng ký thanh toán trực tuyến %(ref)s") % {"ref": registration.reference}
            body = _(
                "Đăng ký thanh toán trực tuyến %(ref)s của %(org)s (tài khoản %(account)s) bị từ chối. Lý do: %(reason)s"
            )
        context = {
            "ref": registration.reference,
            "org": registration.organisation_name,
            "account": registration.account_masked,
            "reason": registration.rejection_reason or "—",
        }
        key = f"debit_registration:{registration.reference}:{registration.status}"
        user = registration.created_by
        notification_send(channel="portal", to="", subject=subject, body=body % context, key=f"{key}:portal", user=user)
        if registration.representative_email:
            notification_send(
                channel="email",
                to=registration.representative_email,
                subject=subject,
                body=body % context,
                key=f"{key}:email",
                user=user,
            )


def _apply_decision(raw: Mapping[str, str]) -> tuple[str, DebitRegistration | None, str]:
    """Apply a verified, fresh, first-seen notification; ``(reply code, registration, note)``."""
    notice = _adapter().parse_registration_notification(raw)
    with transaction.atomic():
        registration = (
            DebitRegistration.objects.select_for_update()
            .filter(provider=PROVIDER, reference=notice.registration_id)
            .first()
        )
        if registration is None:
            return REPLY_NOT_FOUND, None, "registration not found"
        target = (
            DebitRegistrationStatus.ACTIVE
            if notice.status == REGISTRATION_APPROVED
            else DebitRegistrationStatus.REJECTED
        )
        if registration.status == target:
            return REPLY_ALREADY_CONFIRMED, registration, "duplicate"
        if registration.status != DebitRegistrationStatus.PENDING:
            return REPLY_ALREADY_CONFIRMED, registration, f"ignored: registration is {registration.status}"
        before = _snapshot(registration)
        _move(registration, target)
        registration.decided_at = clock.now()
        registration.bank_reference = notice.bank_reference or registration.bank_reference
        if target == DebitRegistrationStatus.REJECTED:
            registration.rejection_reason = notice.reason or _("Ngân hàng không nêu lý do.")
        registration.save(update_fields=["status", "decided_at", "bank_reference", "rejection_reason"])
        audit_record(
            actor=None,
            action=f"debit_registration.{target}",
            target=registration,
            before=before,
            after={**_snapshot(registration), "reason": registration.rejection_reason},
            note="vietinbank notification",
        )
        _notify_decision(registration)
    return REPLY_OK, registration, "applied"


def _registration_notice_apply(raw: Mapping[str, str], callback: ProviderCallback, *, is_new: bool) -> str:
    def finish(code: str, outcome: CallbackOutcome, note: str = "", *, signature_valid: bool = True) -> str:
        callback_finish(callback, outcome=outcome, reply_code=code, signature_valid=signature_valid, note=note)
        return code

    try:
        _adapter().verify_signed(raw)
    except InvalidSignature:
        if not is_new:
            return REPLY_INVALID_SIGNATURE
        return finish(REPLY_INVALID_SIGNATURE, CallbackOutcome.REJECTED, signature_valid=False)
    if not is_new:
        return REPLY_STALE_OR_REPLAYED  # an identical copy: the first one's row tells what happened
    try:
        sp.check_fresh(raw, window_seconds=REPLAY_WINDOW_SECONDS)
    except sp.StaleMessage as exc:
        return finish(REPLY_STALE_OR_REPLAYED, CallbackOutcome.REJECTED, f"stale: {exc}")
    if not nonce_consume(provider=PROVIDER, nonce=raw.get(sp.NONCE_FIELD, "")):
        return finish(REPLY_STALE_OR_REPLAYED, CallbackOutcome.REJECTED, "replayed: nonce already used")
    try:
        code, _registration, note = _apply_decision(raw)
    except MalformedMessage as exc:
        return finish(REPLY_ERROR, CallbackOutcome.REJECTED, str(exc))
    outcome = {
        REPLY_OK: CallbackOutcome.APPLIED,
        REPLY_ALREADY_CONFIRMED: CallbackOutcome.DUPLICATE,
    }.get(code, CallbackOutcome.REJECTED)
    return finish(code, outcome, f"registration: {note}")


def registration_notification_receive(*, request: HttpRequest) -> HttpResponse:
    """Store, check and apply the bank's decision on a registration; answer ``{"code", "message"}``."""
    adapter = _adapter()
    try:
        raw = adapter.notification_params(request)
        callback, is_new = callback_store(
            provider=PROVIDER, kind=CallbackKind.IPN, raw=raw, remote_addr=request.META.get("REMOTE_ADDR") or None
        )
    except Exception:
        logger.exception("Could not store a VietinBank registration notification")
        return adapter.reply(REPLY_ERROR)
    try:
        code = _registration_notice_apply(raw, callback, is_new=is_new)
    except Exception as exc:
        logger.exception("Could not apply VietinBank registration notification %s", callback.pk)
        callback_finish(
            callback, outcome=CallbackOutcome.ERROR, reply_code=REPLY_ERROR, note=f"{type(exc).__name__}: {exc}"
        )
        code = REPLY_ERROR
    return adapter.reply(code)


@csrf_exempt
@require_POST
@never_cache
def registration_notification(request: HttpRequest) -> HttpResponse:
    """``POST /thanh-toan/vietinbank/dang-ky/``: the bank approved or rejected a registration."""
    return registration_notification_receive(request=request)


# --- debit payments --------------------------------------------------------------------------------


def debit_payment_create(
    *,
    registration: DebitRegistration,
    user: User,
    items: Sequence[PayableSpec],
    return_url: str,
    client_ip: str | None = None,
) -> Payment:
    """One ``created`` payment for every item, to be debited from the registration's account.

    The caller then calls ``payment_start`` (which sends the debit request to the bank and leaves the
    payment ``submitted``). Refused when the registration is not active, ``user`` does not represent
    its organisation, or one of the items already waits for a debit.
    """
    with transaction.atomic():
        locked = DebitRegistration.objects.select_for_update().get(pk=registration.pk)
        if not OrganisationMember.objects.filter(organisation_id=locked.organisation_id, user=user).exists():
            raise DebitRegistration.DoesNotExist(registration.reference)
        if locked.status != DebitRegistrationStatus.ACTIVE:
            raise DebitError(_("Đăng ký thanh toán trực tuyến chưa được ngân hàng duyệt hoặc đã hủy."))
        waiting = PaymentItem.objects.filter(
            payment__provider=PROVIDER,
            payment__method=METHOD_DEBIT,
            payment__status__in=PENDING_STATUSES,
            payable_kind__in={item.kind for item in items},
            payable_id__in=[item.payable_id for item in items],
        ).first()
        if waiting is not None:
            raise DebitError(
                _("%(what)s đang chờ ngân hàng trích nợ, vui lòng chờ kết quả.") % {"what": waiting.reference}
            )
        with debit_method_allowed():
            payment = payment_create(
                items=items,
                provider=PROVIDER,
                method=METHOD_DEBIT,
                payer_user=user,
                payer_name=locked.organisation_name,
                payer_email=user.email,
                payer_phone=user.phone or "",
                return_url=return_url,
                client_ip=client_ip,
            )
        DebitRequest.objects.create(payment=payment, registration=locked, created_at=clock.now())
    return payment


def payment_mark_submitted(*, payment: Payment, source: str, expires_at: datetime | None = None) -> bool:
    """``started → submitted`` once the bank holds the payment (a debit accepted, a bill published).

    ``expires_at`` moves the deadline (a printed payment code is valid for days, not minutes). Does
    nothing when the payment already moved on (the bank's outcome may overtake this call).
    """
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != PaymentStatus.STARTED:
            return False
        check_transition(locked.payment_status, PaymentStatus.SUBMITTED)
        before = {"status": locked.status, "expires_at": locked.expires_at.isoformat()}
        locked.status = PaymentStatus.SUBMITTED
        locked.submitted_at = clock.now()
        if expires_at is not None:
            locked.expires_at = expires_at
        locked.save(update_fields=["status", "submitted_at", "expires_at"])
        audit_record(
            actor=None,
            action="payment.submitted",
            target=locked,
            before=before,
            after={"status": locked.status, "expires_at": locked.expires_at.isoformat()},
            note=source,
        )
    payment.status, payment.submitted_at, payment.expires_at = locked.status, locked.submitted_at, locked.expires_at
    return True


def debit_payments_for_registration(*, registration: DebitRegistration) -> QuerySet[Payment]:
    return Payment.objects.filter(debit_request__registration=registration).order_by("-created_at", "-id")
