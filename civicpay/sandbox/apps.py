from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "civicpay.sandbox"
    label = "sandbox"
    verbose_name = "Sandbox"
