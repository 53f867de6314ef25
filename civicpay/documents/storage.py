"""Where issued documents live: under settings.PRIVATE_ROOT/documents/, never under a URL the web server
serves. Read through ``civicpay.documents.services.document_read`` (which checks the stored hash)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class DocumentStorage(FileSystemStorage):
    """Reads PRIVATE_ROOT at each use, so tests that point it at a temporary directory are honoured."""

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_ROOT)

    @property
    def location(self) -> str:
        return str(Path(settings.PRIVATE_ROOT).resolve())

    def url(self, name: str | None) -> str:
        raise NotImplementedError("Issued documents have no public URL; serve them through an access-checked view")


def document_storage() -> DocumentStorage:
    return DocumentStorage()
