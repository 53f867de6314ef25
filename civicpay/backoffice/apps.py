from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "civicpay.backoffice"
    label = "backoffice"
    verbose_name = "Backoffice"
