from django.apps import AppConfig


class DossiersConfig(AppConfig):
    name = "civicpay.dossiers"
    label = "dossiers"
    verbose_name = "Dossiers"
