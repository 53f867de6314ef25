"""The payer's journey (issue 4) through the test client: information page, choice of intermediary,
every kind of start (redirect, QR, instructions), refusals, the result page driven by real signed IPNs,
paying by dossier code without an account, and who may see what.

Providers other than VNPay are small adapters defined here: the journey must show and handle whatever
the registry offers, and these pin each ``StartResult`` kind without depending on another engineer's
adapter being finished.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path, reverse

from civicpay import urls as root_urls
from civicpay.billing.models import PaymentRequest, PaymentRequestStatus, Receipt
from civicpay.billing.receipts import receipt_cancel, receipt_replace
from civicpay.billing.types import LineInput
from civicpay.directory.models import FeeKind
from civicpay.dossiers.models import Dossier, FeeStatus
from civicpay.dossiers.services import dossier_receive, dossier_request_payment
from civicpay.payments import urls as payments_urls
from civicpay.payments import views as payments_views
from civicpay.payments.models import Payment
from civicpay.payments.providers.base import (
    Ack,
    FinalProviderError,
    MethodChoice,
    Outcome,
    PaymentProvider,
    RefundResult,
    StartResult,
    register_provider,
)
from civicpay.payments.tests.helpers import ipn_params, send_ipn, settle_due
from civicpay.portal.payment_views import GUEST_LIMIT, emv_purpose
from civicpay.portal.tests.helpers import World, login

pytestmark = pytest.mark.django_db

VIETQR_PAYLOAD = (
    "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA5303704540410005802VN"
    "62150811Chuyen tien6304BBB8"
)


class _TestProvider(PaymentProvider):
    """A provider whose ``start`` answers one fixed way; the rest of the interface is not used here."""

    result: StartResult | None = None

    def start(self, payment: Any, *, return_url: str, notify_url: str, client_ip: str, locale: str) -> StartResult:
        if self.result is None:
            raise FinalProviderError("Đơn vị chấp nhận thanh toán đang tạm ngừng giao dịch")
        return self.result

    def notification_params(self, request: HttpRequest) -> dict[str, str]:
        raise NotImplementedError

    def parse_return(self, query: Mapping[str, str]) -> Outcome:
        raise NotImplementedError

    def parse_notification(self, request: HttpRequest) -> Outcome:
        raise NotImplementedError

    def acknowledge(self, ack: Ack) -> HttpResponse:
        raise NotImplementedError

    def query(self, payment: Any) -> Outcome:
        raise NotImplementedError

    def refund(self, payment: Any, *, amount: int, reason: str, by: str) -> RefundResult:
        raise NotImplementedError


class QrWallet(_TestProvider):
    code, name = "k_qrwallet", "Ví Sen Vàng"
    methods = (MethodChoice("qr", "Quét mã QR bằng ứng dụng ngân hàng"),)
    result = StartResult(qr_payload=VIETQR_PAYLOAD)


class BranchBank(_TestProvider):
    code, name = "k_branch", "Ngân hàng Phù Sa"
    methods = (MethodChoice("branch", "Nộp tại quầy giao dịch"), MethodChoice("transfer", "Chuyển khoản"))
    result = StartResult(instructions="Đến quầy giao dịch gần nhất.\nĐọc mã giao dịch cho giao dịch viên.")


class RefusingBank(_TestProvider):
    code, name = "k_refusing", "Ngân hàng Từ Chối"
    methods = (MethodChoice("card", "Thẻ ATM"),)


TEST_PROVIDERS: tuple[type[_TestProvider], ...] = (QrWallet, BranchBank, RefusingBank)

# The site's URLs plus a return and an IPN path per test provider, as each real provider registers them.
urlpatterns = [
    path(
        "thanh-toan/",
        include(
            (
                [
                    *payments_urls.urlpatterns,
                    *(
                        path(f"{p.code}/{kind}/", view, {"provider_code": p.code}, name=f"{p.code}_{kind}")
                        for p in TEST_PROVIDERS
                        for kind, view in (
                            ("return", payments_views.provider_return),
                            ("ipn", payments_views.provider_notification),
                        )
                    ),
                ],
                "payments",
            )
        ),
    ),
    *root_urls.urlpatterns,
]


@pytest.fixture(autouse=True)
def providers(settings: Any) -> None:
    for provider in TEST_PROVIDERS:
        register_provider(provider.code, provider)
    settings.PAYMENT_PROVIDERS = ["vnpay", *(provider.code for provider in TEST_PROVIDERS)]
    settings.ROOT_URLCONF = __name__


@pytest.fixture
def notice(world: World) -> PaymentRequest:
    return world.issue_notice(world.own)


def _choose(client: Client, notice: PaymentRequest, choice: str) -> Any:
    return client.post(reverse("portal:payment_choose", args=[notice.number]), {"choice": choice})


def _pay_with_vnpay(client: Client, notice: PaymentRequest) -> Payment:
    response = _choose(client, notice, "vnpay:")
    assert response.status_code == 302, response.content.decode()[:2000]
    return Payment.objects.get()


def _result(client: Client, payment: Payment) -> Any:
    return client.get(reverse("portal:payment_result"), {"ref": payment.reference})


# --- entry points ---------------------------------------------------------------------------------


def test_fee_notices_and_dossier_page_offer_thanh_toan(client: Client, world: World, notice: PaymentRequest) -> None:
    login(client, world.owner)
    pay_url = reverse("portal:payment_info", args=[notice.number])
    assert pay_url in client.get(reverse("portal:fee_notices")).content.decode()
    assert pay_url in client.get(reverse("portal:dossier_detail", args=[world.own.code])).content.decode()


def test_lookup_page_links_to_paying_by_code(client: Client, db: None) -> None:
    assert reverse("portal:payment_by_code") in client.get(reverse("portal:lookup")).content.decode()


# --- information and choice -----------------------------------------------------------------------


def test_information_page_shows_what_is_paid_to_whom(client: Client, world: World, notice: PaymentRequest) -> None:
    login(client, world.owner)
    page = client.get(reverse("portal:payment_info", args=[notice.number])).content.decode()
    for text in (
        "Thông tin thanh toán",
        world.own.code,
        "Sở Tư pháp tỉnh Khánh Hòa",
        "Cấp phiếu lý lịch tư pháp",
        "Trần Thị Bích Ngọc",
        "Phí thẩm định hồ sơ",
        "Lệ phí cấp phiếu",
        "1.000.000 ₫",
        "1.005.000 ₫",
        "Một triệu không trăm linh năm nghìn đồng",
    ):
        assert text in page, text
    assert reverse("portal:payment_choose", args=[notice.number]) in page


def test_choice_page_lists_every_provider_and_method_the_registry_offers(
    client: Client, world: World, notice: PaymentRequest
) -> None:
    login(client, world.owner)
    page = client.get(reverse("portal:payment_choose", args=[notice.number])).content.decode()
    for name in ("VNPay", "Ví Sen Vàng", "Ngân hàng Phù Sa", "Ngân hàng Từ Chối"):
        assert name in page
    for value in ("vnpay:", "vnpay:VNBANK", "k_qrwallet:qr", "k_branch:branch", "k_branch:transfer"):
        assert f'value="{value}"' in page
    assert 'class="provider-mark provider-mark-vnpay"' in page
    assert 'class="provider-mark provider-mark-default"' in page  # an unknown provider gets its initials
    assert ">NHPS<" in page.replace(" ", "")  # "Ngân hàng Phù Sa" → NHPS, drawn in CSS
    assert "<img" not in page


def test_the_national_platform_carries_the_seeds_rule_on_the_choice_page(
    client: Client, world: World, notice: PaymentRequest, settings
) -> None:
    """Seed 001: "Tại ô “Chọn hình thức thanh toán” phải là “Cổng DVC Quốc Gia”", in the payer's language."""
    settings.PAYMENT_PROVIDERS = [*settings.PAYMENT_PROVIDERS, "national"]
    login(client, world.owner)
    url = reverse("portal:payment_choose", args=[notice.number])
    page = client.get(url).content.decode()
    assert "Cổng DVC Quốc gia" in page
    assert "phải là “Cổng DVC Quốc Gia”" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(url).content.decode()
    assert "Cổng DVC Quốc gia" in english and "phải là" not in english  # the rule follows the language
    client.post(reverse("set_language"), {"language": "vi", "next": "/"})


