"""The web application, when a server loads it, leaves the start-up objects out of garbage collection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from civicpay.core.process import GC_GEN0_THRESHOLD

PROBE = (
    "import gc, json; import {module}; "
    "print(json.dumps({{'threshold': gc.get_threshold()[0], 'frozen': gc.get_freeze_count()}}))"
)


def _loaded(module: str, tmp_path: Path) -> dict[str, int]:
    env = {
        **os.environ,
        "CIVICPAY_ENV": "embedded",
        "CIVICPAY_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_wsgi_and_asgi_applications_freeze_their_start_up_objects(tmp_path: Path) -> None:
    for module in ("civicpay.wsgi", "civicpay.asgi"):
        state = _loaded(module, tmp_path)
        assert state["threshold"] == GC_GEN0_THRESHOLD, module
        assert state["frozen"] > 50_000, module  # Django, every app and the libraries they import
