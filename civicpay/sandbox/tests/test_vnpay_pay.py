"""The VNPay sandbox's payer side: the merchant's pay URL is checked like VNPay does, the pages validate
in Vietnamese, and each test card ends with the documented response code on a signed return URL that
the merchant's own codec (vnpay_protocol.parse_callback) accepts."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from civicpay.core import clock
from civicpay.payments.providers import vnpay_protocol as vnp
from civicpay.sandbox.models import VnpayIpn, VnpayStep, VnpayTransaction
from civicpay.sandbox.tests.vnpay_helpers import (
    INSUFFICIENT_CARD,
    RETURN_URL,
    SECRET,
    SUCCESS_CARD,
    TIMEOUT_CARD,
    choose_bank_and_card,
    open_payment,
    pay,
    pay_url,
    query_of,
    step_url,
)

pytestmark = pytest.mark.django_db


def callback_from(response) -> vnp.VnpayCallback:
    """The merchant's view of the redirect: signature checked with the demo secret."""
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(RETURN_URL + "?")
    return vnp.parse_callback(query_of(location), SECRET)


# --- the merchant's request -----------------------------------------------------------------------


def tampered(url: str, **changes: str) -> str:
    params = query_of(url)
    params.update(changes)
    return f"{reverse('sandbox:vnpay:pay')}?{urlencode(params)}"


def resigned(url: str, *, drop: tuple[str, ...] = (), **changes: str) -> str:
    """A correctly signed request whose fields are wrong: the check after the signature must catch it."""
    params = {k: v for k, v in query_of(url).items() if k != vnp.HASH_FIELD and k not in drop}
    params.update(changes)
    return f"{reverse('sandbox:vnpay:pay')}?{vnp.hash_data(params)}&{vnp.HASH_FIELD}={vnp.sign(params, SECRET)}"


@pytest.mark.parametrize(
    ("make_url", "code"),
    [
        (lambda: tampered(pay_url(), vnp_Amount="15000000000"), "70"),
        (lambda: tampered(pay_url(), vnp_SecureHash="00" * 64), "70"),
        (lambda: tampered(pay_url(), vnp_TmnCode="KHONGCO1"), "72"),
        (lambda: resigned(pay_url(), drop=("vnp_ReturnUrl",)), "03"),
        (lambda: resigned(pay_url(), drop=("vnp_TxnRef",)), "03"),
        (lambda: resigned(pay_url(), vnp_Version="2.0.0"), "03"),
        (lambda: resigned(pay_url(), vnp_Command="refund"), "03"),
        (lambda: resigned(pay_url(), vnp_CurrCode="USD"), "03"),
        (lambda: resigned(pay_url(), vnp_Amount="1500050"), "03"),
        (lambda: resigned(pay_url(), vnp_Amount="-100"), "03"),
        (lambda: resigned(pay_url(), vnp_ExpireDate="2026-01-01"), "03"),
        (lambda: resigned(pay_url(), vnp_ReturnUrl="javascript:alert(1)"), "03"),
        (lambda: resigned(pay_url(), vnp_BankCode="KHONGCO"), "76"),
        (
            lambda: pay_url(
                create_date=clock.now() - timedelta(hours=1), expire_date=clock.now() - timedelta(minutes=1)
            ),
            "15",
        ),
    ],
)
def test_a_bad_request_gets_the_error_page_with_a_code_not_a_crash(client, make_url, code):
    response = client.get(make_url())

    assert response.status_code == 400
    page = response.content.decode()
    assert "Giao dịch không hợp lệ" in page
    assert f"Mã lỗi: {code}" in page
    assert not VnpayTransaction.objects.exists()


def test_an_empty_request_is_refused_too(client):
    response = client.get(reverse("sandbox:vnpay:pay"))

    assert response.status_code == 400
    assert "Mã lỗi: 72" in response.content.decode()


def test_a_valid_request_is_stored_and_asks_for_the_bank(client):
    response = client.get(pay_url(txn_ref="H26.0001-7", amount_vnd=150_000))

    txn = VnpayTransaction.objects.get()
    assert response.status_code == 302
    assert response["Location"] == step_url("method", txn.token)
    assert (txn.txn_ref, txn.amount_vnd, txn.step) == ("H26.0001-7", 150_000, VnpayStep.METHOD)
    assert txn.order_info == "Thanh toan le phi ho so H26.0001"
    assert txn.ipn_url == "http://testserver/thanh-toan/vnpay/ipn/"
    page = client.get(response["Location"]).content.decode()
    assert "Thẻ nội địa và tài khoản ngân hàng" in page
    assert "150.000 ₫" in page
    for bank in ("NCB", "VCB", "TCB", "BIDV", "ACB", "MBBANK"):
        assert f'value="{bank}"' in page


