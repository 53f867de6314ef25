from django.urls import path

from civicpay.backoffice import dossier_views, queue_views, views

app_name = "backoffice"
urlpatterns = [
    path("", views.home, name="home"),
    path("tiep-nhan-qua-mang/", queue_views.queue, name="queue"),
    path("yeu-cau-thanh-toan/", queue_views.request_payment, name="request_payment"),
    path("yeu-cau-thanh-toan/kiem-tra/", queue_views.request_payment_confirm, name="request_payment_confirm"),
    path("ho-so/<int:pk>/", dossier_views.dossier_detail, name="dossier"),
    path("ho-so/<int:pk>/<str:action>/", dossier_views.dossier_action, name="dossier_action"),
    path("tep/<int:pk>/", dossier_views.attachment_download, name="attachment"),
]
