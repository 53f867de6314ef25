"""Seed 000, ViettelPay: each of the seed's three options pays a fee notice, in Vietnamese, in Chromium.

Log in → Thông báo thu phí → Thanh toán → Thông tin thanh toán → choose ViettelPay's option → the
ViettelPay sandbox (wallet: phone + PIN; BankPlus: bank + OTP; ATM: card + OTP) → back → "Thanh toán
thành công" once the notification, sent by the real background worker, has been applied.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from civicpay.accounts.models import User
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

OUTCOME_TIMEOUT_MS = 30_000  # the worker delivers the notification, then the result page's poll sees it
OTP = "123456"


@dataclass(frozen=True)
class Journey:
    citizen: User
    notice: PaymentRequest


@pytest.fixture
def journey(live_url: str) -> Journey:
    """Written before the ``worker`` fixture starts: an agency, its officer, a citizen, a fee notice."""
    agency = AgencyFactory.create(code="G22.45", name="Sở Tư pháp tỉnh Khánh Hòa")
    procedure = ProcedureFactory.create(agency=agency, name="Cấp phiếu lý lịch tư pháp")
    officer = OfficerFactory.create(agency=agency, user__full_name="Lê Đình Nhu")
    citizen = UserFactory.create(full_name="Nguyễn Thị Mai", email="mai.nguyen@example.vn", phone="0987654321")
    dossier = DossierFactory.create(procedure=procedure, applicant=citizen, code="G22.45-261122-0301")
    notice = dossier_request_payment(
        dossier=dossier,
        officer=officer,
        lines=[
            LineInput(kind=FeeKind.FEE, description="Phí thẩm định hồ sơ", amount=50_000),
            LineInput(kind=FeeKind.CHARGE, description="Lệ phí cấp phiếu", amount=200_000),
        ],
    )
    return Journey(citizen=citizen, notice=notice)


def choose_viettelpay(page: Page, live_url: str, journey: Journey, option: str) -> None:
    login = LoginPage(page, live_url)
    login.goto()
    login.log_in(journey.citizen.email, PASSWORD)
    login.nav_link("Thông báo thu phí").click()
    page.get_by_role("link", name=f"Thanh toán {journey.notice.number}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thông tin thanh toán")
    page.get_by_role("link", name="Tiếp tục").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chọn đơn vị trung gian thanh toán")
    group = page.get_by_role("group", name="ViettelPay")
    for label in ("Ví ViettelPay", "BankPlus", "Thẻ ATM nội địa"):  # exactly the seed's three options
        expect(group.get_by_label(f"ViettelPay: {label}", exact=True)).to_be_visible()
    page.get_by_label(f"ViettelPay: {option}", exact=True).check()
    page.get_by_role("button", name="Thanh toán", exact=True).click()


def wallet(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Xác nhận thanh toán bằng ví ViettelPay")
    assert_accessible(page, "ViettelPay: xác nhận bằng ví")
    page.get_by_label("Số điện thoại").fill("0987000001")
    page.get_by_label("Mã PIN").fill("123456")
    page.get_by_role("button", name="Xác nhận").click()


def enter_otp(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Nhập mã OTP")
    page.get_by_label("Mã OTP").fill(OTP)
    page.get_by_role("button", name="Xác nhận").click()


def bankplus(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Chọn ngân hàng BankPlus")
    expect(page.get_by_role("main")).to_contain_text("Khách hàng có tài khoản BankPlus của các ngân hàng sau:")
    assert_accessible(page, "ViettelPay: chọn ngân hàng BankPlus")
    page.get_by_label(re.compile(r"^Vietcombank –")).check()
    page.get_by_role("button", name="Tiếp tục").click()
    enter_otp(page)


def atm(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Nhập thông tin thẻ")
    # A holder name with diacritics is refused, with the answers kept.
    page.get_by_label("Số thẻ").fill("9704 0000 0000 0018")
    page.get_by_label("Tên chủ thẻ").fill("Nguyễn Văn A")
    page.get_by_label("Ngày phát hành").fill("03/18")
    page.get_by_role("button", name="Tiếp tục").click()
    expect(page.locator("[data-error-summary]")).to_contain_text("Tên chủ thẻ viết không dấu")
    assert_accessible(page, "ViettelPay: thẻ ATM có lỗi")
    page.get_by_label("Tên chủ thẻ").fill("NGUYEN VAN A")
    page.get_by_role("button", name="Tiếp tục").click()
    enter_otp(page)


@pytest.mark.parametrize(
    ("option", "at_viettelpay"),
    [
        pytest.param("Ví ViettelPay", wallet, id="vi-viettelpay"),
        pytest.param("BankPlus", bankplus, id="bankplus"),
        pytest.param("Thẻ ATM nội địa", atm, id="the-atm-noi-dia"),
    ],
)
def test_each_viettelpay_option_pays_the_notice(
    page: Page, live_url: str, journey: Journey, worker, option: str, at_viettelpay: Callable[[Page], None]
) -> None:
    choose_viettelpay(page, live_url, journey, option)
    expect(page).to_have_url(re.compile(r"/sandbox/viettelpay/"))
    at_viettelpay(page)

    expect(page).to_have_url(re.compile(r"/thanh-toan/ket-qua/\?ref=PAY\w+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thanh toán thành công", timeout=OUTCOME_TIMEOUT_MS)
    expect(page.get_by_role("main")).to_contain_text("250.000 ₫")
    expect(page.get_by_role("main")).to_contain_text("ViettelPay")
