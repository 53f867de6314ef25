"""The MoMo v2 codec against a worked example.

MoMo publishes no signed test vector for v2 (its pages' examples are signed with keys that are not
public). The expected signatures below were computed independently with OpenSSL over the raw strings
shown, using MoMo's public test credentials (partnerCode MOMO, accessKey F8BBA842ECF85, secretKey from
momo-wallet/payment ``python/MoMo.py``), e.g.::

    printf '%s' 'accessKey=F8BBA842ECF85&amount=50000&...' | openssl dgst -sha256 -hmac '<secretKey>'

Field orders: create = momo-wallet/payment ``python/MoMo.py`` (commit 1f3e64d) and
``php/PayMoMo/init_payment.php``; query/refund = developers.momo.vn payment-api/query and /refund;
IPN/redirect = ARCHITECTURE.md "Protocol facts" (docs/protocols/momo.md lists every source).
"""

from __future__ import annotations

import pytest

from civicpay.payments.providers import momo_protocol as momo

ACCESS_KEY = "F8BBA842ECF85"
SECRET = "K951B6PE1waDMi640xX08PD3vg6EkVlz"
ORDER_INFO = "Thanh toán lệ phí hồ sơ HS-0001"

CREATE_RAW = (
    "accessKey=F8BBA842ECF85&amount=50000&extraData=&ipnUrl=https://example.vn/thanh-toan/momo/ipn/"
    "&orderId=PAY260115K7QX2M9HVA&orderInfo=Thanh toán lệ phí hồ sơ HS-0001&partnerCode=MOMO"
    "&redirectUrl=https://example.vn/thanh-toan/momo/return/&requestId=PAY260115K7QX2M9HVA-0001"
    "&requestType=captureWallet"
)
CREATE_SIGNATURE = "af347bb3adaef534616c3dc3db21a613dd9cb22f909a56d7115503d441bc231b"
IPN = {
    "partnerCode": "MOMO",
    "orderId": "PAY260115K7QX2M9HVA",
    "requestId": "PAY260115K7QX2M9HVA-0001",
    "amount": 50000,
    "orderInfo": ORDER_INFO,
    "orderType": "momo_wallet",
    "transId": 4088878653,
    "resultCode": 0,
    "message": "Giao dịch thành công.",
    "payType": "qr",
    "responseTime": 1768449600000,
    "extraData": "",
    "signature": "76333f8502c3048949ad0efad6f466ab639052dce8b34d53a38ef3f2a1fd1026",
}


def create_body() -> dict[str, object]:
    return momo.create_request(
        partner_code="MOMO",
        access_key=ACCESS_KEY,
        secret=SECRET,
        request_id="PAY260115K7QX2M9HVA-0001",
        amount=50_000,
        order_id="PAY260115K7QX2M9HVA",
        order_info=ORDER_INFO,
        redirect_url="https://example.vn/thanh-toan/momo/return/",
        ipn_url="https://example.vn/thanh-toan/momo/ipn/",
    )


def test_create_request_raw_string_and_signature():
    body = create_body()
    assert momo.raw_signature(momo.CREATE_FIELDS, body, access_key=ACCESS_KEY) == CREATE_RAW
    assert body["signature"] == CREATE_SIGNATURE
    # The v2 body: no accessKey on the wire, requestType captureWallet, amount a JSON number.
    assert set(body) == {
        "partnerCode", "requestId", "amount", "orderId", "orderInfo", "redirectUrl", "ipnUrl",
        "requestType", "extraData", "lang", "signature",
    }  # fmt: skip
    assert body["requestType"] == "captureWallet" and body["amount"] == 50_000 and body["lang"] == "vi"


@pytest.mark.parametrize("amount", [999, 50_000_001, 0, -1000])
def test_create_request_refuses_amounts_outside_the_limits(amount):
    with pytest.raises(ValueError):
        momo.create_request(
            partner_code="MOMO", access_key=ACCESS_KEY, secret=SECRET, request_id="r", amount=amount,
            order_id="o", order_info="i", redirect_url="https://a.vn/", ipn_url="https://a.vn/ipn",
        )  # fmt: skip


@pytest.mark.parametrize("amount", [1_000, 50_000_000])
def test_limits_are_inclusive(amount):
    momo.check_amount_in_limits(amount)


def test_ipn_worked_example_verifies_and_reads():
    result = momo.parse_result(IPN, access_key=ACCESS_KEY, secret=SECRET)
    assert (result.order_id, result.amount, result.result_code, result.trans_id) == (
        "PAY260115K7QX2M9HVA",
        50_000,
        0,
        "4088878653",
    )
    assert result.is_success and result.pay_type == "qr" and result.response_time_ms == 1768449600000


def test_the_redirect_query_strings_verify_like_the_json_numbers():
    as_text = {key: str(value) for key, value in IPN.items()}
    assert momo.parse_result(as_text, access_key=ACCESS_KEY, secret=SECRET).amount == 50_000


@pytest.mark.parametrize(
    "change",
    [{"amount": 5_000_000}, {"resultCode": 1006}, {"orderInfo": "Thanh toan"}, {"signature": ""}, {"transId": 1}],
)
def test_any_change_breaks_the_signature(change):
    with pytest.raises(momo.InvalidSignature):
        momo.parse_result({**IPN, **change}, access_key=ACCESS_KEY, secret=SECRET)


