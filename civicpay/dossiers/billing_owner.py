"""The dossier as owner of payment requests: billing calls this handler (registered in
``DossiersConfig.ready``) inside the transaction that pays, cancels or expires a request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicpay.core import clock
from civicpay.core.audit import audit_record
from civicpay.core.db.statements import Insert, Select, Update
from civicpay.core.money import format_vnd
from civicpay.dossiers.models import Dossier, DossierStatus, DossierStatusChange, FeeStatus
from civicpay.dossiers.states import check_fee_transition, check_transition
from civicpay.notifications.services import notification_send

if TYPE_CHECKING:
    from civicpay.billing.models import PaymentRequest

# Compiled once (core/db/statements.py): a payment's settlement runs them for every dossier it pays.
# The dossier row alone: the notices go to the request's payer, so nothing is joined (a joined applicant
# row would also be locked on PostgreSQL and serialise every payment of one payer).
_LOCKED = Select(Dossier, where=("pk",), for_update=True)
_SAVE_STATUS = Update(Dossier, ["status", "fee_status", "updated_at"])
_INSERT_STATUS_CHANGE = Insert(DossierStatusChange, ["dossier", "from_status", "to_status", "at", "by", "note"])


def dossier_portal_path(code: str) -> str:
    """The applicant's page of the dossier (portal:dossier_detail)."""
    try:
        return reverse("portal:dossier_detail", args=[code])
    except NoReverseMatch:  # the portal is not mounted (e.g. an API-only deployment)
        return f"/ho-so/{code}/"


class DossierPaymentOwner:
    """Keeps a dossier's fee status (and status, while it waits for payment) in step with its notice."""

    def _locked(self, request: PaymentRequest) -> Dossier:
        dossier = _LOCKED.get(request.owner_id)
        if dossier is None:
            raise Dossier.DoesNotExist(f"Dossier {request.owner_id} does not exist")
        return dossier

    def _save_status(self, dossier: Dossier) -> None:
        """``dossier.save(update_fields=["status", "fee_status", "updated_at"])``, ``auto_now`` included."""
        dossier.updated_at = timezone.now()
        _SAVE_STATUS.save(dossier)

    def lock_owner(self, request: PaymentRequest) -> None:
        self._locked(request)

    def on_paid(self, request: PaymentRequest) -> None:
        """Awaiting payment → paid; a dossier already received keeps its status and only its fee
        status becomes paid (seed 000: a dossier without a receipt number can already be paid)."""
        dossier = self._locked(request)
        check_fee_transition(dossier.fee_status, FeeStatus.PAID)
        before = {"status": dossier.status, "fee_status": dossier.fee_status}
        note = _("Đã thanh toán %(amount)s (thông báo %(number)s)") % {
            "amount": format_vnd(request.total),
            "number": request.number,
        }
        to_status = DossierStatus.PAID if dossier.status == DossierStatus.AWAITING_PAYMENT else dossier.status
        if to_status != dossier.status:
            check_transition(dossier.status, to_status)
        # The timeline shows the payment even when the status stays (received before payment).
        _INSERT_STATUS_CHANGE.add(
            DossierStatusChange(
                dossier=dossier,
                from_status=dossier.status,
                to_status=to_status,
                at=request.paid_at or clock.now(),
                note=note,
            )
        )
        dossier.status = to_status
        dossier.fee_status = FeeStatus.PAID
        self._save_status(dossier)
        audit_record(
            actor=None,
            action="dossier.paid",
            target=dossier,
            before=before,
            after={"status": dossier.status, "fee_status": dossier.fee_status, "payment_request": request.number},
        )
        if request.payer_user is not None:
            notification_send(
                channel="portal",
                to="",
                subject=_("Hồ sơ %(code)s đã thanh toán") % {"code": dossier.code},
                body=_("Đã nhận thanh toán %(amount)s cho hồ sơ %(code)s (thông báo %(number)s).")
                % {"amount": format_vnd(request.total), "code": dossier.code, "number": request.number},
                key=f"payment_request:{request.pk}:paid:portal",
                user=request.payer_user,
            )

    def _release(self, request: PaymentRequest, *, action: str, note: str) -> None:
        """The notice no longer applies: fee status back to none, and a dossier that was only waiting
        for payment goes back to waiting for reception. Idempotent."""
        dossier = self._locked(request)
        if dossier.fee_status != FeeStatus.AWAITING:
            return
        before = {"status": dossier.status, "fee_status": dossier.fee_status}
        dossier.fee_status = FeeStatus.NONE
        if dossier.status == DossierStatus.AWAITING_PAYMENT:
            DossierStatusChange.objects.create(
                dossier=dossier,
                from_status=dossier.status,
                to_status=DossierStatus.SUBMITTED,
                at=request.cancelled_at or clock.now(),
                by=request.cancelled_by,
                note=note,
            )
            dossier.status = DossierStatus.SUBMITTED
        self._save_status(dossier)
        audit_record(
            actor=request.cancelled_by,
            action=action,
            target=dossier,
            before=before,
            after={"status": dossier.status, "fee_status": dossier.fee_status, "payment_request": request.number},
            note=note,
        )
        if request.payer_user is not None:
            notification_send(
                channel="portal",
                to="",
                subject=_("Thông báo thu phí %(number)s không còn hiệu lực") % {"number": request.number},
                body=note,
                key=f"payment_request:{request.pk}:{request.status}:portal",
                user=request.payer_user,
            )

    def on_cancelled(self, request: PaymentRequest) -> None:
        self._release(
            request,
            action="dossier.payment_request_released",
            note=_("Đã hủy thông báo thu phí %(number)s: %(reason)s")
            % {"number": request.number, "reason": request.cancel_reason},
        )

    def on_expired(self, request: PaymentRequest) -> None:
        self._release(
            request,
            action="dossier.payment_request_expired",
            note=_("Thông báo thu phí %(number)s đã quá hạn thanh toán") % {"number": request.number},
        )

    def url_for_payer(self, request: PaymentRequest) -> str:
        return dossier_portal_path(request.owner_reference)

    def receipt_printable(self, request: PaymentRequest) -> tuple[bool, str]:
        """Seed 000: the receipt prints only once the agency has received the dossier (số biên nhận)."""
        receipt_number = Dossier.objects.filter(pk=request.owner_id).values_list("receipt_number", flat=True).first()
        if receipt_number:
            return True, ""
        return False, _(
            "Hồ sơ chưa được tiếp nhận (chưa có số biên nhận). Biên lai sẽ in được sau khi cơ quan tiếp nhận hồ sơ."
        )
