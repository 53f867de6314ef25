from django.apps import AppConfig


class VietinbankSandboxConfig(AppConfig):
    name = "civicpay.sandbox.vietinbank"
    label = "sandbox_vietinbank"
    verbose_name = "Sandbox: VietinBank"

    def ready(self) -> None:
        # Registers the gateway with the signed-protocol engine in every process (web and worker), so
        # the engine's notification tasks can sign VietinBank's messages.
        from civicpay.sandbox.vietinbank import bank  # noqa: F401
