from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from civicpay.core import views as core_views

urlpatterns = [
    # Health (civicpay/core/health.py, docs/operations.md "Monitoring"): liveness, readiness, every check.
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("status", core_views.status, name="health_status"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("tai-khoan/", include("civicpay.accounts.urls")),
    path("can-bo/", include("civicpay.backoffice.urls")),
    path("dia-gioi/", include("civicpay.directory.urls")),
    path("thanh-toan/", include("civicpay.payments.urls")),
    path("tai-lieu/", include("civicpay.documents.urls")),
    path("", include("civicpay.portal.urls")),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.insert(0, path("sandbox/", include("civicpay.sandbox.urls")))
