from django.apps import AppConfig


class DossiersConfig(AppConfig):
    name = "civicpay.dossiers"
    label = "dossiers"
    verbose_name = "Dossiers"

    def ready(self) -> None:
        # Billing settles payment requests without knowing dossiers; it calls this handler instead.
        from civicpay.billing.registry import register_owner
        from civicpay.dossiers.billing_owner import DossierPaymentOwner

        register_owner("dossier", DossierPaymentOwner())
