"""Writes to the directory: agencies, procedures and fee schedules. Each call is atomic and audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from civicpay.core.audit import audit_record
from civicpay.core.money import check_amount
from civicpay.directory.models import Agency, FeeKind, FeeScheduleLine, Procedure
from civicpay.directory.places import is_province


@dataclass(frozen=True)
class FeeLineData:
    """One line of a fee schedule. ``amount`` in integer VND, ``None`` when the officer sets it per dossier;
    ``unit`` ("trang", "bản") when the amount is per unit rather than per dossier."""

    kind: FeeKind
    description: str
    amount: int | None
    unit: str = ""


def _fee_line_snapshot(procedure: Procedure) -> list[dict[str, Any]]:
    return [
        {"kind": line.kind, "description": line.description, "amount": line.amount, "unit": line.unit}
        for line in procedure.fee_lines.order_by("position", "id")
    ]


def agency_create(
    *,
    code: str,
    name: str,
    province_code: int,
    by: Any,
    address: str = "",
    phone: str = "",
    tax_code: str = "",
    parent: Agency | None = None,
) -> Agency:
    """Register an agency. ``code`` prefixes its dossier codes, so it must be unique and short."""
    if not is_province(province_code):
        raise ValidationError(_("Mã tỉnh/thành phố không tồn tại."), code="province")
    with transaction.atomic():
        agency = Agency(
            code=code.strip(),
            name=name.strip(),
            province_code=province_code,
            address=address,
            phone=phone,
            tax_code=tax_code,
            parent=parent,
        )
        agency.full_clean()
        agency.save()
        audit_record(actor=by, action="agency.create", target=agency, after={"code": agency.code, "name": agency.name})
    return agency


def procedure_create(
    *,
    agency: Agency,
    code: str,
    name: str,
    by: Any,
    processing_days: int = 5,
    description: str = "",
    fee_lines: Sequence[FeeLineData] = (),
) -> Procedure:
    """Add a procedure with its fee schedule to an agency."""
    with transaction.atomic():
        procedure = Procedure(
            agency=agency,
            code=code.strip(),
            name=name.strip(),
            processing_days=processing_days,
            description=description,
        )
        procedure.full_clean()
        procedure.save()
        _write_fee_lines(procedure, fee_lines)
        audit_record(
            actor=by,
            action="procedure.create",
            target=procedure,
            after={"code": procedure.code, "name": procedure.name, "fee_lines": _fee_line_snapshot(procedure)},
        )
    return procedure


def procedure_set_fee_lines(*, procedure: Procedure, fee_lines: Sequence[FeeLineData], by: Any) -> Procedure:
    """Replace a procedure's fee schedule. Notices already issued keep their own copy of the lines."""
    with transaction.atomic():
        locked = Procedure.objects.select_for_update().get(pk=procedure.pk)
        before = _fee_line_snapshot(locked)
        locked.fee_lines.all().delete()
        _write_fee_lines(locked, fee_lines)
        audit_record(
            actor=by,
            action="procedure.set_fee_lines",
            target=locked,
            before={"fee_lines": before},
            after={"fee_lines": _fee_line_snapshot(locked)},
        )
    return locked


def _write_fee_lines(procedure: Procedure, fee_lines: Sequence[FeeLineData]) -> None:
    for position, line in enumerate(fee_lines):
        if line.amount is not None:
            check_amount(line.amount, allow_zero=True)
        FeeScheduleLine.objects.create(
            procedure=procedure,
            kind=FeeKind(line.kind),
            description=line.description,
            amount=line.amount,
            unit=line.unit,
            position=position,
        )