def test_a_bank_code_from_the_merchant_skips_the_bank_choice(client):
    response = client.get(pay_url(bank_code="NCB"))

    txn = VnpayTransaction.objects.get()
    assert response["Location"] == step_url("card", txn.token)
    assert client.get(step_url("method", txn.token))["Location"] == step_url("card", txn.token)


def test_methods_the_sandbox_does_not_simulate_fall_back_to_the_domestic_card_with_a_notice(client):
    response = client.get(pay_url(bank_code="INTCARD"))

    txn = VnpayTransaction.objects.get()
    assert response["Location"] == step_url("method", txn.token)
    assert "chưa hỗ trợ phương thức INTCARD" in client.get(response["Location"]).content.decode()


def test_reopening_the_same_pay_url_resumes_but_a_finished_one_is_refused(client):
    url = pay_url()
    token = open_payment(client, url)
    assert open_payment(client, url) == token

    client.post(step_url("cancel", token))

    response = client.get(url)
    assert response.status_code == 400
    assert "Mã lỗi: 01" in response.content.decode()


def test_pages_out_of_order_send_the_payer_to_the_current_step_and_unknown_tokens_get_404(client):
    token = open_payment(client)

    assert client.get(step_url("otp", token))["Location"] == step_url("method", token)
    assert client.get(step_url("card", "khong-co")).status_code == 404


# --- the card form --------------------------------------------------------------------------------


def card_errors(client, **data):
    token = open_payment(client)
    client.post(step_url("method", token), {"bank_code": "NCB"})
    fields = {"card_number": SUCCESS_CARD, "card_holder": "NGUYEN VAN A", "issue_date": "07/15"} | data
    response = client.post(step_url("card", token), fields)
    assert response.status_code == 200
    return response.content.decode(), response.context["form"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"card_number": ""}, "card_number", "Nhập số thẻ."),
        ({"card_number": "97041985261914"}, "card_number", "Số thẻ gồm 16 hoặc 19 chữ số."),
        ({"card_number": "970419852619143219x"}, "card_number", "Số thẻ gồm 16 hoặc 19 chữ số."),
        ({"card_holder": ""}, "card_holder", "Nhập tên chủ thẻ."),
        (
            {"card_holder": "NGUYỄN VĂN A"},
            "card_holder",
            "Tên chủ thẻ viết không dấu, như in trên thẻ, ví dụ NGUYEN VAN A.",
        ),
        ({"card_holder": "NGUYEN VAN A1"}, "card_holder", "Tên chủ thẻ chỉ gồm chữ cái và dấu cách."),
        ({"issue_date": "7/2015"}, "issue_date", "Ngày phát hành có dạng MM/YY, ví dụ 07/15."),
        ({"issue_date": "13/15"}, "issue_date", "Tháng phát hành phải từ 01 đến 12."),
        ({"issue_date": "01/99"}, "issue_date", "Ngày phát hành không thể sau tháng hiện tại."),
    ],
)
def test_the_card_form_explains_each_mistake_in_vietnamese_and_keeps_the_answers(client, data, field, message):
    page, form = card_errors(client, **data)

    assert form.errors[field] == [message]
    assert "Có lỗi cần sửa" in page
    assert f'href="#id_{field}"' in page  # the error summary links to the field
    assert f'<label class="label" for="id_{field}">' in page
    if data[field]:
        assert f'value="{data[field]}"' in page


def test_card_details_that_match_no_test_card_are_refused_without_ending_the_payment(client):
    _page, form = card_errors(client, issue_date="08/15")

    assert "Thông tin thẻ không đúng" in form.non_field_errors()[0]
    assert VnpayTransaction.objects.get().step == VnpayStep.CARD


def test_a_card_of_another_bank_is_refused(client):
    token = open_payment(client)
    response = choose_bank_and_card(client, token, bank="VCB", number=SUCCESS_CARD)

    assert response.status_code == 200
    assert "không thuộc ngân hàng đã chọn" in response.content.decode()


def test_spaces_and_lower_case_are_forgiven(client):
    token = open_payment(client)
    client.post(step_url("method", token), {"bank_code": "NCB"})
    response = client.post(
        step_url("card", token),
        {"card_number": "9704 1985 2619 1432 198", "card_holder": " nguyen  van a ", "issue_date": "07/15"},
    )

    assert response["Location"] == step_url("otp", token)


def test_the_card_page_shows_the_test_cards(client):
    token = open_payment(client)
    client.post(step_url("method", token), {"bank_code": "NCB"})
    page = client.get(step_url("card", token)).content.decode()

    for number in (SUCCESS_CARD, INSUFFICIENT_CARD, TIMEOUT_CARD, "9704198526191430022", "9704198526191430055"):
        assert number in page
    assert "NGUYEN VAN A" in page and "07/15" in page and "123456" in page


# --- outcomes -------------------------------------------------------------------------------------


