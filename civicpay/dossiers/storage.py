"""Private file storage for dossier attachments: under settings.PRIVATE_ROOT, never under STATIC_ROOT
or any URL the web server serves. Files reach a browser only through views that run the access
selectors (``attachment_get_for_applicant`` / ``attachment_get_for_officer``)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage

from civicpay.core import clock

if TYPE_CHECKING:
    from civicpay.dossiers.models import DossierAttachment

EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


class PrivateStorage(FileSystemStorage):
    """Reads PRIVATE_ROOT at each use, so tests that point it at a temporary directory are honoured."""

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_ROOT)

    @property
    def location(self) -> str:
        return str(Path(settings.PRIVATE_ROOT).resolve())

    def url(self, name: str | None) -> str:
        raise NotImplementedError("Private files have no public URL; serve them through an access-checked view")


def private_storage() -> PrivateStorage:
    return PrivateStorage()


def attachment_path(instance: DossierAttachment, filename: str, *args: Any) -> str:
    """``dossiers/<yyyy>/<mm>/<random>.<ext from detected content>``: the uploader's name is kept only
    as metadata, never as a path, so it cannot collide, traverse or reveal anything."""
    today = clock.local_today()
    extension = EXTENSIONS.get(instance.content_type, "")
    return f"dossiers/{today:%Y}/{today:%m}/{secrets.token_hex(16)}{extension}"
