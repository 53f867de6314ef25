"""Issuing documents: render → lookup code and QR on the page → PAdES signature → stored once.

``document_issue`` is the one way a document comes into being; ``document_issue_once`` is the idempotent
form for "the fee notice of this request", "the receipt of this payment". Domain apps call them with their
own template and context; this app never imports them (it knows an owner only as ``owner_kind`` +
``owner_id``, like billing's registry).

The slow part (render and sign, tens of milliseconds) runs before the database transaction, so a write
lock is held only for the insert. The lookup code is drawn first, so the page is rendered once with its
own code and QR.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from civicpay.core import clock
from civicpay.core.audit import audit_record
from civicpay.documents import ca, signing
from civicpay.documents.codes import format_lookup_code, new_lookup_code
from civicpay.documents.errors import DocumentAlreadyIssued, DocumentAlreadyReplaced, DocumentCorrupted
from civicpay.documents.models import PLATFORM_ISSUER, DocumentKind, IssuedDocument, ReplacementKind
from civicpay.documents.pdf import qr_svg_data_uri, render_pdf
from civicpay.documents.selectors import document_current_for_owner
from civicpay.documents.storage import document_storage
from civicpay.documents.types import DocumentSummary

_CODE_ATTEMPTS = 5


def document_verify_url(lookup_code: str) -> str:
    """The public verification URL printed (and QR-encoded) on a document."""
    return settings.BASE_URL + reverse("documents:verify_code", args=[lookup_code])


def _document_context(*, lookup_code: str, kind: str, issuer_name: str) -> dict[str, Any]:
    verify_url = document_verify_url(lookup_code)
    return {
        "lookup_code": lookup_code,
        "lookup_code_display": format_lookup_code(lookup_code),
        "verify_url": verify_url,
        "verify_base_url": settings.BASE_URL + reverse("documents:verify"),
        "qr_data_uri": qr_svg_data_uri(verify_url),
        "kind_label": DocumentKind(kind).label,
        "issuer_name": issuer_name,
    }


def _storage_name(lookup_code: str) -> str:
    today = clock.local_today()
    return f"documents/{today:%Y}/{today:%m}/{lookup_code}.pdf"


def document_issue(
    *,
    kind: str,
    template_name: str,
    context: dict[str, Any],
    issuer_agency_code: str | None,
    owner_kind: str,
    owner_id: int,
    summary: DocumentSummary,
    replaces: IssuedDocument | None = None,
    replacement: str = ReplacementKind.REPLACE,
    reason: str = "",
    by: Any = None,
) -> IssuedDocument:
    """Render ``template_name`` (extending documents/print_base.html) to PDF, print a fresh lookup code and
    its QR on it, sign it PAdES with the issuer's certificate (an agency by code, or the platform when
    ``issuer_agency_code`` is None), store it once and return it.

    An owner has at most one current document of a kind: issuing another raises DocumentAlreadyIssued
    unless it ``replaces`` the current one (``replacement``: REPLACE or CANCEL, with a ``reason``); the old
    document stays, marked as no longer current.
    """
    kind = DocumentKind(kind).value
    if replaces is not None and (replaces.kind, replaces.owner_kind, replaces.owner_id) != (kind, owner_kind, owner_id):
        raise ValueError("A document can only replace a document of the same kind and owner")
    certificate = ca.signer_certificate(issuer_agency_code)
    issuer_code = issuer_agency_code or PLATFORM_ISSUER
    for _attempt in range(_CODE_ATTEMPTS):
        lookup_code = new_lookup_code()
        if IssuedDocument.objects.filter(lookup_code=lookup_code).exists():
            continue
        issued_at = clock.now()
        full_context = {
            **context,
            "document": _document_context(lookup_code=lookup_code, kind=kind, issuer_name=summary.issuer_name),
        }
        pdf = signing.sign_pdf(
            render_pdf(template_name, full_context),
            certificate=certificate,
            signed_at=issued_at,
            reason=summary.title,
        )
        try:
            return _store(
                kind=kind,
                pdf=pdf,
                lookup_code=lookup_code,
                issued_at=issued_at,
                certificate=certificate,
                issuer_code=issuer_code,
                owner_kind=owner_kind,
                owner_id=owner_id,
                summary=summary,
                replaces=replaces,
                replacement=replacement,
                reason=reason,
                by=by,
            )
        except IntegrityError:
            if IssuedDocument.objects.filter(lookup_code=lookup_code).exists():
                continue  # a concurrent issue drew the same code (one chance in ~10^17): draw again
            if document_current_for_owner(kind=kind, owner_kind=owner_kind, owner_id=owner_id) is not None:
                raise DocumentAlreadyIssued(f"{owner_kind}#{owner_id} already has a current {kind}") from None
            raise
    raise RuntimeError("Could not allocate a unique lookup code")


def _store(
    *,
    kind: str,
    pdf: bytes,
    lookup_code: str,
    issued_at: Any,
    certificate: Any,
    issuer_code: str,
    owner_kind: str,
    owner_id: int,
    summary: DocumentSummary,
    replaces: IssuedDocument | None,
    replacement: str,
    reason: str,
    by: Any,
) -> IssuedDocument:
    storage = document_storage()
    name = storage.save(_storage_name(lookup_code), ContentFile(pdf))
    try:
        with transaction.atomic():
            if replaces is not None:
                locked = IssuedDocument.objects.select_for_update().get(pk=replaces.pk)
                if not locked.is_current:
                    raise DocumentAlreadyReplaced(f"Document {locked.lookup_code} is no longer current")
                IssuedDocument.objects.filter(pk=locked.pk).update(is_current=False, superseded_at=issued_at)
            document = IssuedDocument.objects.create(
                lookup_code=lookup_code,
                kind=kind,
                file=name,
                sha256=hashlib.sha256(pdf).hexdigest(),
                size=len(pdf),
                issuer_code=issuer_code,
                issuer_name=summary.issuer_name,
                certificate=certificate,
                owner_kind=owner_kind,
                owner_id=owner_id,
                title=summary.title,
                document_date=summary.document_date,
                amount=summary.amount,
                reference=summary.reference,
                issued_at=issued_at,
                replaces=replaces,
                replacement_kind=ReplacementKind(replacement).value if replaces is not None else "",
                replacement_reason=reason if replaces is not None else "",
            )
            audit_record(
                actor=by,
                action="documents.issue",
                target=document,
                after={
                    "kind": kind,
                    "lookup_code": lookup_code,
                    "sha256": document.sha256,
                    "owner": f"{owner_kind}#{owner_id}",
                    "certificate": certificate.serial_number,
                    "replaces": replaces.lookup_code if replaces is not None else None,
                },
                note=reason,
            )
    except BaseException:
        # No row points at the file; a caller's outer transaction rolling back later can still leave an
        # unreferenced file behind, which is harmless (docs/documents.md).
        storage.delete(name)
        raise
    return document


def document_issue_once(*, kind: str, owner_kind: str, owner_id: int, **issue: Any) -> IssuedDocument:
    """The owner's current document of ``kind``, issuing it first if there is none. Safe under
    concurrency: of two simultaneous first calls, one issues and the other returns that document."""
    existing = document_current_for_owner(kind=kind, owner_kind=owner_kind, owner_id=owner_id)
    if existing is not None:
        return existing
    try:
        return document_issue(kind=kind, owner_kind=owner_kind, owner_id=owner_id, **issue)
    except DocumentAlreadyIssued:
        existing = document_current_for_owner(kind=kind, owner_kind=owner_kind, owner_id=owner_id)
        assert existing is not None
        return existing


def document_read(document: IssuedDocument) -> bytes:
    """The stored bytes of ``document``, after checking them against the hash recorded at issue."""
    with document.file.open("rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != document.sha256:
        raise DocumentCorrupted(f"Stored file of document {document.lookup_code} does not match its hash")
    return data
