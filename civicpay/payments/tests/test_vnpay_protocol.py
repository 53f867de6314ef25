"""VNPay 2.1.0 protocol: published vectors, PHP urlencode rules, signing round trips, tampering.

Pure functions: no database, no settings beyond import.
"""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from civicpay.core.clock import VIETNAM
from civicpay.payments.providers import vnpay_protocol as vnp
from civicpay.payments.providers.vnpay_protocol import (
    InvalidSignature,
    IpnReply,
    MalformedCallback,
)

SECRET = "test_secret"

# Published vector: lehuygiang28/vnpay test/__helpers__/test-fixtures.ts (DEFAULT_RETURN_QUERY_INPUT),
# secret "test_secret". The hash is what VNPay's PHP reference produces for the same query.
FIXTURE_QUERY = {
    "vnp_Amount": "1000000",
    "vnp_BankCode": "NCB",
    "vnp_BankTranNo": "VNP14422574",
    "vnp_CardType": "ATM",
    "vnp_OrderInfo": "Thanh toan don hang 2024-05-21T02:17:31.249Z",
    "vnp_PayDate": "20240521091806",
    "vnp_ResponseCode": "00",
    "vnp_TmnCode": "TEST_TMN_CODE",
    "vnp_TransactionNo": "14422574",
    "vnp_TransactionStatus": "00",
    "vnp_TxnRef": "1716257871703",
}
FIXTURE_DATA = (
    "vnp_Amount=1000000&vnp_BankCode=NCB&vnp_BankTranNo=VNP14422574&vnp_CardType=ATM"
    "&vnp_OrderInfo=Thanh+toan+don+hang+2024-05-21T02%3A17%3A31.249Z&vnp_PayDate=20240521091806"
    "&vnp_ResponseCode=00&vnp_TmnCode=TEST_TMN_CODE&vnp_TransactionNo=14422574&vnp_TransactionStatus=00"
    "&vnp_TxnRef=1716257871703"
)
FIXTURE_HASH = (
    "649982421beb422556a1374713c74e58e716ecbd05007c0c0e1f7effdfaf361d"
    "bf146889ca446139afe11b9954c4d5c486e99e3b86fcfab6957f29eb0be72895"
)

CREATED = datetime(2024, 5, 21, 2, 0, tzinfo=UTC)


def signed(query: dict[str, str], secret: str = SECRET) -> dict[str, str]:
    return {**query, "vnp_SecureHash": vnp.sign(query, secret)}


def payment_url(**overrides: object) -> str:
    kwargs: dict[str, object] = {
        "base_url": "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html",
        "tmn_code": "TEST_TMN_CODE",
        "secret": SECRET,
        "amount_vnd": 125_000,
        "txn_ref": "HS-000123-1",
        "order_info": "Thanh toán hồ sơ Đăng ký kinh doanh",
        "return_url": "https://civicpay.example/thanh-toan/vnpay/ket-qua?a=1&b=~x",
        "ip_addr": "203.0.113.7",
        "create_date": CREATED,
        "expire_date": CREATED + timedelta(minutes=15),
        "bank_code": "NCB",
    } | overrides
    return vnp.build_payment_url(**kwargs)  # type: ignore[arg-type]


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


# --- published vector -----------------------------------------------------------------------------


def test_published_vector_data_string() -> None:
    assert vnp.hash_data(FIXTURE_QUERY) == FIXTURE_DATA


def test_published_vector_hash() -> None:
    assert vnp.sign(FIXTURE_QUERY, SECRET) == FIXTURE_HASH
    assert vnp.verify({**FIXTURE_QUERY, "vnp_SecureHash": FIXTURE_HASH}, SECRET)


def test_published_vector_parses() -> None:
    callback = vnp.parse_callback({**FIXTURE_QUERY, "vnp_SecureHash": FIXTURE_HASH.upper()}, SECRET)
    assert callback.txn_ref == "1716257871703"
    assert callback.amount_vnd == 10_000
    assert callback.is_success
    assert callback.transaction_no == "14422574"
    assert (callback.bank_code, callback.bank_tran_no, callback.card_type) == ("NCB", "VNP14422574", "ATM")
    assert callback.pay_date == datetime(2024, 5, 21, 9, 18, 6, tzinfo=VIETNAM)
    assert callback.pay_date.astimezone(UTC) == datetime(2024, 5, 21, 2, 18, 6, tzinfo=UTC)
    assert callback.raw["vnp_TmnCode"] == "TEST_TMN_CODE"


