from __future__ import annotations

import json

import pytest
from django.test import override_settings
from django.urls import reverse

from civicpay.notifications.exceptions import FinalDeliveryError
from civicpay.notifications.models import Channel, DevMessage
from civicpay.notifications.sms import HttpSmsGateway, SmsMessage

pytestmark = pytest.mark.django_db

TOKEN = "sandbox-sms-token"


def post(client, payload, token=TOKEN):
    return client.post(
        reverse("sandbox:sms_api_send"),
        data=json.dumps(payload),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


@override_settings(SMS_GATEWAY_TOKEN=TOKEN)
def test_the_sandbox_gateway_files_the_sms_once_per_idempotency_key(client):
    payload = {"to": "0912345678", "text": "Đã nhận 50.000 đ", "sender": "CIVICPAY", "idempotency_key": "k1"}

    first = post(client, payload)
    again = post(client, payload)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert DevMessage.objects.filter(channel=Channel.SMS, to="0912345678").count() == 1


@override_settings(SMS_GATEWAY_TOKEN=TOKEN)
def test_the_sandbox_gateway_checks_the_token_and_the_recipient(client):
    payload = {"to": "0912345678", "text": "x", "idempotency_key": "k2"}

    assert post(client, payload, token="sai").status_code == 401
    assert post(client, {**payload, "to": "12"}).status_code == 400
    assert not DevMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_http_gateway_against_the_live_sandbox_endpoint(live_server):
    url = live_server.url + reverse("sandbox:sms_api_send")
    with override_settings(SMS_GATEWAY_TOKEN=TOKEN):
        result = HttpSmsGateway(url=url, token=TOKEN).send(
            SmsMessage(to="+84912345678", text="Mã OTP: 246810", sender="CIVICPAY", idempotency_key="live-1")
        )
        with pytest.raises(FinalDeliveryError, match="401"):
            HttpSmsGateway(url=url, token="sai").send(
                SmsMessage(to="0912345678", text="x", sender="CIVICPAY", idempotency_key="live-2")
            )

    assert result.provider_id.startswith("sbx-")
    assert DevMessage.objects.get(channel=Channel.SMS).body == "Mã OTP: 246810"


def test_http_gateway_refuses_an_invalid_phone_number_before_calling_anyone():
    gateway = HttpSmsGateway(url="http://127.0.0.1:9/never-called", token=TOKEN)

    with pytest.raises(FinalDeliveryError):
        gateway.send(SmsMessage(to="không có số", text="x", sender="CIVICPAY", idempotency_key="k"))
