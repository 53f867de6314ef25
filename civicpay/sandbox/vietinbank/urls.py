"""VietinBank sandbox URLs, mounted at /sandbox/vietinbank/ (the gateway URL the platform's
``VIETINBANK_GATEWAY_URL`` defaults to): the signed protocol's ``pay`` and ``api/*``, the card pages,
and the teller's counter."""

from django.urls import path

from civicpay.sandbox.vietinbank import views

app_name = "vietinbank"
urlpatterns = [
    path("pay", views.pay, name="pay"),
    path("the/ngan-hang/", views.choose_bank, name="bank"),
    path("the/thong-tin-the/", views.card, name="card"),
    path("the/dieu-khoan/", views.terms, name="terms"),
    path("the/otp/", views.otp, name="otp"),
    path("the/huy/", views.cancel, name="cancel"),
    path("teller/", views.teller, name="teller"),
    path("teller/dang-ky/<int:pk>/duyet/", views.approve, name="approve"),
    path("teller/dang-ky/<int:pk>/tu-choi/", views.reject, name="reject"),
    path("teller/dang-ky/<int:pk>/gui-lai/", views.resend_notice, name="resend_notice"),
    path("teller/thu-tien/", views.collect, name="collect"),
    path("api/registration", views.api_registration, name="api_registration"),
    path("api/registration/cancel", views.api_registration_cancel, name="api_registration_cancel"),
    path("api/debit", views.api_debit, name="api_debit"),
    path("api/bill", views.api_bill, name="api_bill"),
    path("api/query", views.api_query, name="api_query"),
    path("api/refund", views.api_refund, name="api_refund"),
]