# --- PHP urlencode --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        ("~", "%7E"),
        ("*", "%2A"),
        ("a b", "a+b"),
        ("/", "%2F"),
        (":", "%3A"),
        ("-_.", "-_."),
        ("AZaz09", "AZaz09"),
        ("Thanh toán hồ sơ", "Thanh+to%C3%A1n+h%E1%BB%93+s%C6%A1"),
        ("Đ", "%C4%90"),
        ("https://x.vn/a?b=1&c=2", "https%3A%2F%2Fx.vn%2Fa%3Fb%3D1%26c%3D2"),
    ],
)
def test_php_urlencode(text: str, encoded: str) -> None:
    assert vnp.php_urlencode(text) == encoded


def test_hash_data_drops_empty_values_and_foreign_keys() -> None:
    params = {"vnp_TxnRef": "1", "vnp_BankCode": "", "utm_source": "x", "vnp_SecureHashType": "HmacSHA512"}
    assert vnp.hash_data(params) == "vnp_TxnRef=1"
    assert vnp.sign(params, SECRET) == vnp.sign({"vnp_TxnRef": "1"}, SECRET)


def test_hash_data_sorts_keys() -> None:
    assert vnp.hash_data({"vnp_b": "2", "vnp_a": "1"}) == "vnp_a=1&vnp_b=2"


# --- pay URL --------------------------------------------------------------------------------------


def test_built_url_parses_back_and_verifies() -> None:
    url = payment_url()
    assert url.startswith("https://sandbox.vnpayment.vn/paymentv2/vpcpay.html?vnp_Amount=12500000&")
    query = query_of(url)
    assert vnp.verify(query, SECRET)
    assert query["vnp_Version"] == "2.1.0"
    assert query["vnp_Command"] == "pay"
    assert query["vnp_CurrCode"] == "VND"
    assert query["vnp_Amount"] == "12500000"
    assert query["vnp_OrderInfo"] == "Thanh toan ho so Dang ky kinh doanh"
    assert query["vnp_ReturnUrl"] == "https://civicpay.example/thanh-toan/vnpay/ket-qua?a=1&b=~x"
    assert query["vnp_BankCode"] == "NCB"
    assert query["vnp_Locale"] == "vn"
    assert query["vnp_OrderType"] == "other"
    assert "%7E" in url  # the ~ of the return URL, encoded the PHP way


def test_url_is_exactly_hash_data_plus_signature() -> None:
    url = payment_url()
    query = query_of(url)
    unsigned = {k: v for k, v in query.items() if k != "vnp_SecureHash"}
    expected = f"https://sandbox.vnpayment.vn/paymentv2/vpcpay.html?{vnp.hash_data(unsigned)}"
    assert url == f"{expected}&vnp_SecureHash={vnp.sign(unsigned, SECRET)}"


def test_bank_code_is_optional() -> None:
    assert "vnp_BankCode" not in query_of(payment_url(bank_code=None))


@pytest.mark.parametrize("field", ["vnp_Amount", "vnp_TxnRef", "vnp_OrderInfo", "vnp_ReturnUrl"])
def test_tampered_pay_url_fails(field: str) -> None:
    query = query_of(payment_url())
    query[field] += "1"
    assert not vnp.verify(query, SECRET)


def test_wrong_secret_fails() -> None:
    assert not vnp.verify(query_of(payment_url()), "another_secret")


@pytest.mark.parametrize("amount", [1, 10_000, 125_000, 50_000_000, 9_999_999_999])
def test_amount_round_trip(amount: int) -> None:
    query = query_of(payment_url(amount_vnd=amount))
    assert query["vnp_Amount"] == str(amount * 100)
    callback_query = signed({**FIXTURE_QUERY, "vnp_Amount": query["vnp_Amount"]})
    assert vnp.parse_callback(callback_query, SECRET).amount_vnd == amount


@pytest.mark.parametrize("amount", [0, -1000, 1.5])
def test_pay_url_refuses_bad_amounts(amount: object) -> None:
    with pytest.raises(ValueError):
        payment_url(amount_vnd=amount)


