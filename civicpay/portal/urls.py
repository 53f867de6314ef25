from django.urls import path

from civicpay.portal import dossier_views, notice_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    # Dossiers (engineer F): submit in three steps, my dossiers, files, public lookup.
    path("nop-ho-so/", dossier_views.dossier_new, name="dossier_new"),
    path("nop-ho-so/thong-tin/", dossier_views.dossier_new_details, name="dossier_new_details"),
    path("nop-ho-so/kiem-tra/", dossier_views.dossier_new_check, name="dossier_new_check"),
    path("ho-so/", dossier_views.dossier_list, name="dossier_list"),
    path("ho-so/tep/<int:pk>/", dossier_views.attachment_download, name="attachment"),
    path("ho-so/<str:code>/", dossier_views.dossier_detail, name="dossier_detail"),
    path("ho-so/<str:code>/da-nop/", dossier_views.dossier_submitted, name="dossier_submitted"),
    path("ho-so/<str:code>/bo-sung/", dossier_views.dossier_provide_info, name="dossier_provide_info"),
    path("ho-so/<str:code>/rut/", dossier_views.dossier_withdraw_view, name="dossier_withdraw"),
    path("tra-cuu/", dossier_views.lookup, name="lookup"),
    # Fee notices and in-portal notifications (engineer F).
    path("thong-bao-thu-phi/", notice_views.fee_notices, name="fee_notices"),
    path("thong-bao-thu-phi/<str:number>/in/", notice_views.fee_notice_pdf, name="fee_notice_pdf"),
    path("thong-bao/", notice_views.notifications, name="notifications"),
    path("thong-bao/<int:pk>/da-doc/", notice_views.notification_read, name="notification_read"),
    path("thong-bao/da-doc-tat-ca/", notice_views.notifications_read_all, name="notifications_read_all"),
]
