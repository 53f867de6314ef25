"""The fee notice now goes through the document service: lookup code, QR, signature, stored once."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from pyhanko.pdf_utils.reader import PdfFileReader

from civicpay.accounts.tests.factories import OfficerFactory, UserFactory
from civicpay.billing.notice import NOTICE_OWNER_KIND, fee_notice_document, render_fee_notice_pdf
from civicpay.billing.services import payment_request_issue
from civicpay.billing.types import LineInput
from civicpay.core import clock
from civicpay.directory.models import Agency, FeeKind
from civicpay.documents.models import DocumentKind, IssuedDocument
from civicpay.documents.tests.conftest import AGENCY_NAME, pdf_text
from civicpay.documents.verification import check_pdf_signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(agency: Agency):
    payer = UserFactory.create(full_name="Trần Thị Bích Ngọc")
    officer = OfficerFactory.create(agency=agency)
    return payment_request_issue(
        owner_kind="dossier",
        owner_id=1,
        owner_reference="G22.45-261122-0001",
        agency=agency,
        payer_user=payer,
        payer_organisation=None,
        payer_name=payer.full_name,
        payer_email="",
        payer_phone="",
        description="Cấp phiếu lý lịch tư pháp",
        lines=[
            LineInput(kind=FeeKind.FEE, description="Phí thẩm định hồ sơ", amount=1_000_000),
            LineInput(kind=FeeKind.CHARGE, description="Lệ phí cấp phiếu", amount=5_000),
        ],
        due_date=clock.local_today() + timedelta(days=7),
        issued_by=officer.user,
    )


def test_fee_notice_is_signed_and_carries_its_lookup_code(notice) -> None:
    data = render_fee_notice_pdf(notice)

    document = IssuedDocument.objects.get(owner_kind=NOTICE_OWNER_KIND, owner_id=notice.pk)
    assert document.kind == DocumentKind.FEE_NOTICE
    assert document.issuer_code == notice.agency.code
    text = pdf_text(data)
    assert "THÔNG BÁO NỘP PHÍ, LỆ PHÍ" in text
    assert document.lookup_code_display in text
    (signature,) = PdfFileReader(io.BytesIO(data)).embedded_signatures
    assert signature.signer_cert.subject.native["organization_name"] == AGENCY_NAME
    assert check_pdf_signature(data).ok


def test_every_print_is_the_same_stored_document(notice) -> None:
    first = render_fee_notice_pdf(notice)
    second = render_fee_notice_pdf(notice)
    assert first == second
    assert IssuedDocument.objects.filter(owner_kind=NOTICE_OWNER_KIND, owner_id=notice.pk).count() == 1


def test_notice_verifies_publicly_with_number_and_amount_but_no_payer(client: Client, notice) -> None:
    document = fee_notice_document(notice)
    page = client.get(reverse("documents:verify_code", args=[document.lookup_code])).content.decode()
    assert notice.number in page
    assert "1.005.000 ₫" in page
    assert AGENCY_NAME in page
    assert "Thông báo nộp phí, lệ phí" in page
    assert "Trần Thị Bích Ngọc" not in page
