"""The signed gateway protocol codec (docs/protocols/signed-gateway.md): canonical string, HMAC-SHA256,
freshness, signed copies and redirects. Pure: no database, no Django."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl, urlsplit

import pytest

from civicpay.payments.providers import signed_protocol as sp

SECRET = "test-secret"


def test_canonical_sorts_keys_drops_empty_values_and_the_signature():
    params = {"order_id": "PAY1", "amount": 210000, "bank_code": "", "card_masked": None, "signature": "x", "a": "b"}
    assert sp.canonical(params) == "a=b&amount=210000&order_id=PAY1"


def test_canonical_keeps_unicode_raw_without_url_encoding():
    params = {"order_info": "Thanh toán phí hộ tịch & lệ phí", "return_url": "https://x.vn/a?b=c d"}
    assert sp.canonical(params) == "order_info=Thanh toán phí hộ tịch & lệ phí&return_url=https://x.vn/a?b=c d"


def test_sign_is_lowercase_hex_hmac_sha256_of_the_canonical_string():
    params = {"merchant_id": "M1", "order_id": "PAY1", "amount": "5000", "order_info": "Phí"}
    expected = hmac.new(
        SECRET.encode(), "amount=5000&merchant_id=M1&order_id=PAY1&order_info=Phí".encode(), hashlib.sha256
    ).hexdigest()
    assert sp.sign(params, SECRET) == expected
    assert len(expected) == 64 and expected == expected.lower()
    # A published HMAC-SHA256 vector (RFC 4231 test case 2) pins the primitive itself.
    assert (
        hmac.new(b"Jefe", b"what do ya want for nothing?", hashlib.sha256).hexdigest()
        == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_verify_accepts_the_signed_copy_and_uses_constant_time_comparison(monkeypatch):
    message = sp.signed({"order_id": "PAY1", "amount": 5000}, SECRET)
    calls = []
    original = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return original(a, b)

    monkeypatch.setattr(sp.hmac, "compare_digest", spy)
    assert sp.verify(message, SECRET)
    assert len(calls) == 1


@pytest.mark.parametrize("field", ["order_id", "amount", "timestamp", "nonce", "merchant_id", "status"])
def test_tampering_with_any_field_invalidates_the_signature(field):
    message = sp.signed({"merchant_id": "M1", "order_id": "PAY1", "amount": 5000, "status": "success"}, SECRET)
    tampered = {**message, field: message[field] + "1"}
    assert not sp.verify(tampered, SECRET)


def test_missing_wrong_or_foreign_signatures_are_invalid():
    message = sp.signed({"order_id": "PAY1"}, SECRET)
    assert not sp.verify({k: v for k, v in message.items() if k != "signature"}, SECRET)
    assert not sp.verify({**message, "signature": ""}, SECRET)
    assert not sp.verify(message, "another-secret")
    assert not sp.verify({**message, "extra": "added"}, SECRET)
    with pytest.raises(sp.InvalidSignature):
        sp.require_valid(message, "another-secret")


def test_an_added_empty_field_does_not_change_the_signature():
    """Empty values are not signed: this is why the platform also remembers nonces (replay.py)."""
    message = sp.signed({"order_id": "PAY1"}, SECRET)
    assert sp.verify({**message, "bank_code": ""}, SECRET)


def test_signed_adds_timestamp_and_nonce_and_keeps_given_ones():
    message = sp.signed({"order_id": "PAY1", "amount": 5000, "bank_code": ""}, SECRET)
    assert set(message) == {"order_id", "amount", "timestamp", "nonce", "signature"}
    assert message["amount"] == "5000"
    assert len(message["nonce"]) == 32 and int(message["nonce"], 16) >= 0
    assert abs(int(message["timestamp"]) - sp.now_ts()) <= 2
    fixed = sp.signed({"order_id": "PAY1", "timestamp": 100, "nonce": "n1"}, SECRET)
    assert (fixed["timestamp"], fixed["nonce"]) == ("100", "n1")
    assert sp.new_nonce() != sp.new_nonce()


def test_check_fresh_window():
    sp.check_fresh({"timestamp": "1000"}, now=1300)
    sp.check_fresh({"timestamp": "1300"}, now=1000)
    for stale in ({"timestamp": "1000"}, {"timestamp": "1602"}):
        with pytest.raises(sp.StaleMessage):
            sp.check_fresh(stale, now=1301)
    for bad in ({}, {"timestamp": ""}, {"timestamp": "soon"}):
        with pytest.raises(sp.StaleMessage):
            sp.check_fresh(bad, now=1000)
    sp.check_fresh({"timestamp": "1000"}, now=1050, window_seconds=60)
    with pytest.raises(sp.StaleMessage):
        sp.check_fresh({"timestamp": "1000"}, now=1061, window_seconds=60)


def test_build_redirect_url_encodes_the_signed_params():
    url = sp.build_redirect("https://gw.example/pay", {"order_info": "Phí hộ tịch", "amount": 5000}, SECRET)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://gw.example/pay"
    assert "Ph%C3%AD+h%E1%BB%99" in parts.query
    params = dict(parse_qsl(parts.query))
    assert params["order_info"] == "Phí hộ tịch" and sp.verify(params, SECRET)
    assert sp.build_redirect("https://gw.example/pay?x=1", {}, SECRET).startswith("https://gw.example/pay?x=1&")
