"""Demo data for the portal's organisation pages, a step of ``manage.py load_demo_data``.

VietinBank (seed 002 §I): the demo organisation (org@civicpay.local) gets two more dossiers with an issued
fee notice at the same agency as the dossiers' own demo ("org-fee-notice"), so "Xem hồ sơ" has several
dossiers to tick and pay with one automatic debit or one printed payment code. Created through the real
services; each carries ``details["demo_key"]`` and a run creates only the missing ones.
"""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from civicpay.accounts.models import Officer, OfficerRole, Organisation
from civicpay.billing.types import LineInput
from civicpay.directory.demo import DemoReport, demo_procedure, demo_step, demo_user
from civicpay.dossiers.models import Dossier
from civicpay.dossiers.selectors import dossier_fee_prefill
from civicpay.dossiers.services import dossier_request_payment, dossier_submit

ORGANISATION_EMAIL = "org@civicpay.local"
AGENCY = "H34.05"
DEBIT_DEMO_DOSSIERS = (
    ("org-debit-1", "2.002038", "Đăng ký thành lập công ty cổ phần Sao Mai Logistics"),
    ("org-debit-2", "2.001199", "Đăng ký thay đổi địa chỉ trụ sở chính"),
)
_DEMO_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _reception_officer() -> Officer:
    officers = Officer.objects.filter(agency__code=AGENCY).select_related("user", "agency")
    return next(officer for officer in officers if officer.has_role(OfficerRole.RECEPTION))


@demo_step(order=55)
def load_demo_organisation_dossiers(report: DemoReport) -> None:
    """Two more dossiers with fee notices for the demo organisation (after the dossiers' step, 50)."""
    user = demo_user(ORGANISATION_EMAIL)
    organisation = Organisation.objects.filter(memberships__user=user).first()
    if organisation is None:
        return
    for key, procedure_code, summary in DEBIT_DEMO_DOSSIERS:
        if Dossier.objects.filter(details__demo_key=key).exists():
            continue
        dossier = dossier_submit(
            user=user,
            procedure=demo_procedure(AGENCY, procedure_code),
            details={"summary": summary, "notes": "", "demo_key": key},
            attachments=[SimpleUploadedFile("giay-de-nghi.pdf", _DEMO_PDF, content_type="application/pdf")],
            organisation=organisation,
        )
        lines = [
            line
            if not line.set_by_officer
            else LineInput(kind=line.kind, description=line.description, amount=100_000, set_by_officer=True)
            for line in dossier_fee_prefill(dossier=dossier)
        ] or [LineInput(kind="charge", description="Lệ phí đăng ký doanh nghiệp", amount=50_000)]
        dossier_request_payment(dossier=dossier, officer=_reception_officer(), lines=lines)
        report.add("organisation dossiers")
