from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "civicpay.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from civicpay.billing.payables import PAYABLE_KIND, BillingPayable
        from civicpay.billing.services import payment_request_expire_overdue
        from civicpay.core import clock
        from civicpay.core.worker import register_periodic
        from civicpay.payments.registry import register_payable

        # Payments settles payment requests through this handler (payments never imports billing).
        register_payable(PAYABLE_KIND, BillingPayable())

        # Fee notices past their due date stop being payable; the owner (e.g. the dossier) is told.
        register_periodic(
            "billing.expire_overdue_requests",
            every_seconds=3600,
            func=lambda: payment_request_expire_overdue(today=clock.local_today()),
        )
