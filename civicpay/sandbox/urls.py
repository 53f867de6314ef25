"""Sandbox URLs, mounted at /sandbox/ only when settings.SANDBOX_ENABLED (see civicpay/urls.py).

One module per simulator: the dev mailbox (``mailbox.py``), the SMS gateway (``sms_gateway.py``).
Payment gateway simulators add their own module and a block of paths below, e.g.
``path("vnpay/", include("civicpay.sandbox.vnpay.urls"))``.
"""

from django.urls import include, path

from civicpay.sandbox import mailbox, sms_gateway, views

app_name = "sandbox"
urlpatterns = [
    path("", views.index, name="index"),
    # Dev mailbox: e-mail and SMS caught by the dev transports.
    path("mailbox/", mailbox.mailbox, name="mailbox"),
    path("mailbox/latest.json", mailbox.latest_json, name="mailbox_latest"),
    # SMS gateway simulator (target of SMS_BACKEND=http).
    path("sms/api/send", sms_gateway.send, name="sms_api_send"),
    # VNPay 2.1.0 gateway simulator (civicpay/sandbox/vnpay, docs/sandbox.md).
    path("vnpay/", include("civicpay.sandbox.vnpay.urls")),
]
