from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "civicpay.billing"
    label = "billing"
    verbose_name = "Billing"
