"""Delivery errors, split the way every transport must split them: try again later, or give up now."""

from __future__ import annotations


class DeliveryError(Exception):
    """A transport could not deliver a message."""


class RetryableDeliveryError(DeliveryError):
    """Worth another try later: timeouts, refused connections, 5xx answers, 4xx SMTP replies."""


class FinalDeliveryError(DeliveryError):
    """Trying again cannot help: invalid recipient, rejected request (4xx HTTP, 5xx SMTP)."""
