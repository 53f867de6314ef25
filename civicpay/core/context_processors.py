from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SUPPORT_HOTLINE": settings.SUPPORT_HOTLINE,
        "SANDBOX_ENABLED": settings.SANDBOX_ENABLED,
    }
