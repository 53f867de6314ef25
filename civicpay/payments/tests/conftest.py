from __future__ import annotations

import pytest

from civicpay.payments.registry import register_payable
from civicpay.payments.tests.helpers import TEST_KIND, RecordingPayable


@pytest.fixture
def payable() -> RecordingPayable:
    """A payable kind that behaves like billing's (paid once, then refuses), without billing."""
    handler = RecordingPayable()
    register_payable(TEST_KIND, handler)
    return handler
