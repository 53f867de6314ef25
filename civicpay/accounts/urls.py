from django.urls import path

from civicpay.accounts import views

app_name = "accounts"
urlpatterns = [
    path("dang-nhap/", views.LoginView.as_view(), name="login"),
    path("dang-xuat/", views.LogoutView.as_view(), name="logout"),
    path("dang-ky/", views.register, name="register"),
    path("dang-ky/ca-nhan/", views.register_citizen, name="register_citizen"),
    path("dang-ky/to-chuc/", views.register_organisation, name="register_organisation"),
    path("dang-ky/kiem-tra-hop-thu/", views.register_done, name="register_done"),
    path("kich-hoat/<str:token>/", views.activate, name="activate"),
    path("gui-lai-kich-hoat/", views.resend_activation, name="resend_activation"),
    path("quen-mat-khau/", views.PasswordResetView.as_view(), name="password_reset"),
    path("quen-mat-khau/da-gui/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "dat-lai-mat-khau/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("dat-lai-mat-khau/xong/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path(
        "to-chuc/<int:organisation_id>/nguoi-dai-dien/",
        views.organisation_add_member,
        name="organisation_add_member",
    ),
]
