"""Seed 001, section II: pay through the national payment platform ("Cổng DVC Quốc gia"), in Chromium.

Choose "Cổng DVC Quốc gia" (the seed's rule is shown on the choice page) → the platform's page lists its
own banks and e-wallets → pick one → "Xác nhận thanh toán" → back → "Thanh toán thành công" once the
platform's notification, sent by the real background worker, has been applied.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from civicpay.accounts.tests.factories import PASSWORD, OfficerFactory, UserFactory
from civicpay.backoffice.tests.factories import DossierFactory
from civicpay.billing.models import PaymentRequest
from civicpay.billing.types import LineInput
from civicpay.directory.models import FeeKind
from civicpay.directory.tests.factories import AgencyFactory, ProcedureFactory
from civicpay.dossiers.services import dossier_request_payment
from tests.e2e.axe import assert_accessible
from tests.e2e.pages import LoginPage

pytestmark = pytest.mark.browser

OUTCOME_TIMEOUT_MS = 30_000
NATIONAL = "Cổng DVC Quốc gia"
PLATFORM_LIST = ("Vietcombank", "VietinBank", "BIDV", "Agribank", "MB", "MoMo", "ZaloPay", "VNPay-QR", "ViettelPay")


@pytest.fixture
def citizen_and_notice(live_url: str) -> tuple[str, PaymentRequest]:
    agency = AgencyFactory.create(code="G22.45", name="Sở Tư pháp tỉnh Hà Tĩnh")
    procedure = ProcedureFactory.create(agency=agency, name="Cấp phiếu lý lịch tư pháp")
    officer = OfficerFactory.create(agency=agency, user__full_name="Lê Đình Nhu")
    citizen = UserFactory.create(full_name="Trần Văn Hùng", email="hung.tran@example.vn", phone="0912345678")
    dossier = DossierFactory.create(procedure=procedure, applicant=citizen, code="G22.45-261122-0401")
    notice = dossier_request_payment(
        dossier=dossier,
        officer=officer,
        lines=[LineInput(kind=FeeKind.CHARGE, description="Lệ phí cấp phiếu", amount=200_000)],
    )
    return citizen.email, notice


def test_pay_through_the_national_platform(
    page: Page, live_url: str, citizen_and_notice: tuple[str, PaymentRequest], worker
) -> None:
    email, notice = citizen_and_notice
    login = LoginPage(page, live_url)
    login.goto()
    login.log_in(email, PASSWORD)
    login.nav_link("Thông báo thu phí").click()
    page.get_by_role("link", name=f"Thanh toán {notice.number}").click()
    page.get_by_role("link", name="Tiếp tục").click()

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Chọn đơn vị trung gian thanh toán")
    group = page.get_by_role("group", name=NATIONAL)
    expect(group).to_be_visible()
    group.get_by_role("radio").first.check()
    page.get_by_role("button", name="Thanh toán", exact=True).click()

    # The platform's own page: its banks and e-wallets.
    expect(page).to_have_url(re.compile(r"/sandbox/national/"))
    expect(heading).to_have_text("Chọn ngân hàng hoặc ví điện tử")
    for name in PLATFORM_LIST:
        expect(page.get_by_label(name, exact=True)).to_be_visible()
    assert_accessible(page, "Cổng DVC Quốc gia: chọn ngân hàng hoặc ví điện tử")
    page.get_by_label("Agribank", exact=True).check()
    page.get_by_role("button", name="Thanh toán").click()

    expect(heading).to_have_text("Xác nhận thanh toán")
    expect(page.get_by_role("button", name="Hủy")).to_be_visible()
    assert_accessible(page, "Cổng DVC Quốc gia: xác nhận thanh toán")
    page.get_by_role("button", name="Xác nhận thanh toán").click()

    expect(page).to_have_url(re.compile(r"/thanh-toan/ket-qua/\?ref=PAY\w+$"))
    expect(heading).to_have_text("Thanh toán thành công", timeout=OUTCOME_TIMEOUT_MS)
    expect(page.get_by_role("main")).to_contain_text("200.000 ₫")