def test_choosing_nothing_is_an_error_on_the_same_page(client: Client, world: World, notice: PaymentRequest) -> None:
    login(client, world.owner)
    response = client.post(reverse("portal:payment_choose", args=[notice.number]), {})
    assert response.status_code == 400
    assert 'href="#id_choice"' in response.content.decode()
    assert "Chọn đơn vị trung gian thanh toán" in response.content.decode()
    assert not Payment.objects.exists()


# --- starting: redirect, QR, instructions, refusals -----------------------------------------------


def test_vnpay_redirects_to_the_gateway_and_the_session_follows_the_payment(
    client: Client, world: World, notice: PaymentRequest, settings: Any
) -> None:
    login(client, world.owner)
    response = _choose(client, notice, "vnpay:VNBANK")
    assert response.status_code == 302
    assert response["Location"].startswith(f"{settings.BASE_URL}/sandbox/vnpay/paymentv2/vpcpay.html?")
    assert "vnp_BankCode=VNBANK" in response["Location"]
    payment = Payment.objects.get()
    assert (payment.status, payment.amount, payment.payer_user) == ("started", 1_005_000, world.owner)
    assert payment.payer_phone == "0912345678"
    assert payment.return_url == reverse("portal:payment_result")
    assert payment.reference in client.session["payments.references"]


