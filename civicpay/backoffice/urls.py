from django.urls import path

from civicpay.backoffice import dossier_views, queue_views, receipt_views, transfer_views, views

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
    # Biên lai: find a receipt, see its documents, cancel or correct it (finance role; receipt_views.py).
    path("bien-lai/", receipt_views.receipt_list, name="receipts"),
    path("bien-lai/<int:pk>/", receipt_views.receipt_detail, name="receipt"),
    path("bien-lai/<int:pk>/huy/", receipt_views.receipt_action, {"action": "cancel"}, name="receipt_cancel"),
    path("bien-lai/<int:pk>/dieu-chinh/", receipt_views.receipt_action, {"action": "replace"}, name="receipt_replace"),
    path("bien-lai/<int:pk>/tai-lieu/<str:code>/", receipt_views.receipt_document, name="receipt_document"),
]
