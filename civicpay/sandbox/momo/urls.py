"""MoMo sandbox URLs, mounted at /sandbox/momo/: MoMo's own paths under one base URL, so merchant code
and client libraries work against it by changing only the host (``<base>/v2/gateway/api/create``,
``/query``, ``/refund``); ``v2/gateway/pay`` is the ``payUrl`` page with the QR code and the app screen."""

from django.urls import path

from civicpay.sandbox.momo import views

app_name = "momo"
urlpatterns = [
    path("v2/gateway/api/create", views.api_create, name="api_create"),
    path("v2/gateway/api/query", views.api_query, name="api_query"),
    path("v2/gateway/api/refund", views.api_refund, name="api_refund"),
    path("v2/gateway/pay", views.pay, name="pay"),
    path("transactions/", views.transactions, name="transactions"),
    path("transactions/<int:pk>/ipn/", views.resend_ipn, name="resend_ipn"),
]
