"""Sandbox bank URLs, mounted at /sandbox/bank/ (docs/protocols/vietqr.md, "Sandbox bank")."""

from django.urls import path

from civicpay.sandbox.bank import views

app_name = "bank"
urlpatterns = [
    path("", views.send, name="send"),
    path("giao-dich/", views.transfers, name="transfers"),
    path("giao-dich/<int:pk>/gui-lai/", views.renotify, name="renotify"),
]
