from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "civicpay.documents"
    label = "documents"
    verbose_name = "Documents"
