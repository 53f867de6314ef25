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
        # Forgets signed-gateway nonces older than the replay window (civicpay/payments/replay.py).
        from civicpay.payments.replay import nonces_prune

        register_periodic("payments.prune_nonces", every_seconds=600, func=nonces_prune)
        # Settles the successes waiting for it: fee notices, dossiers, receipts, the payer's messages
        # (settlement.py). Again at once while it finds work; otherwise every 0.2 s or the worker's interval.
        from civicpay.payments.settlement import payments_settle_pending

        register_periodic("payments.settle", every_seconds=0.2, func=payments_settle_pending, drains=True)
        # Health checks of the payment queues (civicpay/payments/health.py).
        from civicpay.core.health import register_check
        from civicpay.payments.health import overdue_check, reconciliation_check, settlement_check

        register_check("payments.settlement", settlement_check)
        register_check("payments.overdue", overdue_check)
        register_check("payments.reconciliation", reconciliation_check)
