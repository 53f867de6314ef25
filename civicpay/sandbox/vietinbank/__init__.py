"""The VietinBank sandbox: card payments with OTP, organisations' debit registrations approved at a teller
page, automatic debits, and payment codes taken at the counter (docs/protocols/vietinbank.md).

Its own Django app (label ``sandbox_vietinbank``) so its tables and migrations stay apart from the other
simulators'; installed only when ``SANDBOX_ENABLED``, like ``civicpay.sandbox``.
"""
