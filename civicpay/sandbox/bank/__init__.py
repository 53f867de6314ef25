"""The sandbox bank: a receiving bank that reports incoming transfers to the platform (VietQR).

Its own Django app (label ``sandbox_bank``) so that its tables live with it; installed and mounted
only when ``SANDBOX_ENABLED``. It speaks to the platform over HTTP only (docs/protocols/vietqr.md, "Sandbox bank").
"""
