"""Seeds 000 and 002, VietinBank, in Chromium and in Vietnamese:

- an individual pays a fee notice with a VietinBank card: the card and the OTP are typed on the bank's page;
- an organisation registers for online payment, prints the form, the bank's teller approves it, and the
  organisation ticks several dossiers under "Xem hồ sơ" and pays them with one automatic debit;
- an organisation without a registration prints "Chỉ dẫn thanh toán dịch vụ công trực tuyến" and the teller
  takes the payment code at the counter.

Every outcome reaches the platform as a signed notification sent by the real background worker.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from civicpay.accounts.models import Organisation, User
from civicpay.accounts.tests.factories import (
    PASSWORD,
    OfficerFactory,
    OrganisationFactory,
    OrganisationMemberFactory,
    UserFactory,
)
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


@dataclass(frozen=True)
class World:
    citizen: User
    representative: User
    organisation: Organisation
    citizen_notice: PaymentRequest
    org_notices: list[PaymentRequest]


@pytest.fixture
def world(live_url: str) -> World:
    """Written before the ``worker`` fixture starts: an agency, a citizen with a notice, an organisation
    with three dossiers, each with an issued fee notice."""
    agency = AgencyFactory.create(code="G22.05", name="Sở Kế hoạch và Đầu tư tỉnh Khánh Hòa")
    procedure = ProcedureFactory.create(agency=agency, name="Đăng ký thành lập chi nhánh")
    officer = OfficerFactory.create(agency=agency, user__full_name="Lê Đình Nhu")
    lines = [
        LineInput(kind=FeeKind.FEE, description="Phí công bố thông tin doanh nghiệp", amount=100_000),
        LineInput(kind=FeeKind.CHARGE, description="Lệ phí đăng ký", amount=50_000),
    ]
    citizen = UserFactory.create(full_name="Nguyễn Thị Mai", email="mai.nguyen@example.vn", phone="0987654321")
    citizen_dossier = DossierFactory.create(procedure=procedure, applicant=citizen, code="G22.05-261122-0101")
    organisation = OrganisationFactory.create(
        name="Công ty TNHH Sao Mai", tax_code="4201234566", address="12 Trần Phú, Phường Nha Trang"
    )
    representative = UserFactory.create(full_name="Trần Thị Bích Ngọc", email="ngoc@saomai.vn", phone="0912345678")
    OrganisationMemberFactory.create(organisation=organisation, user=representative, position="Giám đốc")
    org_notices = []
    for n in range(1, 4):
        dossier = DossierFactory.create(
            procedure=procedure, applicant=representative, organisation=organisation, code=f"G22.05-261122-02{n:02d}"
        )
        org_notices.append(dossier_request_payment(dossier=dossier, officer=officer, lines=lines))
    citizen_notice = dossier_request_payment(dossier=citizen_dossier, officer=officer, lines=lines)
    return World(citizen, representative, organisation, citizen_notice, org_notices)


def log_in(page: Page, live_url: str, user: User) -> LoginPage:
    login = LoginPage(page, live_url)
    login.goto()
    login.log_in(user.email, PASSWORD)
    return login


def reload_until(page: Page, text: str, *, selector: str = "main", seconds: float = 30) -> None:
    """These pages do not poll: reload until ``text`` is in ``selector`` (the worker has done its part)."""
    deadline = time.monotonic() + seconds
    while text not in page.locator(selector).inner_text():
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} did not appear in {selector}")
        time.sleep(0.5)
        page.reload()


def test_vietinbank_card_with_otp(page: Page, live_url: str, world: World, worker) -> None:
    login = log_in(page, live_url, world.citizen)
    login.nav_link("Thông báo thu phí").click()
    page.get_by_role("link", name=f"Thanh toán {world.citizen_notice.number}").click()
    page.get_by_role("link", name="Tiếp tục").click()
    page.get_by_role("group", name="VietinBank").get_by_label(re.compile(r"^VietinBank: Thẻ VietinBank")).check()
    page.get_by_role("button", name="Thanh toán", exact=True).click()

    expect(page).to_have_url(re.compile(r"/sandbox/vietinbank/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Chọn ngân hàng phát hành của thẻ dùng để thanh toán")
    assert_accessible(page, "VietinBank: chọn ngân hàng phát hành")
    page.get_by_label(re.compile(r"^VietinBank –")).check()
    page.get_by_role("button", name="Thanh toán").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Nhập thông tin in trên thẻ ATM")
    page.get_by_label("Số thẻ").fill("9704150000000018")
    page.get_by_label("Tên chủ thẻ").fill("Nguyễn Văn A")
    page.get_by_label("Ngày phát hành").fill("07/15")
    page.get_by_role("button", name="XÁC THỰC").click()
    expect(page.locator("[data-error-summary]")).to_contain_text("Tên chủ thẻ viết không dấu")
    assert_accessible(page, "VietinBank: thông tin thẻ có lỗi")
    page.get_by_label("Tên chủ thẻ").fill("NGUYEN VAN A")
    page.get_by_role("button", name="XÁC THỰC").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Điều kiện, điều khoản của ngân hàng phát hành")
    assert_accessible(page, "VietinBank: điều khoản")
    page.get_by_role("button", name="CHẤP NHẬN").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Nhập mã OTP")
    assert_accessible(page, "VietinBank: OTP")
    page.get_by_label("Mã OTP").fill("654321")
    page.get_by_role("button", name="Hoàn tất thanh toán").click()
    expect(page.locator("[data-error-summary]")).to_contain_text("Mã OTP không đúng. Bạn còn 2 lần thử")
    page.get_by_label("Mã OTP").fill("123456")
    page.get_by_role("button", name="Hoàn tất thanh toán").click()

    expect(page).to_have_url(re.compile(r"/thanh-toan/ket-qua/\?ref=PAY\w+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thanh toán thành công", timeout=OUTCOME_TIMEOUT_MS)
    expect(page.get_by_role("main")).to_contain_text("150.000 ₫")


def test_registration_teller_approval_then_one_debit_for_several_dossiers(
    page: Page, live_url: str, world: World, worker
) -> None:
    log_in(page, live_url, world.representative)
    page.goto(f"{live_url}/thanh-toan-truc-tuyen/dang-ky/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng ký thanh toán trực tuyến")
    assert_accessible(page, "Đăng ký thanh toán trực tuyến")
    page.get_by_role("link", name="Đăng ký – Công ty TNHH Sao Mai").click()
    expect(page.get_by_role("main")).to_contain_text("4201234566")  # from the organisation's account
    page.get_by_label("Số tài khoản").fill("1020 1000 0001")
    page.get_by_label("Chủ tài khoản").fill("CONG TY TNHH SAO MAI")
    assert_accessible(page, "Nhập thông tin đăng ký tài khoản thanh toán")
    page.get_by_role("button", name="Đăng ký").click()
    expect(page.locator("[data-registration-status]")).to_have_text("Chờ ngân hàng duyệt")
    assert_accessible(page, "Đăng ký: chờ ngân hàng duyệt")
    href = page.get_by_role("link", name="In phiếu đăng ký").get_attribute("href")
    form = page.request.get(f"{live_url}{href}")
    assert form.ok and form.body().startswith(b"%PDF")  # to print, sign and stamp
    registration_url = page.url

    # At the bank: the teller finds the registration (sent by the worker) and approves it.
    page.goto(f"{live_url}/sandbox/vietinbank/teller/")
    reload_until(page, "Công ty TNHH Sao Mai")
    assert_accessible(page, "VietinBank: quầy giao dịch")
    page.get_by_role("button", name=re.compile(r"^Duyệt")).click()
    expect(page.get_by_role("status")).to_contain_text("Đã duyệt đăng ký của Công ty TNHH Sao Mai")

    page.goto(registration_url)
    reload_until(page, "Yêu cầu đã được đăng ký thành công", selector="[data-registration-status]")
    page.get_by_role("link", name="Xem hồ sơ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Xem hồ sơ")
    assert_accessible(page, "Xem hồ sơ")
    for notice in world.org_notices:
        page.get_by_label(f"Chọn hồ sơ {notice.owner_reference}").check()
    page.get_by_role("button", name="Thanh toán", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kiểm tra trước khi thanh toán")
    expect(page.get_by_role("main")).to_contain_text("450.000 ₫")
    assert_accessible(page, "Kiểm tra trước khi thanh toán")
    page.get_by_role("button", name="Xác nhận thanh toán").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thanh toán bằng trích nợ tự động")
    expect(page.locator("#payment-state")).to_have_text("Thanh toán thành công.", timeout=OUTCOME_TIMEOUT_MS)
    page.get_by_role("link", name="Quay lại Xem hồ sơ").click()
    for notice in world.org_notices:
        expect(page.locator(f'tr[data-dossier="{notice.owner_reference}"]')).to_contain_text("ĐÃ THANH TOÁN")


def test_branch_payment_with_printed_instructions(page: Page, live_url: str, world: World, worker) -> None:
    log_in(page, live_url, world.representative)
    page.goto(f"{live_url}/xem-ho-so/")
    first, second = world.org_notices[:2]
    page.get_by_label(f"Chọn hồ sơ {first.owner_reference}").check()
    page.get_by_label(f"Chọn hồ sơ {second.owner_reference}").check()
    page.get_by_role("button", name="Thanh toán", exact=True).click()
    expect(page.get_by_role("main")).to_contain_text("nộp tiền tại chi nhánh VietinBank")
    page.get_by_role("button", name="Xác nhận và lấy Chỉ dẫn thanh toán").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Chỉ dẫn thanh toán dịch vụ công trực tuyến")
    assert_accessible(page, "Chỉ dẫn thanh toán dịch vụ công trực tuyến")
    code = page.locator("[data-payment-code]").inner_text()
    href = page.get_by_role("link", name="In Chỉ dẫn thanh toán dịch vụ công trực tuyến").get_attribute("href")
    pdf = page.request.get(f"{live_url}{href}")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    instructions_url = page.url

    page.goto(f"{live_url}/sandbox/vietinbank/teller/")
    page.get_by_label("Mã thanh toán").fill(code)
    page.get_by_role("button", name="Tìm mã thanh toán").click()
    expect(page.get_by_role("main")).to_contain_text("300.000 ₫")
    assert_accessible(page, "VietinBank: thu tiền tại quầy")
    page.get_by_role("button", name="Xác nhận đã thu tiền").click()
    expect(page.get_by_role("status")).to_contain_text(f"Đã thu 300.000 ₫ cho mã {code}")

    page.goto(instructions_url)
    expect(page.locator("#payment-state")).to_have_text("Thanh toán thành công.", timeout=OUTCOME_TIMEOUT_MS)
    page.goto(f"{live_url}/xem-ho-so/")
    for notice in (first, second):
        expect(page.locator(f'tr[data-dossier="{notice.owner_reference}"]')).to_contain_text("ĐÃ THANH TOÁN")
    expect(page.locator(f'tr[data-dossier="{world.org_notices[2].owner_reference}"]')).not_to_contain_text(
        "ĐÃ THANH TOÁN"
    )