def test_qr_provider_shows_an_inline_svg_qr_with_amount_memo_and_status_poll(
    client: Client, world: World, notice: PaymentRequest
) -> None:
    login(client, world.owner)
    response = _choose(client, notice, "k_qrwallet:qr")
    payment = Payment.objects.get()
    assert response["Location"] == reverse("portal:payment_qr", args=[payment.reference])
    page = client.get(response["Location"]).content.decode()
    assert "<svg" in page and "Mã QR thanh toán" in page
    assert "1.005.000 ₫" in page
    assert "Chuyen tien" in page  # the memo read from the EMVCo payload
    assert reverse("payments:status", args=[payment.reference]) in page
    # Another citizen cannot open it.
    login(client, world.stranger)
    assert client.get(reverse("portal:payment_qr", args=[payment.reference])).status_code == 404


def test_instructions_provider_shows_printable_instructions(
    client: Client, world: World, notice: PaymentRequest
) -> None:
    login(client, world.owner)
    response = _choose(client, notice, "k_branch:branch")
    payment = Payment.objects.get()
    assert response["Location"] == reverse("portal:payment_instructions", args=[payment.reference])
    page = client.get(response["Location"]).content.decode()
    assert "Chỉ dẫn thanh toán" in page
    assert "Đến quầy giao dịch gần nhất." in page
    assert payment.reference in page
    assert "In chỉ dẫn thanh toán" in page


def test_provider_refusal_comes_back_to_the_choice_with_a_vietnamese_error(
    client: Client, world: World, notice: PaymentRequest
) -> None:
    login(client, world.owner)
    response = _choose(client, notice, "k_refusing:card")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Đơn vị chấp nhận thanh toán đang tạm ngừng giao dịch" in page  # the provider's own reason
    assert 'value="k_refusing:card" checked' in page  # the choice is kept
    assert Payment.objects.get().status == "error"
    notice.refresh_from_db()
    assert notice.is_payable
    # The payer can choose again right away.
    assert _choose(client, notice, "vnpay:").status_code == 302


def test_amount_below_the_providers_limit_is_explained(client: Client, world: World) -> None:
    small = dossier_request_payment(
        dossier=world.own,
        officer=world.officer,
        lines=[LineInput(kind=FeeKind.CHARGE, description="Lệ phí sao y", amount=2_000)],
    )
    login(client, world.owner)
    response = _choose(client, small, "vnpay:")
    assert response.status_code == 400
    assert "VNPay nhận giao dịch từ 5.000 ₫" in response.content.decode()
    assert not Payment.objects.exists()


