from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "civicpay.notifications"
    label = "notifications"
    verbose_name = "Notifications"
