"""Suite-wide fixtures. App fixtures live beside their tests (civicpay/<app>/tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_files_in_tmp(settings: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Uploaded and issued files go to a temporary directory, never into the demo's var/private."""
    root = tmp_path_factory.mktemp("private")
    settings.PRIVATE_ROOT = root  # type: ignore[attr-defined]
    settings.MEDIA_ROOT = root  # type: ignore[attr-defined]
    return root
