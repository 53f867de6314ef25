"""Mounted at /thanh-toan/ (civicpay/urls.py). One IPN and one return path per provider, as each
provider registers them (VNPay: vnp_ReturnUrl and the merchant's IPN URL)."""

from django.urls import path

from civicpay.payments import debit, momo_views, signed_views, transfer_views, views

app_name = "payments"
urlpatterns = [
    path("vnpay/ipn/", views.provider_notification, {"provider_code": "vnpay"}, name="vnpay_ipn"),
    path("vnpay/return/", views.provider_return, {"provider_code": "vnpay"}, name="vnpay_return"),
    path("trang-thai/<str:reference>/", views.payment_status, name="status"),
    # MoMo v2 captureWallet (docs/protocols/momo.md): IPN as POSTed JSON answered 204, GET redirect.
    path("momo/ipn/", momo_views.momo_notification, name="momo_ipn"),
    path("momo/return/", views.provider_return, {"provider_code": "momo"}, name="momo_return"),
    # Signed gateway protocol (docs/protocols/signed-gateway.md): POSTed JSON notifications, GET returns.
    path("viettelpay/ipn/", signed_views.signed_notification, {"provider_code": "viettelpay"}, name="viettelpay_ipn"),
    path("viettelpay/return/", views.provider_return, {"provider_code": "viettelpay"}, name="viettelpay_return"),
    path("national/ipn/", signed_views.signed_notification, {"provider_code": "national"}, name="national_ipn"),
    path("national/return/", views.provider_return, {"provider_code": "national"}, name="national_return"),
    # VietinBank (docs/protocols/vietinbank.md): card/debit/branch notifications, and registration decisions.
    path("vietinbank/ipn/", signed_views.signed_notification, {"provider_code": "vietinbank"}, name="vietinbank_ipn"),
    path("vietinbank/return/", views.provider_return, {"provider_code": "vietinbank"}, name="vietinbank_return"),
    path("vietinbank/dang-ky/", debit.registration_notification, name="vietinbank_registration_notify"),
    # VietQR bank transfer (docs/protocols/vietqr.md): the bank's signed incoming-transfer notifications;
    # the "return" only leads the payer from the QR page to the result page (never applied).
    path("vietqr/notify/", transfer_views.bank_notification, name="vietqr_ipn"),
    path("vietqr/return/", views.provider_return, {"provider_code": "vietqr"}, name="vietqr_return"),
]