def test_wrong_secret_or_access_key_is_invalid():
    with pytest.raises(momo.InvalidSignature):
        momo.parse_result(IPN, access_key=ACCESS_KEY, secret="another-secret")
    with pytest.raises(momo.InvalidSignature):
        momo.parse_result(IPN, access_key="another", secret=SECRET)


def test_signed_but_malformed():
    params = {key: value for key, value in IPN.items() if key not in ("orderId", "signature")}
    params = momo.signed(momo.RESULT_FIELDS, params, access_key=ACCESS_KEY, secret=SECRET)
    with pytest.raises(momo.MalformedMessage):
        momo.parse_result(params, access_key=ACCESS_KEY, secret=SECRET)
    params = momo.signed(momo.RESULT_FIELDS, {**IPN, "amount": "50.000"}, access_key=ACCESS_KEY, secret=SECRET)
    with pytest.raises(momo.MalformedMessage):
        momo.parse_result(params, access_key=ACCESS_KEY, secret=SECRET)


def test_result_params_round_trip():
    params = momo.result_params(
        partner_code="MOMO", access_key=ACCESS_KEY, secret=SECRET, order_id="PAY260115K7QX2M9HVA",
        request_id="PAY260115K7QX2M9HVA-0001", amount=50_000, order_info=ORDER_INFO, trans_id=4088878653,
        result_code=0, message="Giao dịch thành công.", pay_type="qr", response_time_ms=1768449600000,
    )  # fmt: skip
    assert params == IPN


def test_query_and_refund_requests():
    query = momo.query_request(
        partner_code="MOMO", access_key=ACCESS_KEY, secret=SECRET,
        request_id="PAY260115K7QX2M9HVA-Q01", order_id="PAY260115K7QX2M9HVA",
    )  # fmt: skip
    assert momo.raw_signature(momo.QUERY_FIELDS, query, access_key=ACCESS_KEY) == (
        "accessKey=F8BBA842ECF85&orderId=PAY260115K7QX2M9HVA&partnerCode=MOMO&requestId=PAY260115K7QX2M9HVA-Q01"
    )
    assert query["signature"] == "cf3a24f177d84a7af30d45481c483ccee081f73421c7350b75a1d23a1bd3d127"
    refund = momo.refund_request(
        partner_code="MOMO", access_key=ACCESS_KEY, secret=SECRET, request_id="PAY260115K7QX2M9HVA-R01",
        order_id="PAY260115K7QX2M9HVA-R01", amount=50_000, trans_id=4088878653, description="Hoàn phí nộp thừa",
    )  # fmt: skip
    assert momo.raw_signature(momo.REFUND_FIELDS, refund, access_key=ACCESS_KEY) == (
        "accessKey=F8BBA842ECF85&amount=50000&description=Hoàn phí nộp thừa&orderId=PAY260115K7QX2M9HVA-R01"
        "&partnerCode=MOMO&requestId=PAY260115K7QX2M9HVA-R01&transId=4088878653"
    )
    assert refund["signature"] == "12333d7f776609ac79d3eff7ea47d05aa17598c5df993d5a05f119e1694cb676"


def test_create_response_verifies_with_or_without_message():
    answer = {
        "partnerCode": "MOMO", "requestId": "r1", "orderId": "o1", "amount": 50_000, "responseTime": 1,
        "message": "Thành công.", "resultCode": 0, "payUrl": "https://test-payment.momo.vn/v2/gateway/pay?t=x",
    }  # fmt: skip
    for fields in (momo.CREATE_RESPONSE_FIELDS, momo.CREATE_RESPONSE_FIELDS_WITHOUT_MESSAGE):
        signed = momo.signed(fields, answer, access_key=ACCESS_KEY, secret=SECRET)
        assert momo.verify_create_response(signed, access_key=ACCESS_KEY, secret=SECRET)
    assert not momo.verify_create_response(answer, access_key=ACCESS_KEY, secret=SECRET)
    assert momo.parse_create_response(answer).is_success


def test_optional_signature_on_api_answers():
    answer = {"partnerCode": "MOMO", "orderId": "o1", "resultCode": 1000}
    assert momo.verify_optional(momo.QUERY_RESPONSE_FIELDS, answer, access_key=ACCESS_KEY, secret=SECRET) is None
    signed = momo.signed(momo.QUERY_RESPONSE_FIELDS, answer, access_key=ACCESS_KEY, secret=SECRET)
    assert momo.verify_optional(momo.QUERY_RESPONSE_FIELDS, signed, access_key=ACCESS_KEY, secret=SECRET) is True
    forged = {**signed, "resultCode": 0}
    assert momo.verify_optional(momo.QUERY_RESPONSE_FIELDS, forged, access_key=ACCESS_KEY, secret=SECRET) is False


def test_every_listed_code_has_plain_vietnamese():
    listed = [
        0,
        9000,
        1000,
        7000,
        7002,
        1001,
        1002,
        1003,
        1004,
        1005,
        1006,
        1007,
        1017,
        40,
        41,
        20,
        21,
        11,
        12,
        13,
        42,
        99,
    ]
    for code in listed:
        assert momo.RESULT_MESSAGES_VI[code] and momo.message_for(str(code)) == momo.RESULT_MESSAGES_VI[code]
    assert momo.message_for(123456) == momo.GENERIC_MESSAGE_VI and momo.message_for("x") == momo.GENERIC_MESSAGE_VI
