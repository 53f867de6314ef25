from django.urls import path

from civicpay.portal import debit_views, dossier_views, notice_views, payment_views, views

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
    # Paying a fee notice, the result page, the receipt; paying by dossier code without an account (engineer K).
    path("thanh-toan/thong-bao/<str:number>/", payment_views.payment_info, name="payment_info"),
    path("thanh-toan/thong-bao/<str:number>/chon-don-vi/", payment_views.payment_choose, name="payment_choose"),
    path("thanh-toan/thong-bao/<str:number>/bien-lai/", payment_views.receipt_print, name="receipt"),
    path("thanh-toan/thong-bao/<str:number>/bien-lai.xml", payment_views.receipt_xml_download, name="receipt_xml"),
    path("thanh-toan/giao-dich/<str:reference>/ma-qr/", payment_views.payment_qr, name="payment_qr"),
    path(
        "thanh-toan/giao-dich/<str:reference>/chi-dan/", payment_views.payment_instructions, name="payment_instructions"
    ),
    path("thanh-toan/ket-qua/", payment_views.payment_result, name="payment_result"),
    path("thanh-toan/theo-ma-ho-so/", payment_views.payment_by_code, name="payment_by_code"),
    # Organisations and VietinBank (engineer R, seed 002 §I): registration for automatic debit, several
    # dossiers paid at once ("Xem hồ sơ"), printed instructions to pay at a branch.
    path("thanh-toan-truc-tuyen/dang-ky/", debit_views.registrations, name="debit_registrations"),
    path(
        "thanh-toan-truc-tuyen/dang-ky/to-chuc/<int:organisation_id>/",
        debit_views.registration_new,
        name="debit_registration_new",
    ),
    path("thanh-toan-truc-tuyen/dang-ky/<str:reference>/", debit_views.registration_detail, name="debit_registration"),
    path(
        "thanh-toan-truc-tuyen/dang-ky/<str:reference>/phieu/",
        debit_views.registration_pdf,
        name="debit_registration_pdf",
    ),
    path(
        "thanh-toan-truc-tuyen/dang-ky/<str:reference>/huy/",
        debit_views.registration_cancel,
        name="debit_registration_cancel",
    ),
    path("xem-ho-so/", debit_views.org_dossiers, name="org_dossiers"),
    path("xem-ho-so/thanh-toan/", debit_views.org_pay, name="org_pay"),
    path("xem-ho-so/giao-dich/<str:reference>/", debit_views.org_payment, name="org_payment"),
    path(
        "xem-ho-so/giao-dich/<str:reference>/chi-dan/",
        debit_views.branch_instructions_pdf,
        name="org_payment_instructions_pdf",
    ),
]
