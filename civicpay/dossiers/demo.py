"""Demo dossiers for the embedded profile, registered as a step of ``manage.py load_demo_data``.

They go through the real services (codes, timeline, audit, fee notices, outbox), so the demo shows
what production would. Each one carries ``details["demo_key"]``; a run creates only the missing ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile

from civicpay.accounts.models import Officer, OfficerRole, Organisation
from civicpay.billing.types import LineInput
from civicpay.directory.demo import DemoReport, demo_procedure, demo_step, demo_user
from civicpay.dossiers.models import Dossier
from civicpay.dossiers.selectors import dossier_fee_prefill
from civicpay.dossiers.services import (
    dossier_receive,
    dossier_request_payment,
    dossier_start_processing,
    dossier_submit,
)

# A tiny valid PDF, so the demo attachments open in a viewer.
_DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass(frozen=True)
class DemoDossier:
    key: str
    applicant_email: str
    for_organisation: bool
    agency_code: str
    procedure_code: str
    summary: str
    steps: tuple[str, ...]  # "request_payment", "receive", "process", in order


DEMO_DOSSIERS = (
    DemoDossier(
        "citizen-waiting",
        "citizen@civicpay.local",
        False,
        "H34.15",
        "2.000488",
        "Đề nghị cấp Phiếu lý lịch tư pháp số 1 để bổ sung hồ sơ xin việc",
        (),
    ),
    DemoDossier(
        "citizen-fee-notice",
        "citizen@civicpay.local",
        False,
        "H34.15",
        "2.000488",
        "Đề nghị cấp Phiếu lý lịch tư pháp số 2",
        ("request_payment",),
    ),
    DemoDossier(
        "citizen-received-unpaid",
        "citizen@civicpay.local",
        False,
        "H34.15",
        "2.000505",
        "Đề nghị cấp Phiếu lý lịch tư pháp (sinh viên)",
        ("receive", "process"),
    ),
    DemoDossier(
        "org-fee-notice",
        "org@civicpay.local",
        True,
        "H34.05",
        "2.001610",
        "Đăng ký thành lập công ty TNHH một thành viên",
        ("request_payment",),
    ),
    DemoDossier(
        "org-waiting",
        "org@civicpay.local",
        True,
        "H34.05",
        "2.001610",
        "Đăng ký thành lập chi nhánh công ty",
        (),
    ),
)


def _reception_officer(agency_code: str) -> Officer:
    officers = Officer.objects.filter(agency__code=agency_code).select_related("user", "agency")
    return next(o for o in officers if o.has_role(OfficerRole.RECEPTION))


def _lines(dossier: Dossier) -> list[LineInput]:
    """The schedule's lines; a line the officer must price gets a plausible demo amount."""
    prefill = dossier_fee_prefill(dossier=dossier)
    return [
        line
        if not line.set_by_officer
        else LineInput(kind=line.kind, description=line.description, amount=100_000, set_by_officer=True)
        for line in prefill
    ] or [LineInput(kind="charge", description="Lệ phí giải quyết hồ sơ", amount=50_000)]


@demo_step(order=50)
def load_demo_dossiers(report: DemoReport) -> None:
    """A few dossiers for the demo citizen and organisation, two of them with an issued fee notice."""
    for spec in DEMO_DOSSIERS:
        if Dossier.objects.filter(details__demo_key=spec.key).exists():
            continue
        user = demo_user(spec.applicant_email)
        organisation = Organisation.objects.filter(memberships__user=user).first() if spec.for_organisation else None
        dossier = dossier_submit(
            user=user,
            procedure=demo_procedure(spec.agency_code, spec.procedure_code),
            details={"summary": spec.summary, "notes": "", "demo_key": spec.key},
            attachments=[SimpleUploadedFile("don-de-nghi.pdf", _DEMO_PDF, content_type="application/pdf")],
            organisation=organisation,
        )
        officer = _reception_officer(spec.agency_code)
        for step in spec.steps:
            if step == "request_payment":
                dossier_request_payment(dossier=dossier, officer=officer, lines=_lines(dossier))
                report.add("fee notices")
            elif step == "receive":
                dossier_receive(dossier=dossier, officer=officer)
            elif step == "process":
                dossier_start_processing(dossier=dossier, officer=officer)
        report.add("dossiers")