def test_a_paid_notice_cannot_be_paid_again(client: Client, world: World, notice: PaymentRequest) -> None:
    login(client, world.owner)
    payment = _pay_with_vnpay(client, notice)
    send_ipn(client, ipn_params(payment))
    # Confirmed, not yet settled by the worker: already not payable again, and the page says why.
    assert client.get(reverse("portal:payment_choose", args=[notice.number])).status_code == 302
    page = client.get(reverse("portal:payment_info", args=[notice.number])).content.decode()
    assert f"Giao dịch {payment.reference} đã thanh toán thành công" in page
    assert reverse("portal:payment_choose", args=[notice.number]) not in page
    assert "biên lai đang được lập" in client.get(reverse("portal:receipt", args=[notice.number])).content.decode()

    settle_due()
    response = client.get(reverse("portal:payment_choose", args=[notice.number]))
    assert response.status_code == 302
    page = client.get(reverse("portal:payment_info", args=[notice.number])).content.decode()
    assert "đã được thanh toán" in page
    assert reverse("portal:payment_choose", args=[notice.number]) not in page


# --- the result page ------------------------------------------------------------------------------


def test_result_page_waits_for_the_ipn_then_shows_success(client: Client, world: World, notice: PaymentRequest) -> None:
    login(client, world.owner)
    payment = _pay_with_vnpay(client, notice)
    # The browser comes back first: the return is stored, never trusted.
    back = client.get(reverse("payments:vnpay_return"), ipn_params(payment))
    assert back["Location"] == f"{reverse('portal:payment_result')}?ref={payment.reference}"
    waiting = client.get(back["Location"]).content.decode()
    assert "Đang xử lý giao dịch" in waiting
    assert reverse("payments:status", args=[payment.reference]) in waiting
    assert "Tải lại trang" in waiting

    assert send_ipn(client, ipn_params(payment, transaction_no="14000042"))["RspCode"] == "00"
    page = _result(client, payment).content.decode()
    assert "Thanh toán thành công" in page
    assert "1.005.000 ₫" in page and "14000042" in page
    assert reverse("portal:receipt", args=[notice.number]) in page
    settle_due()
    notice.refresh_from_db()
    world.own.refresh_from_db()
    assert notice.status == PaymentRequestStatus.PAID
    assert world.own.fee_status == FeeStatus.PAID
    assert Receipt.objects.filter(payment_request=notice).count() == 1


@pytest.mark.parametrize(
    ("code", "reason"),
    [("51", "không đủ số dư"), ("24", "hủy"), ("13", "OTP")],
)
def test_failure_shows_the_reason_and_lets_the_payer_retry(
    client: Client, world: World, notice: PaymentRequest, code: str, reason: str
) -> None:
    login(client, world.owner)
    payment = _pay_with_vnpay(client, notice)
    send_ipn(client, ipn_params(payment, response_code=code, transaction_status="02"))
    page = _result(client, payment).content.decode()
    assert "Thanh toán không thành công" in page
    assert reason.lower() in page.lower()
    assert reverse("portal:payment_choose", args=[notice.number]) in page  # "Thanh toán lại"
    notice.refresh_from_db()
    assert notice.is_payable
    # Retry with another intermediary: a new payment, the notice still payable.
    assert _choose(client, notice, "k_qrwallet:qr").status_code == 302
    assert Payment.objects.count() == 2


def test_nobody_else_sees_a_payment_result(client: Client, world: World, notice: PaymentRequest) -> None:
    login(client, world.owner)
    payment = _pay_with_vnpay(client, notice)
    assert _result(client, payment).status_code == 200
    login(client, world.stranger)
    assert _result(client, payment).status_code == 404
    assert client.get(reverse("payments:status", args=[payment.reference])).status_code == 404
    assert Client().get(reverse("portal:payment_result"), {"ref": payment.reference}).status_code == 404
    assert client.get(reverse("portal:payment_result")).status_code == 404


def test_nobody_else_sees_the_notice_pages(client: Client, world: World, notice: PaymentRequest) -> None:
    login(client, world.stranger)
    for name in ("portal:payment_info", "portal:payment_choose", "portal:receipt"):
        assert client.get(reverse(name, args=[notice.number])).status_code == 404
    assert _choose(client, notice, "vnpay:").status_code == 404
    assert Client().get(reverse("portal:payment_info", args=[notice.number])).status_code == 404


# --- the receipt ----------------------------------------------------------------------------------