def test_the_vnpay_test_card_pays_and_returns_a_signed_success(client):
    token = open_payment(client, pay_url(txn_ref="H26.0001-1", amount_vnd=150_000))
    choose_bank_and_card(client, token)
    otp_page = client.get(step_url("otp", token)).content.decode()
    assert "Nhập mã OTP" in otp_page and "123456" in otp_page  # the sandbox hint

    callback = callback_from(client.post(step_url("otp", token), {"otp": "123456"}))

    assert callback.is_success
    assert (callback.txn_ref, callback.amount_vnd, callback.bank_code, callback.card_type) == (
        "H26.0001-1",
        150_000,
        "NCB",
        "ATM",
    )
    txn = VnpayTransaction.objects.get()
    assert callback.transaction_no == txn.transaction_no
    assert callback.bank_tran_no == f"VNP{txn.transaction_no}"
    assert callback.raw["vnp_TmnCode"] == "CIVICPAY1"
    assert callback.pay_date is not None
    assert VnpayIpn.objects.filter(transaction=txn).count() == 1  # queued, not sent in the request


def test_every_bank_has_a_success_card(client):
    for bank, bin_ in (
        ("VCB", "970436"),
        ("TCB", "970407"),
        ("BIDV", "970418"),
        ("ACB", "970416"),
        ("MBBANK", "970422"),
    ):
        token = open_payment(client, pay_url(txn_ref=f"T-{bank}"))
        assert choose_bank_and_card(client, token, bank=bank, number=f"{bin_}8526191432198").status_code == 302
        callback = callback_from(client.post(step_url("otp", token), {"otp": "123456"}))
        assert callback.is_success and callback.bank_code == bank


def test_insufficient_funds_returns_51(client):
    callback = callback_from(pay(client, number=INSUFFICIENT_CARD))

    assert (callback.response_code, callback.transaction_status) == ("51", "02")
    assert not callback.is_success


def test_cancel_returns_24_from_any_step(client):
    token = open_payment(client, pay_url(txn_ref="C-1"))
    early = callback_from(client.post(step_url("cancel", token)))
    assert (early.response_code, early.transaction_status, early.transaction_no) == ("24", "02", "0")

    token = open_payment(client, pay_url(txn_ref="C-2"))
    choose_bank_and_card(client, token)
    late = callback_from(client.post(step_url("cancel", token)))
    assert (late.response_code, late.bank_code, late.card_type) == ("24", "NCB", "ATM")


def test_a_wrong_otp_can_be_retried_and_the_third_fails_the_payment_with_13(client):
    token = open_payment(client)
    choose_bank_and_card(client, token)

    first = client.post(step_url("otp", token), {"otp": "111111"})
    assert first.status_code == 200
    assert "Bạn còn 2 lần thử" in first.content.decode()
    second = client.post(step_url("otp", token), {"otp": "222222"})
    assert "Bạn còn 1 lần thử" in second.content.decode()
    assert client.post(step_url("otp", token), {"otp": "12"}).context["form"].errors["otp"] == ["Mã OTP gồm 6 chữ số."]

    callback = callback_from(client.post(step_url("otp", token), {"otp": "333333"}))

    assert (callback.response_code, callback.transaction_status) == ("13", "02")
    # Once finished, the right OTP changes nothing: the page says it is over and links back.
    after = client.post(step_url("otp", token), {"otp": "123456"})
    assert "Giao dịch đã kết thúc" in after.content.decode()
    assert VnpayTransaction.objects.get().response_code == "13"


def test_the_time_out_card_tells_the_payer_the_session_expired_and_returns_11(client):
    response = pay(client, number=TIMEOUT_CARD)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Giao dịch đã hết hạn" in page
    link = response.context["return_url"]
    callback = vnp.parse_callback(query_of(link), SECRET)
    assert (callback.response_code, callback.transaction_status) == ("11", "02")


def test_a_payer_arriving_after_the_expiry_date_gets_11(client):
    token = open_payment(client)
    VnpayTransaction.objects.update(expire_at=clock.now() - timedelta(seconds=1))

    response = client.get(step_url("method", token))

    assert "Giao dịch đã hết hạn" in response.content.decode()
    assert VnpayTransaction.objects.get().response_code == "11"
    assert VnpayIpn.objects.count() == 1


def test_finishing_twice_changes_nothing(client):
    token = open_payment(client)
    choose_bank_and_card(client, token)
    first = callback_from(client.post(step_url("otp", token), {"otp": "123456"}))

    client.post(step_url("cancel", token))

    txn = VnpayTransaction.objects.get()
    assert txn.response_code == "00"
    assert first.raw == txn.result_params
    assert VnpayIpn.objects.count() == 1


def test_the_transactions_page_lists_transactions_and_ipns(client):
    pay(client)
    txn = VnpayTransaction.objects.get()

    page = client.get(reverse("sandbox:vnpay:transactions")).content.decode()

    assert txn.txn_ref in page and txn.transaction_no in page and "IPN số 1" in page
