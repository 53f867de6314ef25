from django.urls import path

from civicpay.directory import views

app_name = "directory"

urlpatterns = [
    path("phuong-xa/", views.ward_list, name="wards"),
    path("tim-kiem/", views.place_search, name="place_search"),
]
