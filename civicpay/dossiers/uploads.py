"""Checking uploaded files by what they contain, not by what they are called.

A file named ``scan.pdf`` that is really a PNG is accepted and stored as a PNG; an executable
renamed ``.pdf`` is refused. Only the magic bytes decide; the browser's content type and the file
name are untrusted input.
"""

from __future__ import annotations

import hashlib

from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from civicpay.dossiers.errors import UploadRejected

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def validate_upload(file: UploadedFile) -> str:
    """Return the content type detected from the first bytes; raise ``UploadRejected`` otherwise."""
    name = file.name or ""
    size = file.size if file.size is not None else 0
    if size > MAX_UPLOAD_BYTES:
        raise UploadRejected(
            _("Tệp “%(name)s” lớn hơn %(limit)s.") % {"name": name, "limit": filesizeformat(MAX_UPLOAD_BYTES)}
        )
    if size == 0:
        raise UploadRejected(_("Tệp “%(name)s” rỗng.") % {"name": name})
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    for magic, content_type in _SIGNATURES:
        if head.startswith(magic):
            return content_type
    raise UploadRejected(_("Tệp “%(name)s” phải là PDF, JPEG hoặc PNG.") % {"name": name})


def sha256_of(file: UploadedFile) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()