def test_naive_datetimes_refused() -> None:
    naive = datetime(2024, 5, 21, 9, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="timezone-aware"):
        payment_url(create_date=naive, expire_date=naive + timedelta(minutes=15))
    with pytest.raises(ValueError, match="timezone-aware"):
        vnp.format_date(naive)


def test_dates_rendered_in_gmt7() -> None:
    utc_evening = datetime(2024, 5, 21, 17, 30, tzinfo=UTC)
    assert vnp.format_date(utc_evening) == "20240522003000"
    query = query_of(payment_url(create_date=utc_evening, expire_date=utc_evening + timedelta(minutes=15)))
    assert query["vnp_CreateDate"] == "20240522003000"
    assert query["vnp_ExpireDate"] == "20240522004500"


def test_expiry_must_follow_creation() -> None:
    with pytest.raises(ValueError, match="ExpireDate"):
        payment_url(expire_date=CREATED)


@pytest.mark.parametrize("field", ["tmn_code", "txn_ref", "order_info", "return_url", "ip_addr"])
def test_required_fields_must_not_be_empty(field: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        payment_url(**{field: ""})


def test_locale_must_be_known() -> None:
    with pytest.raises(ValueError, match="Locale"):
        payment_url(locale="fr")


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("Thanh toán hồ sơ Đăng ký", "Thanh toan ho so Dang ky"),
        ("đường Lê Lợi, phường Bến Nghé", "duong Le Loi, phuong Ben Nghe"),
        ("ỨNG DỤNG ĐIỆN TỬ ỹ", "UNG DUNG DIEN TU y"),
        ("HS-2024/001", "HS-2024/001"),
    ],
)
def test_strip_diacritics(text: str, plain: str) -> None:
    assert vnp.strip_diacritics(text) == plain


# --- return URL and IPN ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("vnp_Amount", "2000000"), ("vnp_TxnRef", "1716257871704"), ("vnp_ResponseCode", "24")],
)
def test_tampered_callback_raises(field: str, value: str) -> None:
    query = {**FIXTURE_QUERY, "vnp_SecureHash": FIXTURE_HASH, field: value}
    assert not vnp.verify(query, SECRET)
    with pytest.raises(InvalidSignature):
        vnp.parse_callback(query, SECRET)


@pytest.mark.parametrize("bad_hash", [None, "", "zz", FIXTURE_HASH[:-1], "é" * 128])
def test_missing_or_garbled_hash_raises(bad_hash: str | None) -> None:
    query = dict(FIXTURE_QUERY)
    if bad_hash is not None:
        query["vnp_SecureHash"] = bad_hash
    with pytest.raises(InvalidSignature):
        vnp.parse_callback(query, SECRET)


def test_added_parameter_breaks_signature() -> None:
    query = {**FIXTURE_QUERY, "vnp_SecureHash": FIXTURE_HASH, "vnp_PromotionCode": "FREE"}
    assert not vnp.verify(query, SECRET)


def test_hash_type_and_foreign_parameters_do_not_count() -> None:
    query = {**FIXTURE_QUERY, "vnp_SecureHash": FIXTURE_HASH, "vnp_SecureHashType": "HmacSHA512", "lang": "vi"}
    assert vnp.verify(query, SECRET)


def test_not_multiple_of_100_refused() -> None:
    with pytest.raises(MalformedCallback, match="× 100"):
        vnp.parse_callback(signed({**FIXTURE_QUERY, "vnp_Amount": "1000050"}), SECRET)


@pytest.mark.parametrize("amount", ["-100", "1e6", "10.00", " 100"])
def test_non_numeric_amount_refused(amount: str) -> None:
    with pytest.raises(MalformedCallback):
        vnp.parse_callback(signed({**FIXTURE_QUERY, "vnp_Amount": amount}), SECRET)


@pytest.mark.parametrize("field", ["vnp_TxnRef", "vnp_Amount", "vnp_ResponseCode", "vnp_TransactionStatus"])
def test_missing_field_is_malformed(field: str) -> None:
    query = {k: v for k, v in FIXTURE_QUERY.items() if k != field}
    with pytest.raises(MalformedCallback, match=field):
        vnp.parse_callback(signed(query), SECRET)


