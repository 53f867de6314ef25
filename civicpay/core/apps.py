from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "civicpay.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from civicpay.core.health import database_check, register_check, tasks_check, workers_check

        # Health checks (civicpay/core/health.py); the apps add those of the queues they own.
        register_check("database", database_check)
        register_check("workers", workers_check)
        register_check("tasks", tasks_check)