def test_receipt_prints_only_after_the_agency_receives_the_dossier(
    client: Client, world: World, notice: PaymentRequest
) -> None:
    login(client, world.owner)
    not_paid = client.get(reverse("portal:receipt", args=[notice.number]))
    assert "chưa được thanh toán" in not_paid.content.decode()

    payment = _pay_with_vnpay(client, notice)
    send_ipn(client, ipn_params(payment))
    settle_due()
    waiting = client.get(reverse("portal:receipt", args=[notice.number]))
    assert waiting.status_code == 200 and waiting["Content-Type"].startswith("text/html")
    assert "Hồ sơ chưa được tiếp nhận" in waiting.content.decode()
    assert "sau khi cơ quan tiếp nhận hồ sơ" in waiting.content.decode()

    dossier_receive(dossier=Dossier.objects.get(pk=world.own.pk), officer=world.officer)
    pdf = client.get(reverse("portal:receipt", args=[notice.number]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert "bien-lai-AA-" in pdf["Content-Disposition"]
    login(client, world.stranger)
    assert client.get(reverse("portal:receipt", args=[notice.number])).status_code == 404


def test_notice_list_offers_in_bien_lai_once_paid(client: Client, world: World, notice: PaymentRequest) -> None:
    login(client, world.owner)
    payment = _pay_with_vnpay(client, notice)
    send_ipn(client, ipn_params(payment))
    settle_due()
    page = client.get(reverse("portal:fee_notices")).content.decode()
    assert reverse("portal:receipt", args=[notice.number]) in page
    assert f'href="{reverse("portal:payment_info", args=[notice.number])}"' not in page


def _paid_received_receipt(client: Client, world: World, notice: PaymentRequest) -> Receipt:
    payment = _pay_with_vnpay(client, notice)
    send_ipn(client, ipn_params(payment))
    settle_due()
    dossier_receive(dossier=Dossier.objects.get(pk=world.own.pk), officer=world.officer)
    return Receipt.objects.get(payment_request=notice)


def test_payer_sees_that_the_receipt_was_cancelled_and_why(
    client: Client, world: World, notice: PaymentRequest
) -> None:
    login(client, world.owner)
    receipt = _paid_received_receipt(client, world, notice)
    info = reverse("portal:payment_info", args=[notice.number])
    assert "đã bị hủy" not in client.get(info).content.decode()

    receipt_cancel(receipt=receipt, reason="Hoàn tiền do nộp nhầm hồ sơ", by=world.officer.user)
    page = client.get(info).content.decode()
    assert f"Biên lai {receipt.series} số {receipt.number_display} đã bị hủy" in page
    assert "Lý do: Hoàn tiền do nộp nhầm hồ sơ" in page
    assert "In biên lai đã hủy" in page
    pdf = client.get(reverse("portal:receipt", args=[notice.number]))
    assert pdf["Content-Type"] == "application/pdf"  # the cancelled copy stays printable, marked cancelled
    dossier_page = client.get(reverse("portal:dossier_detail", args=[world.own.code])).content.decode()
    assert "In biên lai đã hủy" in dossier_page and "Xem lý do hủy" in dossier_page


def test_payer_sees_which_receipt_a_replacement_replaces(client: Client, world: World, notice: PaymentRequest) -> None:
    login(client, world.owner)
    first = _paid_received_receipt(client, world, notice)
    receipt_replace(
        receipt=first,
        payer_name="Trần Thị Bích Ngọc",
        payer_address="12 Lê Lợi, Nha Trang",
        reason="Bổ sung địa chỉ người nộp",
        by=world.officer.user,
    )
    page = client.get(reverse("portal:payment_info", args=[notice.number])).content.decode()
    assert f"thay thế biên lai {first.series} số {first.number_display}" in page
    assert "Bổ sung địa chỉ người nộp" in page
    assert "đã bị hủy" not in page


# --- paying by dossier code without an account ----------------------------------------------------


def _by_code(client: Client, code: str, phone: str) -> Any:
    return client.post(reverse("portal:payment_by_code"), {"code": code, "phone": phone})


def test_guest_pays_by_code_and_phone_and_follows_the_payment(
    client: Client, world: World, notice: PaymentRequest
) -> None:
    guest = Client()
    assert guest.get(reverse("portal:payment_by_code")).status_code == 200
    response = _by_code(guest, world.own.code.lower(), "+84 912 345 678")
    assert response["Location"] == reverse("portal:payment_info", args=[notice.number])
    assert "Trần Thị Bích Ngọc" in guest.get(response["Location"]).content.decode()
    payment = _pay_with_vnpay(guest, notice)
    assert payment.payer_user is None
    assert (payment.payer_phone, payment.payer_name) == ("0912345678", "Trần Thị Bích Ngọc")
    send_ipn(guest, ipn_params(payment))
    assert "Thanh toán thành công" in _result(guest, payment).content.decode()
    # Another browser has proved nothing.
    other = Client()
    assert _result(other, payment).status_code == 404
    assert other.get(reverse("portal:payment_info", args=[notice.number])).status_code == 404


def test_wrong_code_or_wrong_phone_get_the_same_neutral_answer(
    client: Client, world: World, notice: PaymentRequest
) -> None:
    wrong_phone = _by_code(Client(), world.own.code, "0987654321")
    wrong_code = _by_code(Client(), "G22.45-000000-9999", "0912345678")
    not_payable = _by_code(Client(), world.org_dossier.code, "0912345678")  # no notice issued
    pages = [r.content.decode() for r in (wrong_phone, wrong_code, not_payable)]
    assert {r.status_code for r in (wrong_phone, wrong_code, not_payable)} == {400}
    assert all("Không tìm thấy khoản phí cần thanh toán" in page for page in pages)
    for page in pages:
        assert "Trần Thị Bích Ngọc" not in page
        assert "Sở Tư pháp" not in page


def test_paying_by_code_is_rate_limited(client: Client, world: World, notice: PaymentRequest) -> None:
    for _attempt in range(GUEST_LIMIT):
        assert _by_code(client, world.own.code, "0987654321").status_code == 400
    refused = _by_code(client, world.own.code, "0912345678")
    assert refused.status_code == 429
    assert "Quá nhiều lượt thử" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0


def test_invalid_phone_is_a_field_error(client: Client, db: None) -> None:
    response = _by_code(client, "", "12")
    page = response.content.decode()
    assert response.status_code == 400
    assert "Nhập mã hồ sơ" in page and "Số điện thoại di động không hợp lệ" in page


def test_emv_purpose_reads_the_memo() -> None:
    assert emv_purpose(VIETQR_PAYLOAD) == "Chuyen tien"
    assert emv_purpose("momo://app?x=1") == ""


# --- the real adapters of the other intermediaries, through the same pages -------------------------


def test_the_real_registry_is_listed_and_the_real_vietqr_adapter_shows_its_qr(
    client: Client, world: World, notice: PaymentRequest, settings: Any
) -> None:
    """Whatever the registry offers is listed, each with its mark; the real VietQR adapter's payload goes
    through the QR page. (VietinBank's branch instructions need its sandbox over HTTP: test_debit.py.)"""
    settings.PAYMENT_PROVIDERS = ["vnpay", "vietqr", "momo", "viettelpay", "national", "vietinbank"]
    login(client, world.owner)
    page = client.get(reverse("portal:payment_choose", args=[notice.number])).content.decode()
    for name in ("VNPay", "VietQR", "MoMo", "ViettelPay", "Cổng DVC Quốc gia", "VietinBank"):
        assert name in page, name
    for mark in ("vnpay", "vietqr", "momo", "viettelpay", "national", "vietinbank"):
        assert f"provider-mark-{mark}" in page, mark

    qr = _choose(client, notice, "vietqr:")
    assert qr.status_code == 302, re.findall(r'error-summary-list">(.*?)</ul>', qr.content.decode(), re.S)
    payment = Payment.objects.get(provider="vietqr")
    assert qr["Location"] == reverse("portal:payment_qr", args=[payment.reference])
    qr_page = client.get(qr["Location"]).content.decode()
    assert "<svg" in qr_page and "1.005.000 ₫" in qr_page
    assert "Nội dung chuyển khoản" in qr_page  # the memo read back from the EMVCo payload
