from django.apps import AppConfig


class SandboxBankConfig(AppConfig):
    name = "civicpay.sandbox.bank"
    label = "sandbox_bank"
    verbose_name = "Sandbox bank"
    default_auto_field = "django.db.models.BigAutoField"
