from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path: Path) -> Path:
    """Uploaded files go to a temporary directory, never the developer's var/private."""
    root = tmp_path / "private"
    root.mkdir()
    settings.PRIVATE_ROOT = root
    return root
