"""Loaded by pytest before Django settings (``-p`` in pyproject): the suite always runs the test profile."""

import os

os.environ["CIVICPAY_ENV"] = "test"
