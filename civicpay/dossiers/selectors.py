"""Reading dossiers. Every page that shows a dossier or a file goes through one of these, so the
access rules live here and are tested once (tests/test_access.py)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from django.db.models import BigIntegerField, OuterRef, Q, QuerySet, Subquery

from civicpay.accounts.validators import normalize_phone
from civicpay.billing.models import PaymentRequest, PaymentRequestStatus
from civicpay.billing.types import LineInput
from civicpay.core.clock import VIETNAM
from civicpay.dossiers.models import Dossier, DossierAttachment, DossierStatus, DossierStatusChange, FeeStatus
from civicpay.dossiers.types import PublicDossierStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from civicpay.accounts.models import Officer, User


def _with_amount_due(queryset: QuerySet[Dossier]) -> QuerySet[Dossier]:
    """Annotate the issued notice's total so ``Dossier.amount_due`` costs no query per row."""
    issued = PaymentRequest.objects.filter(
        owner_kind="dossier", owner_id=OuterRef("pk"), status=PaymentRequestStatus.ISSUED
    ).values("total")[:1]
    return queryset.annotate(annotated_amount_due=Subquery(issued, output_field=BigIntegerField()))


def _applicant_filter(user: User) -> Q:
    return Q(applicant=user) | Q(organisation__memberships__user=user)


def dossier_list_for_applicant(*, user: User | AnonymousUser) -> QuerySet[Dossier]:
    """The user's own dossiers and those of every organisation they represent, newest first."""
    if not user.is_authenticated:
        return Dossier.objects.none()
    ids = Dossier.objects.filter(_applicant_filter(user)).values("pk")
    return _with_amount_due(
        Dossier.objects.filter(pk__in=ids).select_related("agency", "procedure", "organisation")
    ).order_by("-submitted_at", "-id")


def dossier_get_for_applicant(*, user: User | AnonymousUser, code: str) -> Dossier:
    """One dossier by code, only for its applicant or their organisation; else ``Dossier.DoesNotExist``."""
    return dossier_list_for_applicant(user=user).get(code=code)


def _officer_agency_id(officer: Officer | None) -> int:
    """The officer's agency, or 0 (matches nothing) for anyone who is not an officer."""
    return int(getattr(officer, "agency_id", None) or 0)


def dossier_list_for_officer(
    *,
    officer: Officer,
    status: str = "",
    fee_status: str = "",
    procedure_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    q: str = "",
) -> QuerySet[Dossier]:
    """The officer's agency's dossiers, filtered, newest first. Dates are local (Việt Nam) days.
    ``q`` matches a code prefix, an exact phone or ID number, or part of the applicant's name."""
    agency_id = _officer_agency_id(officer)
    if not agency_id:
        return Dossier.objects.none()
    queryset = Dossier.objects.filter(agency_id=agency_id)
    if status in DossierStatus.values:
        queryset = queryset.filter(status=status)
    if fee_status in FeeStatus.values:
        queryset = queryset.filter(fee_status=fee_status)
    if procedure_id is not None:
        queryset = queryset.filter(procedure_id=procedure_id)
    if date_from is not None:
        queryset = queryset.filter(submitted_at__gte=datetime.combine(date_from, time.min, tzinfo=VIETNAM))
    if date_to is not None:
        queryset = queryset.filter(submitted_at__lt=datetime.combine(date_to, time.max, tzinfo=VIETNAM))
    q = q.strip()
    if q:
        queryset = queryset.filter(_officer_search(q))
    return _with_amount_due(queryset.select_related("procedure")).order_by("-submitted_at", "-id")


_CODE_LIKE = re.compile(r"^[A-Za-z0-9.]+-\d")
_DIGITS = re.compile(r"^\+?\d{6,15}$")


def _officer_search(q: str) -> Q:
    """What the officer typed, matched the way an index can answer it (bench/dossier_queue.py):

    - a dossier code or its prefix ("H34.15-2611") → a range on the unique code index (a LIKE
      prefix cannot use it on SQLite, where LIKE is case-insensitive);
    - digits → an exact phone or ID number, both indexed per agency;
    - anything else → part of the applicant's name, or a code prefix.
    """
    if _CODE_LIKE.match(q):
        prefix = q.upper()
        return Q(code__gte=prefix, code__lt=prefix + "\uffff")
    if _DIGITS.match(q):
        phone = normalize_phone(q) or q
        return Q(applicant_phone=phone) | Q(applicant_id_number=q)
    prefix = q.upper()
    return Q(applicant_name__icontains=q) | Q(code__gte=prefix, code__lt=prefix + "\uffff")


def dossier_get_for_officer(*, officer: Officer, pk: int) -> Dossier:
    """One dossier of the officer's own agency; else ``Dossier.DoesNotExist``."""
    agency_id = _officer_agency_id(officer)
    return (
        _with_amount_due(Dossier.objects.filter(agency_id=agency_id))
        .select_related("agency", "procedure", "applicant", "organisation", "received_by")
        .get(pk=pk)
    )


def dossier_public_status(*, code: str) -> PublicDossierStatus | None:
    """What anyone may see by code, without logging in: status and agency only, no personal data."""
    row = (
        Dossier.objects.filter(code=code.strip())
        .values("code", "status", "fee_status", "submitted_at", "received_at", "agency__name", "procedure__name")
        .first()
    )
    if row is None:
        return None
    return PublicDossierStatus(
        code=row["code"],
        status_label=str(DossierStatus(row["status"]).label),
        agency_name=row["agency__name"],
        procedure_name=row["procedure__name"],
        submitted_on=row["submitted_at"].astimezone(VIETNAM).date(),
        received=row["received_at"] is not None,
        paid=row["fee_status"] == FeeStatus.PAID,
    )


def attachment_get_for_applicant(*, user: User | AnonymousUser, pk: int) -> DossierAttachment:
    """A file of one of the user's (or their organisation's) dossiers; else ``DoesNotExist``."""
    if not user.is_authenticated:
        raise DossierAttachment.DoesNotExist
    dossiers = Dossier.objects.filter(_applicant_filter(user)).values("pk")
    return DossierAttachment.objects.select_related("dossier").get(pk=pk, dossier__in=dossiers)


def attachment_get_for_officer(*, officer: Officer, pk: int) -> DossierAttachment:
    """A file of a dossier of the officer's agency; else ``DoesNotExist``."""
    return DossierAttachment.objects.select_related("dossier").get(
        pk=pk, dossier__agency_id=_officer_agency_id(officer)
    )


def dossier_timeline(*, dossier: Dossier) -> list[DossierStatusChange]:
    """The citizen-visible steps, oldest first."""
    return list(dossier.status_changes.select_related("by").order_by("at", "id"))


def dossier_fee_prefill(*, dossier: Dossier) -> list[LineInput]:
    """Lines for the request-payment form from the procedure's fee schedule. Lines with no fixed
    amount come as 0 with ``set_by_officer=True``: the officer must enter the amount."""
    return [
        LineInput(
            kind=line.kind,
            description=line.description,
            amount=line.amount if line.amount is not None else 0,
            schedule_amount=line.amount,
            set_by_officer=line.amount is None,
        )
        for line in dossier.procedure.fee_lines.all()
    ]
