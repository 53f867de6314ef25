"""Mounted at /thanh-toan/ (civicpay/urls.py). One IPN and one return path per provider, as each
provider registers them (VNPay: vnp_ReturnUrl and the merchant's IPN URL)."""

from django.urls import path

from civicpay.payments import views

app_name = "payments"
urlpatterns = [
    path("vnpay/ipn/", views.provider_notification, {"provider_code": "vnpay"}, name="vnpay_ipn"),
    path("vnpay/return/", views.provider_return, {"provider_code": "vnpay"}, name="vnpay_return"),
    path("trang-thai/<str:reference>/", views.payment_status, name="status"),
]
