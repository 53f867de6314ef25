from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from civicpay.documents.codes import normalize_lookup_code
from civicpay.documents.models import IssuedDocument, ReplacementKind


def document_get_by_lookup_code(code: str) -> IssuedDocument | None:
    """The document with lookup code ``code`` as a person typed it (any case, dashes, spaces)."""
    normalized = normalize_lookup_code(code)
    if normalized is None:
        return None
    return IssuedDocument.objects.select_related("replaces").filter(lookup_code=normalized).first()


def document_current_for_owner(*, kind: str, owner_kind: str, owner_id: int) -> IssuedDocument | None:
    return IssuedDocument.objects.filter(kind=kind, owner_kind=owner_kind, owner_id=owner_id, is_current=True).first()


class PublicState:
    CURRENT = "current"
    REPLACED = "replaced"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class PublicDocument:
    """What the verification page may show: what is printed on the document, and its standing."""

    lookup_code: str
    kind_label: str
    title: str
    issuer_name: str
    document_date: date
    issued_at: datetime
    amount: int | None
    reference: str
    state: str
    superseded_at: datetime | None
    replaces_lookup_code: str
    replaces_is_cancellation: bool
    # The document that replaced or cancelled this one (empty while it is current).
    successor_lookup_code: str = ""


def document_public_view(document: IssuedDocument) -> PublicDocument:
    state = PublicState.CURRENT
    successor = None
    if not document.is_current:
        successor = document.replaced_by.order_by("issued_at").first()
        cancelled = successor is not None and successor.replacement_kind == ReplacementKind.CANCEL
        state = PublicState.CANCELLED if cancelled else PublicState.REPLACED
    return PublicDocument(
        lookup_code=document.lookup_code_display,
        kind_label=str(document.get_kind_display()),
        title=document.title,
        issuer_name=document.issuer_name,
        document_date=document.document_date,
        issued_at=document.issued_at,
        amount=document.amount,
        reference=document.reference,
        state=state,
        superseded_at=document.superseded_at,
        replaces_lookup_code=document.replaces.lookup_code_display if document.replaces else "",
        replaces_is_cancellation=document.replacement_kind == ReplacementKind.CANCEL,
        successor_lookup_code=successor.lookup_code_display if successor is not None else "",
    )
