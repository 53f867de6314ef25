from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "civicpay.portal"
    label = "portal"
    verbose_name = "Portal"
