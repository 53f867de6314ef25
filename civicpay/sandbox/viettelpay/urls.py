"""ViettelPay sandbox URLs, mounted at /sandbox/viettelpay/ (the gateway base URL of VIETTELPAY_GATEWAY_URL):
the protocol's ``pay``, ``api/query`` and ``api/refund``, plus the payer's pages."""

from django.urls import path

from civicpay.sandbox.signed import views as signed
from civicpay.sandbox.viettelpay import views

GATEWAY = {"gateway_code": "viettelpay"}

app_name = "viettelpay"
urlpatterns = [
    path("pay", views.pay, name="pay"),
    path("thanh-toan/hinh-thuc/", views.method, name="method"),
    path("thanh-toan/vi/", views.wallet, name="wallet"),
    path("thanh-toan/bankplus/", views.bank, name="bank"),
    path("thanh-toan/the-atm/", views.card, name="card"),
    path("thanh-toan/otp/", views.otp, name="otp"),
    path("thanh-toan/huy/", signed.cancel, GATEWAY, name="cancel"),
    path("api/query", signed.api_query, GATEWAY, name="api_query"),
    path("api/refund", signed.api_refund, GATEWAY, name="api_refund"),
    path("giao-dich/", signed.transactions, GATEWAY, name="transactions"),
    path("giao-dich/<int:pk>/gui-lai/", signed.resend_notification, GATEWAY, name="resend"),
]
