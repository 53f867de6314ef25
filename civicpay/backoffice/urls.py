from django.urls import path

from civicpay.backoffice import dossier_views, queue_views, transfer_views, views

app_name = "backoffice"
urlpatterns = [
    path("", views.home, name="home"),
    path("tiep-nhan-qua-mang/", queue_views.queue, name="queue"),
    path("yeu-cau-thanh-toan/", queue_views.request_payment, name="request_payment"),
    path("yeu-cau-thanh-toan/kiem-tra/", queue_views.request_payment_confirm, name="request_payment_confirm"),
    path("ho-so/<int:pk>/", dossier_views.dossier_detail, name="dossier"),
    path("ho-so/<int:pk>/<str:action>/", dossier_views.dossier_action, name="dossier_action"),
    path("tep/<int:pk>/", dossier_views.attachment_download, name="attachment"),
    # Chuyển khoản cần xử lý: VietQR transfers that did not match (finance role; transfer_views.py).
    path("chuyen-khoan/", transfer_views.transfer_queue, name="transfer_queue"),
    path("chuyen-khoan/<int:pk>/", transfer_views.transfer_item, name="transfer_item"),
    path("chuyen-khoan/<int:pk>/ghi-nhan/", transfer_views.transfer_apply, name="transfer_apply"),
    path("chuyen-khoan/<int:pk>/hoan-tra/", transfer_views.transfer_refund, name="transfer_refund"),
]
