from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "civicpay.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from civicpay.core.worker import register_periodic
        from civicpay.payments.providers import load_builtin_providers
        from civicpay.payments.services import payments_sweep

        load_builtin_providers()
        # Queries the provider about payments stuck in started/submitted, then expires overdue ones.
        register_periodic("payments.sweep", every_seconds=60, func=payments_sweep)
