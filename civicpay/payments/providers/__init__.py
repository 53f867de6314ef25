"""Provider adapters: one module per payment intermediary (see ARCHITECTURE.md, "Provider adapters").

The ``*_protocol`` modules are pure: they build and check the provider's messages and know nothing of
Django models, so they can be tested against published vectors and reused by the sandbox's own tests.
"""


def load_builtin_providers() -> None:
    """Register the adapters shipped with CivicPay (called from ``PaymentsConfig.ready``).

    Kept out of module import so that importing a pure ``*_protocol`` module (the sandbox does)
    never pulls in Django-dependent adapter code.
    """
    from civicpay.payments.providers.base import register_provider
    from civicpay.payments.providers.vnpay import VnpayProvider

    register_provider(VnpayProvider.code, VnpayProvider)

    from civicpay.payments.providers.national import NationalPlatformProvider
    from civicpay.payments.providers.viettelpay import ViettelPayProvider

    register_provider(ViettelPayProvider.code, ViettelPayProvider)
    register_provider(NationalPlatformProvider.code, NationalPlatformProvider)

    from civicpay.payments.providers.vietinbank import VietinbankProvider

    register_provider(VietinbankProvider.code, VietinbankProvider)

    from civicpay.payments.providers.vietqr_transfer import VietqrTransferProvider

    register_provider(VietqrTransferProvider.code, VietqrTransferProvider)

    from civicpay.payments.providers.momo import MomoProvider

    register_provider(MomoProvider.code, MomoProvider)
