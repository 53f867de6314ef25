"""Provider adapters: one module per payment intermediary (see ARCHITECTURE.md, "Provider adapters").

The ``*_protocol`` modules are pure: they build and check the provider's messages and know nothing of
Django models, so they can be tested against published vectors and reused by the sandbox's own tests.
"""
