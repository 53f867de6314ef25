from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DocumentSummary:
    """What the public verification page shows about a document: only what is printed on it, and nothing
    personal (no payer name, phone or address)."""

    title: str
    issuer_name: str
    document_date: date
    amount: int | None = None  # integer VND, or None for documents without an amount (contracts, forms)
    reference: str = ""  # the document's own number, e.g. the fee notice number
