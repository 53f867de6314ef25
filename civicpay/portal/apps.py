from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "civicpay.portal"
    label = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from civicpay.core.worker import register_periodic
        from civicpay.portal.dossier_wizard import held_files_purge_older_than

        # Files held between the submission steps of journeys abandoned for a day are deleted.
        register_periodic(
            "portal.purge_held_uploads", every_seconds=3600, func=lambda: held_files_purge_older_than(seconds=86400)
        )
