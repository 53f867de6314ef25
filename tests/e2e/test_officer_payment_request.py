"""Seed 001, officer side: a reception officer asks two applicants' dossiers to pay, in Vietnamese, in Chromium.

Log in → Tiếp nhận - Trả kết quả → Tiếp nhận hồ sơ qua mạng → tick two dossiers → Yêu cầu thanh toán →
Kiểm tra nội dung thu phí → Gửi yêu cầu thanh toán. Then the citizen sees both fee notices in the portal and
has an SMS and an e-mail in the dev mailbox, delivered by the real background worker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from civicpay.accounts.models import User
from civicpay.accounts.tests.factories import PASSWORD, OfficerFactory, UserFactory
from civicpay.backoffice.tests.factories import DossierFactory
from civicpay.directory.models import FeeKind
from civicpay.directory.tests.factories import AgencyFactory, FeeScheduleLineFactory, ProcedureFactory
from civicpay.dossiers.models import Dossier
from tests.e2e.axe import assert_accessible
from tests.e2e.pages import BasePage, LoginPage, MailboxPage

pytestmark = pytest.mark.browser


class QueuePage(BasePage):
    """``backoffice:queue`` — Tiếp nhận hồ sơ qua mạng."""

    url_name = "backoffice:queue"

    def tick(self, code: str) -> None:
        self.page.get_by_label(f"Chọn hồ sơ {code}", exact=True).check()

    def request_payment(self) -> None:
        self.page.get_by_role("button", name="Yêu cầu thanh toán", exact=True).click()


@dataclass(frozen=True)
class Journey:
    officer_email: str
    citizen: User
    first: Dossier
    second: Dossier


@pytest.fixture
def journey(live_url: str) -> Journey:
    """The agency, its officer, a citizen and two submitted dossiers.

    Written before the ``worker`` fixture starts (the test lists ``journey`` first), so the journey begins
    from a settled database.
    """
    agency = AgencyFactory.create(code="G22.45", name="Sở Tư pháp tỉnh Hà Tĩnh")
    procedure = ProcedureFactory.create(agency=agency, name="Cấp phiếu lý lịch tư pháp")
    FeeScheduleLineFactory.create(
        procedure=procedure, kind=FeeKind.CHARGE, description="Lệ phí cấp phiếu", amount=200_000
    )
    officer = OfficerFactory.create(agency=agency, user__full_name="Lê Đình Nhu", user__email="canbo@hatinh.gov.vn")
    citizen = UserFactory.create(full_name="Nguyễn Thị Mai", email="mai.nguyen@example.vn", phone="0987654321")
    first = DossierFactory.create(procedure=procedure, applicant=citizen, code="G22.45-261122-0001")
    second = DossierFactory.create(procedure=procedure, applicant=citizen, code="G22.45-261122-0002")

    return Journey(officer_email=officer.user.email, citizen=citizen, first=first, second=second)


def test_officer_requests_payment_for_two_dossiers_and_the_citizen_is_notified(
    page: Page, live_url: str, journey: Journey, worker
) -> None:
    citizen, first, second = journey.citizen, journey.first, journey.second
    login = LoginPage(page, live_url)
    login.goto()
    login.log_in(journey.officer_email, PASSWORD)

    login.nav_link("Tiếp nhận - Trả kết quả").click()
    page.get_by_role("link", name="Tiếp nhận hồ sơ qua mạng").click()
    queue = QueuePage(page, live_url)
    expect(queue.heading).to_have_text("Tiếp nhận hồ sơ qua mạng")
    assert_accessible(page, "trang tiếp nhận hồ sơ qua mạng")

    queue.tick(first.code)
    queue.tick(second.code)
    queue.request_payment()

    expect(page.get_by_role("heading", level=1)).to_have_text("Yêu cầu thanh toán")
    expect(page.get_by_role("heading", name=f"Hồ sơ {first.code}")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Hồ sơ {second.code}")).to_be_visible()
    assert_accessible(page, "trang yêu cầu thanh toán")
    page.get_by_role("button", name="Tiếp tục").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Kiểm tra nội dung thu phí")
    expect(page.get_by_text("400.000 ₫")).to_be_visible()  # grand total of the two notices
    assert_accessible(page, "trang kiểm tra nội dung thu phí")
    page.get_by_label("Tôi đã kiểm tra nội dung thu phí và lệ phí").check()
    page.get_by_role("button", name="Gửi yêu cầu thanh toán").click()

    expect(queue.heading).to_have_text("Tiếp nhận hồ sơ qua mạng")
    sent = page.get_by_role("status").filter(has_text="Đã gửi yêu cầu thanh toán cho 2 hồ sơ")
    expect(sent).to_contain_text(first.code)
    expect(sent).to_contain_text(second.code)
    queue.log_out()
    expect(queue.nav_link("Đăng nhập")).to_be_visible()

    login.goto()
    login.log_in(citizen.email, PASSWORD)
    login.nav_link("Thông báo thu phí").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thông báo thu phí")
    notices = page.get_by_role("table").get_by_role("row").filter(has_text=re.compile(r"G22\.45-261122-000[12]"))
    expect(notices).to_have_count(2)
    expect(notices.first).to_contain_text("200.000 ₫")

    assert citizen.phone
    sms = MailboxPage(page, live_url, to=citizen.phone).wait_for_message()
    expect(sms).to_have_attribute("data-channel", "sms")
    expect(sms).to_contain_text("G22.45-261122-000")
    email = MailboxPage(page, live_url, to=citizen.email)
    email.goto()
    expect(email.wait_for_message()).to_have_attribute("data-channel", "email")
    expect(email.messages().filter(has_text="Thông báo thu phí hồ sơ")).to_have_count(2)
