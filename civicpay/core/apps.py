from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "civicpay.core"
    label = "core"
    verbose_name = "Core"
