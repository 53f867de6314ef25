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