def test_bad_pay_date_is_malformed() -> None:
    with pytest.raises(MalformedCallback):
        vnp.parse_callback(signed({**FIXTURE_QUERY, "vnp_PayDate": "20241341000000"}), SECRET)


def test_cancelled_payment_without_optional_fields() -> None:
    query = {
        "vnp_Amount": "1000000",
        "vnp_ResponseCode": "24",
        "vnp_TmnCode": "TEST_TMN_CODE",
        "vnp_TransactionNo": "0",
        "vnp_TransactionStatus": "02",
        "vnp_TxnRef": "1716257871703",
    }
    callback = vnp.parse_callback(signed(query), SECRET)
    assert not callback.is_success
    assert callback.pay_date is None
    assert callback.bank_tran_no == ""
    assert vnp.message_for(callback.response_code) == "Bạn đã hủy giao dịch."


@pytest.mark.parametrize(("response_code", "status"), [("00", "01"), ("00", "02"), ("07", "00"), ("24", "00")])
def test_success_needs_both_codes(response_code: str, status: str) -> None:
    query = {**FIXTURE_QUERY, "vnp_ResponseCode": response_code, "vnp_TransactionStatus": status}
    assert not vnp.parse_callback(signed(query), SECRET).is_success


def test_callback_accepts_a_django_querydict() -> None:
    from django.http import QueryDict

    qd = QueryDict(mutable=True)
    qd.update({**FIXTURE_QUERY, "vnp_SecureHash": FIXTURE_HASH})
    assert vnp.parse_callback(qd, SECRET).amount_vnd == 10_000


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (IpnReply.CONFIRM_SUCCESS, "Confirm Success"),
        (IpnReply.ORDER_NOT_FOUND, "Order not found"),
        (IpnReply.ALREADY_CONFIRMED, "Order already confirmed"),
        (IpnReply.INVALID_AMOUNT, "invalid amount"),
        (IpnReply.INVALID_SIGNATURE, "Invalid signature"),
        (IpnReply.UNKNOWN_ERROR, "Unknown error"),
    ],
)
def test_ipn_response(code: IpnReply, message: str) -> None:
    assert vnp.ipn_response(code) == {"RspCode": code.value, "Message": message}
    assert vnp.ipn_response(code.value) == vnp.ipn_response(code)


def test_ipn_response_refuses_unknown_codes() -> None:
    with pytest.raises(ValueError):
        vnp.ipn_response("03")


def test_response_messages() -> None:
    assert set(vnp.RESPONSE_MESSAGES_VI) == {
        "00", "07", "09", "10", "11", "12", "13", "24", "51", "65", "75", "79", "99",
    }  # fmt: skip
    assert vnp.message_for("51") == "Tài khoản không đủ số dư để thực hiện giao dịch."
    assert vnp.message_for("11") == "Đã hết hạn chờ thanh toán."
    assert vnp.message_for("13") == "Nhập sai mã OTP."
    assert vnp.message_for("79") == "Nhập sai mật khẩu thanh toán quá số lần quy định."
    assert vnp.message_for("42") == vnp.GENERIC_FAILURE_VI


# --- querydr and refund ---------------------------------------------------------------------------


def hmac512(data: str) -> str:
    return hmac.new(SECRET.encode(), data.encode(), hashlib.sha512).hexdigest()


def test_querydr_request_hash_order() -> None:
    body = vnp.querydr_request(
        request_id="Q20240521001",
        tmn_code="TEST_TMN_CODE",
        secret=SECRET,
        txn_ref="HS-000123-1",
        transaction_date=CREATED,
        create_date=datetime(2024, 5, 21, 17, 30, tzinfo=UTC),
        ip_addr="203.0.113.7",
        order_info="Truy vấn giao dịch",
    )
    assert body["vnp_Command"] == "querydr"
    assert body["vnp_TransactionDate"] == "20240521090000"
    assert body["vnp_CreateDate"] == "20240522003000"
    expected = "Q20240521001|2.1.0|querydr|TEST_TMN_CODE|HS-000123-1|20240521090000|20240522003000|203.0.113.7|Truy van giao dich"
    assert body["vnp_SecureHash"] == hmac512(expected)


