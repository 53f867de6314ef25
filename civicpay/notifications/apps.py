from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "civicpay.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from civicpay.core.worker import register_periodic
        from civicpay.notifications.delivery import outbox_deliver_due, outbox_sweep

        # The outbox is the delivery queue (decision 0014): every worker drains the due messages.
        register_periodic("notifications.deliver", every_seconds=0.2, func=outbox_deliver_due, drains=True)
        register_periodic("notifications.sweep", every_seconds=30, func=outbox_sweep)
        # Health check of the outbox (civicpay/notifications/health.py).
        from civicpay.core.health import register_check
        from civicpay.notifications.health import outbox_check

        register_check("notifications.outbox", outbox_check)
