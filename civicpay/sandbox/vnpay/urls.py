"""VNPay sandbox URLs, mounted at /sandbox/vnpay/: VNPay's own paths under one base URL, so merchant code
and client libraries work against it by changing only the host (``<base>/paymentv2/vpcpay.html``,
``<base>/merchant_webapi/api/transaction``)."""

from django.urls import path

from civicpay.sandbox.vnpay import views

app_name = "vnpay"
urlpatterns = [
    path("paymentv2/vpcpay.html", views.pay, name="pay"),
    path("paymentv2/Transaction/PaymentMethod.html", views.method, name="method"),
    path("paymentv2/Transaction/CardInfo.html", views.card, name="card"),
    path("paymentv2/Transaction/Otp.html", views.otp, name="otp"),
    path("paymentv2/Transaction/Cancel.html", views.cancel, name="cancel"),
    path("merchant_webapi/api/transaction", views.api_transaction, name="api"),
    path("transactions/", views.transactions, name="transactions"),
    path("transactions/<int:pk>/ipn/", views.resend_ipn, name="resend_ipn"),
]
