from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "civicpay.accounts"
    label = "accounts"
    verbose_name = "Accounts"
