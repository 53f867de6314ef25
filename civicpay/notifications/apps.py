from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "civicpay.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from civicpay.core.worker import register_periodic
        from civicpay.notifications.tasks import outbox_sweep

        register_periodic("notifications.sweep", every_seconds=30, func=outbox_sweep)
