"""National payment platform sandbox URLs, mounted at /sandbox/national/ (NATIONAL_GATEWAY_URL's base):
the protocol's ``pay``, ``api/query`` and ``api/refund``, plus the platform's payer pages."""

from django.urls import path

from civicpay.sandbox.national import views
from civicpay.sandbox.signed import views as signed

GATEWAY = {"gateway_code": "national"}

app_name = "national"
urlpatterns = [
    path("pay", views.pay, name="pay"),
    path("thanh-toan/chon-ngan-hang/", views.choose, name="choose"),
    path("thanh-toan/xac-nhan/", views.confirm, name="confirm"),
    path("thanh-toan/huy/", signed.cancel, GATEWAY, name="cancel"),
    path("api/query", signed.api_query, GATEWAY, name="api_query"),
    path("api/refund", signed.api_refund, GATEWAY, name="api_refund"),
    path("giao-dich/", signed.transactions, GATEWAY, name="transactions"),
    path("giao-dich/<int:pk>/gui-lai/", signed.resend_notification, GATEWAY, name="resend"),
]
