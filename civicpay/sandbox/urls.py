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
    # MoMo v2 captureWallet gateway simulator (civicpay/sandbox/momo, docs/sandbox.md).
    path("momo/", include("civicpay.sandbox.momo.urls")),
    # Signed gateway protocol simulators (civicpay/sandbox/signed, docs/protocols/signed-gateway.md).
    path("viettelpay/", include("civicpay.sandbox.viettelpay.urls")),
    path("national/", include("civicpay.sandbox.national.urls")),
    # Sandbox bank: send a transfer, notify the platform (civicpay/sandbox/bank, docs/sandbox.md).
    path("bank/", include("civicpay.sandbox.bank.urls")),
    # VietinBank: card + OTP, debit registrations at the teller, debits, branch payment codes
    # (civicpay/sandbox/vietinbank, docs/protocols/vietinbank.md).
    path("vietinbank/", include("civicpay.sandbox.vietinbank.urls")),
]