def refund_body(**overrides: object) -> dict[str, str]:
    kwargs: dict[str, object] = {
        "request_id": "R20240522001",
        "tmn_code": "TEST_TMN_CODE",
        "secret": SECRET,
        "transaction_type": vnp.REFUND_PARTIAL,
        "txn_ref": "HS-000123-1",
        "amount_vnd": 25_000,
        "transaction_no": "14422574",
        "transaction_date": CREATED,
        "create_by": "ketoan.hcm",
        "create_date": datetime(2024, 5, 22, 3, 0, tzinfo=UTC),
        "ip_addr": "203.0.113.7",
        "order_info": "Hoàn tiền nộp thừa",
    } | overrides
    return vnp.refund_request(**kwargs)  # type: ignore[arg-type]


def test_refund_request_hash_order() -> None:
    body = refund_body()
    assert body["vnp_Command"] == "refund"
    assert body["vnp_Amount"] == "2500000"
    expected = (
        "R20240522001|2.1.0|refund|TEST_TMN_CODE|03|HS-000123-1|2500000|14422574|20240521090000"
        "|ketoan.hcm|20240522100000|203.0.113.7|Hoan tien nop thua"
    )
    assert body["vnp_SecureHash"] == hmac512(expected)


def test_refund_type_must_be_full_or_partial() -> None:
    with pytest.raises(ValueError, match="TransactionType"):
        refund_body(transaction_type="01")


def querydr_response() -> dict[str, object]:
    body: dict[str, object] = {
        "vnp_ResponseId": "a1b2c3",
        "vnp_Command": "querydr",
        "vnp_ResponseCode": "00",
        "vnp_Message": "QueryDR Success",
        "vnp_TmnCode": "TEST_TMN_CODE",
        "vnp_TxnRef": "HS-000123-1",
        "vnp_Amount": "12500000",
        "vnp_BankCode": "NCB",
        "vnp_PayDate": "20240521091806",
        "vnp_TransactionNo": "14422574",
        "vnp_TransactionType": "01",
        "vnp_TransactionStatus": "00",
        "vnp_OrderInfo": "Thanh toan ho so",
        "vnp_PromotionCode": "",
        "vnp_PromotionAmount": "",
    }
    body["vnp_SecureHash"] = hmac512("|".join(str(v) for v in body.values()))
    return body


def test_querydr_response_verifies() -> None:
    assert vnp.verify_api_response(querydr_response(), SECRET)


def test_numeric_json_values_hash_as_digits() -> None:
    body = querydr_response()
    body["vnp_Amount"] = 12500000
    assert vnp.verify_api_response(body, SECRET)


@pytest.mark.parametrize("field", ["vnp_Amount", "vnp_TransactionStatus", "vnp_TxnRef", "vnp_PromotionAmount"])
def test_tampered_querydr_response_fails(field: str) -> None:
    body = querydr_response()
    body[field] = f"{body[field]}9"
    assert not vnp.verify_api_response(body, SECRET)


def test_refund_response_has_no_promotion_fields() -> None:
    fields = [
        ("vnp_ResponseId", "r1"),
        ("vnp_Command", "refund"),
        ("vnp_ResponseCode", "00"),
        ("vnp_Message", "Refund success"),
        ("vnp_TmnCode", "TEST_TMN_CODE"),
        ("vnp_TxnRef", "HS-000123-1"),
        ("vnp_Amount", "2500000"),
        ("vnp_BankCode", "NCB"),
        ("vnp_PayDate", "20240522100000"),
        ("vnp_TransactionNo", "14422575"),
        ("vnp_TransactionType", "03"),
        ("vnp_TransactionStatus", "05"),
        ("vnp_OrderInfo", "Hoan tien nop thua"),
    ]
    body: dict[str, object] = dict(fields)
    body["vnp_SecureHash"] = hmac512("|".join(v for _, v in fields)).upper()
    assert vnp.verify_api_response(body, SECRET)


def test_unsigned_or_unknown_responses_do_not_verify() -> None:
    body = querydr_response()
    assert not vnp.verify_api_response({**body, "vnp_SecureHash": ""}, SECRET)
    assert not vnp.verify_api_response({k: v for k, v in body.items() if k != "vnp_SecureHash"}, SECRET)
    assert not vnp.verify_api_response({**body, "vnp_Command": "pay"}, SECRET)
