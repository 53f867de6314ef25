from django.urls import path

from civicpay.documents import views

app_name = "documents"

urlpatterns = [
    path("kiem-tra/", views.verify, name="verify"),
    path("kiem-tra/<str:code>/", views.verify_code, name="verify_code"),
    path("chung-thu-goc.<str:encoding>", views.root_certificate, name="root_certificate"),
]
