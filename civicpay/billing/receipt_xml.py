"""The XML e-receipt (biên lai điện tử): the receipt's data, signed XMLDSig by the collecting agency.

Structured like the tax authority's e-invoice / e-receipt data (Decision 1510/QĐ-TCT style):

    <BienLai>
      <DLBLai>                     the data
        <TTChung>                  general info: MauSo, KyHieu, SoBienLai, NLap, DVTTe=VND, MaTraCuu …
                                   and, for a replacement, TTBLLQuan: the receipt it replaces and why
        <NDBLai>                   content: NBan (agency + MST), NMua (payer), ND, DSKThu/KThu lines,
                                   TToan (total in figures and words), TTTToan (payment method, reference)
      </DLBLai>
      <ds:Signature>               XMLDSig, enveloped, RSA-SHA256, with the agency's certificate chain
    </BienLai>

    <HuyBienLai>                   the notice that a receipt is cancelled (like form 04/SS-HĐĐT, TCTBao=1)
      <DLHuy>
        <TTChung>                  PBan, TTBao, TCTBao=1, NHuy, TDHuy, MaTraCuu (its own lookup code)
        <NBan>                     the agency
        <BLHuy>                    the cancelled receipt: MauSo, KyHieu, SoBienLai, NLap, MaTraCuu, total
        <LDo>                      the reason
      </DLHuy>
      <ds:Signature>
    </HuyBienLai>

Every document is validated against ``schemas/ereceipt.xsd`` (our schema, to be replaced by the Ministry
of Finance's official one, see docs/documents.md) before it is stored. The stored document is an
``IssuedDocument`` (``media_type`` application/xml, kind ``receipt``, owner ``billing.receipt_xml`` +
the id of the payment request's first receipt, like the PDFs: see ``receipts.receipt_original``),
written once through the documents app's storage with its own lookup code; later downloads return the
same bytes, checked against the stored hash. A replacement receipt's XML ``replaces`` the XML of the
receipt it corrects (``REPLACE``); a cancellation notice ``replaces`` the cancelled receipt's XML
(``CANCEL``). Nothing is ever changed or deleted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from lxml import etree
from signxml import XMLSigner
from signxml.algorithms import DigestAlgorithm, SignatureConstructionMethod, SignatureMethod

from civicpay.billing.errors import BillingError
from civicpay.billing.models import Receipt
from civicpay.billing.receipts import (
    REASON_MAX,
    receipt_chain_documents,
    receipt_document_filename,
    receipt_original,
    receipt_reference,
    receipt_version_document,
)
from civicpay.core import clock
from civicpay.core.audit import audit_record
from civicpay.core.money import vnd_in_words

SCHEMA_VERSION = "1.1.0"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "ereceipt.xsd"
XML_MEDIA_TYPE = "application/xml"
RECEIPT_XML_OWNER_KIND = "billing.receipt_xml"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"

# Line kinds as printed (FeeKind labels; copied here so the XML never depends on translations).
_KIND_LABELS = {"fee": "Phí", "charge": "Lệ phí", "financial_obligation": "Nghĩa vụ tài chính"}
# TCBLai (tính chất biên lai) of a replacement and TCTBao (tính chất thông báo) of a cancellation, as the
# tax authority's TCHDon = 1 (thay thế) and 04/SS-HĐĐT TCTBao = 1 (hủy).
_REPLACEMENT = "1"
_CANCELLATION = "1"

_schema: etree.XMLSchema | None = None


class ReceiptXmlInvalid(BillingError):
    """The generated e-receipt does not validate against the schema (a bug or missing data)."""


def receipt_xml_schema() -> etree.XMLSchema:
    global _schema
    if _schema is None:
        _schema = etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))
    return _schema


def receipt_xml_validate(data: bytes | etree._Element) -> None:
    """Raise ``ReceiptXmlInvalid`` unless ``data`` validates against ``schemas/ereceipt.xsd`` (an
    e-receipt ``<BienLai>`` or a cancellation notice ``<HuyBienLai>``)."""
    root = etree.fromstring(data) if isinstance(data, bytes) else data
    schema = receipt_xml_schema()
    if not schema.validate(root):
        errors = "; ".join(f"line {e.line}: {e.message}" for e in schema.error_log)
        raise ReceiptXmlInvalid(f"E-receipt does not match the schema: {errors}")


def _sub(parent: etree._Element, tag: str, text: Any = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = str(text)
    return element


def _payer_tax_code(receipt: Receipt) -> str:
    organisation = receipt.payment_request.payer_organisation
    return organisation.tax_code if organisation is not None else ""


def _require_tax_code(receipt: Receipt) -> None:
    if not receipt.agency.tax_code:
        raise BillingError(_("Cơ quan thu chưa khai báo mã số thuế nên chưa lập được biên lai điện tử."))


def _seller(parent: etree._Element, receipt: Receipt) -> None:
    agency = receipt.agency
    seller = _sub(parent, "NBan")
    _sub(seller, "Ten", agency.name)
    _sub(seller, "MST", agency.tax_code)
    _sub(seller, "DChi", agency.address)
    _sub(seller, "MaCQ", agency.code)


def _receipt_reference(parent: etree._Element, receipt: Receipt, *, lookup_code: str) -> None:
    """MauSo, KyHieu, SoBienLai, NLap (and MaTraCuu) of another receipt (``BLaiLQuanType``)."""
    _sub(parent, "MauSo", receipt.template_code)
    _sub(parent, "KyHieu", receipt.series)
    _sub(parent, "SoBienLai", receipt.number_display)
    _sub(parent, "NLap", clock.local(receipt.issued_at).date().isoformat())
    if lookup_code:
        _sub(parent, "MaTraCuu", lookup_code)


def receipt_xml_tree(receipt: Receipt, *, lookup_code: str = "", replaced_lookup_code: str = "") -> etree._Element:
    """The unsigned ``<BienLai>`` of ``receipt``; for a replacement, with the receipt it replaces
    (``replaced_lookup_code``: the lookup code of that receipt's XML, if it has one)."""
    _require_tax_code(receipt)
    issued_at = clock.local(receipt.issued_at)
    root = etree.Element("BienLai")
    data = _sub(root, "DLBLai")

    general = _sub(data, "TTChung")
    _sub(general, "PBan", SCHEMA_VERSION)
    _sub(general, "TBLai", "Biên lai thu phí, lệ phí")
    _sub(general, "MauSo", receipt.template_code)
    _sub(general, "KyHieu", receipt.series)
    _sub(general, "SoBienLai", receipt.number_display)
    _sub(general, "NLap", issued_at.date().isoformat())
    _sub(general, "TDLap", issued_at.isoformat(timespec="seconds"))
    _sub(general, "DVTTe", "VND")
    if lookup_code:
        _sub(general, "MaTraCuu", lookup_code)
    if receipt.owner_reference:
        _sub(general, "MaHSo", receipt.owner_reference)
    if receipt.replaces is not None:
        related = _sub(general, "TTBLLQuan")
        _receipt_reference(related, receipt.replaces, lookup_code=replaced_lookup_code)
        _sub(related, "TCBLai", _REPLACEMENT)
        _sub(related, "LDo", receipt.replace_reason)

    content = _sub(data, "NDBLai")
    _seller(content, receipt)
    buyer = _sub(content, "NMua")
    _sub(buyer, "Ten", receipt.payer_name)
    tax_code = _payer_tax_code(receipt)
    if tax_code:
        _sub(buyer, "MST", tax_code)
    if receipt.payer_address:
        _sub(buyer, "DChi", receipt.payer_address)
    _sub(content, "ND", receipt.description)
    lines = _sub(content, "DSKThu")
    for position, line in enumerate(receipt.lines, start=1):
        item = _sub(lines, "KThu")
        _sub(item, "STT", position)
        _sub(item, "LKThu", line["kind"])
        _sub(item, "TLKThu", _KIND_LABELS.get(line["kind"], line.get("label", line["kind"])))
        _sub(item, "ND", line["description"])
        _sub(item, "STien", int(line["amount"]))
    totals = _sub(content, "TToan")
    _sub(totals, "TgTTTBSo", receipt.amount)
    _sub(totals, "TgTTTBChu", vnd_in_words(receipt.amount))
    payment = _sub(content, "TTTToan")
    _sub(payment, "HTTToan", receipt.payment_method)
    _sub(payment, "DVTGTToan", receipt.payment_provider)
    _sub(payment, "MaGDich", receipt.payment_reference)
    if receipt.provider_transaction_no:
        _sub(payment, "MaGDCong", receipt.provider_transaction_no)
    _sub(payment, "TDTToan", clock.local(receipt.paid_at).isoformat(timespec="seconds"))
    return root


def receipt_cancellation_xml_tree(
    receipt: Receipt, *, lookup_code: str, cancelled_at: datetime, reason: str, cancelled_lookup_code: str
) -> etree._Element:
    """The unsigned ``<HuyBienLai>``: ``receipt`` (whose XML has ``cancelled_lookup_code``) is cancelled."""
    _require_tax_code(receipt)
    local = clock.local(cancelled_at)
    root = etree.Element("HuyBienLai")
    data = _sub(root, "DLHuy")
    general = _sub(data, "TTChung")
    _sub(general, "PBan", SCHEMA_VERSION)
    _sub(general, "TTBao", "Thông báo hủy biên lai điện tử")
    _sub(general, "TCTBao", _CANCELLATION)
    _sub(general, "NHuy", local.date().isoformat())
    _sub(general, "TDHuy", local.isoformat(timespec="seconds"))
    _sub(general, "MaTraCuu", lookup_code)
    _seller(data, receipt)
    cancelled = _sub(data, "BLHuy")
    _receipt_reference(cancelled, receipt, lookup_code=cancelled_lookup_code)
    if receipt.owner_reference:
        _sub(cancelled, "MaHSo", receipt.owner_reference)
    _sub(cancelled, "TgTTTBSo", receipt.amount)
    _sub(data, "LDo", reason)
    return root


def _sign(root: etree._Element, *, agency_code: str) -> tuple[etree._Element, Any]:
    from civicpay.documents import ca

    certificate = ca.signer_certificate(agency_code)
    chain = [
        ca.load_certificate(c).public_bytes(serialization.Encoding.PEM).decode("ascii")
        for c in ca.chain_for(certificate)
    ]
    signer = XMLSigner(
        method=SignatureConstructionMethod.enveloped,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
    )
    signed = signer.sign(root, key=ca.load_private_key(certificate), cert=chain)
    return signed, certificate


def _signed_bytes(root: etree._Element, *, agency_code: str) -> tuple[bytes, Any]:
    """Validate ``root``, sign it with the agency's key, validate again; the bytes and the certificate."""
    receipt_xml_validate(root)
    signed, certificate = _sign(root, agency_code=agency_code)
    receipt_xml_validate(signed)
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8"), certificate


def receipt_xml(receipt: Receipt, *, lookup_code: str = "") -> bytes:
    """The e-receipt of ``receipt``: built, signed by its agency (XMLDSig enveloped, RSA-SHA256) and
    validated against the schema. Not stored; see :func:`receipt_xml_document`."""
    return _signed_bytes(receipt_xml_tree(receipt, lookup_code=lookup_code), agency_code=receipt.agency.code)[0]


def _store(
    *,
    receipt: Receipt,
    build: Callable[[str], etree._Element],
    title: str,
    replaces: Any,
    replacement: str,
    reason: str,
    by: Any,
    action: str,
    existing: Callable[[], Any],
) -> Any:
    """Build (``build(lookup_code)``), sign and store one XML document of ``receipt``'s chain, written
    once like the PDFs (``documents.services``): the file first, then in one transaction the replaced
    document loses ``is_current``, the row is inserted and audited. A concurrent twin (unique index on
    the current document) makes the loser return ``existing()``."""
    from civicpay.documents.codes import new_lookup_code
    from civicpay.documents.errors import DocumentAlreadyReplaced
    from civicpay.documents.models import DocumentKind, IssuedDocument
    from civicpay.documents.storage import document_storage

    lookup_code = new_lookup_code()
    data, certificate = _signed_bytes(build(lookup_code), agency_code=receipt.agency.code)
    storage = document_storage()
    today = clock.local_today()
    name = storage.save(f"documents/{today:%Y}/{today:%m}/{lookup_code}.xml", ContentFile(data))
    issued_at = clock.now()
    try:
        with transaction.atomic():
            if replaces is not None:
                locked = IssuedDocument.objects.select_for_update().get(pk=replaces.pk)
                if not locked.is_current:
                    raise DocumentAlreadyReplaced(f"Document {locked.lookup_code} is no longer current")
                IssuedDocument.objects.filter(pk=locked.pk).update(is_current=False, superseded_at=issued_at)
            document = IssuedDocument.objects.create(
                lookup_code=lookup_code,
                kind=DocumentKind.RECEIPT,
                file=name,
                media_type=XML_MEDIA_TYPE,
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
                issuer_code=receipt.agency.code,
                issuer_name=receipt.agency.name,
                certificate=certificate,
                owner_kind=RECEIPT_XML_OWNER_KIND,
                owner_id=receipt_original(receipt).pk,
                title=title[:255],
                document_date=clock.local(receipt.issued_at).date(),
                amount=receipt.amount,
                reference=receipt_reference(receipt),
                issued_at=issued_at,
                replaces=replaces,
                replacement_kind=replacement if replaces is not None else "",
                replacement_reason=reason[:REASON_MAX] if replaces is not None else "",
            )
            audit_record(
                actor=by,
                action=action,
                target=receipt,
                after={
                    "lookup_code": lookup_code,
                    "sha256": document.sha256,
                    "certificate": certificate.serial_number,
                    "replaces": replaces.lookup_code if replaces is not None else None,
                },
                note=reason,
            )
    except (IntegrityError, DocumentAlreadyReplaced):
        storage.delete(name)
        twin = existing()
        if twin is None:
            raise
        return twin
    except BaseException:
        storage.delete(name)
        raise
    return document


def receipt_xml_document(receipt: Receipt) -> Any:
    """The stored e-receipt of ``receipt`` (an ``IssuedDocument``), issuing it on first call. Immutable:
    every later call returns the same document; concurrent first calls end with one. A replacement's
    e-receipt replaces the e-receipt of the receipt it corrects. A receipt cancelled or replaced before
    it ever had an e-receipt gets none (``BillingError``)."""
    from civicpay.documents.models import ReplacementKind

    def existing() -> Any:
        return receipt_version_document(receipt, owner_kind=RECEIPT_XML_OWNER_KIND)

    document = existing()
    if document is not None:
        return document
    _require_tax_code(receipt)
    if not receipt.is_valid:
        raise BillingError(
            _("Biên lai %(receipt)s đã bị hủy hoặc thay thế trước khi lập biên lai điện tử (XML).")
            % {"receipt": str(receipt)}
        )
    previous = None
    if receipt.replaces is not None:
        previous = receipt_version_document(receipt.replaces, owner_kind=RECEIPT_XML_OWNER_KIND)
    replaced_code = previous.lookup_code if previous is not None else ""
    return _store(
        receipt=receipt,
        build=lambda code: receipt_xml_tree(receipt, lookup_code=code, replaced_lookup_code=replaced_code),
        title=f"Biên lai điện tử (XML) {receipt.series} số {receipt.number_display}",
        replaces=previous,
        replacement=ReplacementKind.REPLACE,
        reason=receipt.replace_reason,
        by=receipt.issued_by,
        action="receipt.xml_issued",
        existing=existing,
    )


def receipt_xml_cancellation_document(receipt: Receipt, *, cancelled_at: datetime, reason: str, by: Any) -> Any:
    """Issue the signed cancellation notice (``<HuyBienLai>``) of ``receipt``, which replaces the
    receipt's e-receipt with ``replacement=CANCEL``. Called by ``receipts.receipt_cancel`` inside its
    transaction, after :func:`receipt_xml_document` made sure the e-receipt exists."""
    from civicpay.documents.models import IssuedDocument, ReplacementKind

    cancelled = receipt_version_document(receipt, owner_kind=RECEIPT_XML_OWNER_KIND)
    if cancelled is None:
        raise BillingError(_("Biên lai %(receipt)s chưa có biên lai điện tử (XML) để hủy.") % {"receipt": str(receipt)})

    def existing() -> Any:
        return IssuedDocument.objects.filter(replaces=cancelled, replacement_kind=ReplacementKind.CANCEL).first()

    return _store(
        receipt=receipt,
        build=lambda code: receipt_cancellation_xml_tree(
            receipt,
            lookup_code=code,
            cancelled_at=cancelled_at,
            reason=reason,
            cancelled_lookup_code=cancelled.lookup_code,
        ),
        title=f"Thông báo hủy biên lai điện tử (XML) {receipt.series} số {receipt.number_display}",
        replaces=cancelled,
        replacement=ReplacementKind.CANCEL,
        reason=reason,
        by=by,
        action="receipt.xml_cancelled",
        existing=existing,
    )


def receipt_xml_documents(receipt: Receipt) -> list[Any]:
    """Every XML document of ``receipt``'s payment request, oldest first: the e-receipt, those of its
    replacements, and a cancellation notice, if any."""
    return receipt_chain_documents(receipt, owner_kind=RECEIPT_XML_OWNER_KIND)


@dataclass(frozen=True)
class ReceiptXmlFile:
    """One XML document of a payment request's receipts, as the payer downloads it."""

    document: Any

    @property
    def filename(self) -> str:
        return receipt_document_filename(self.document)

    def matches(self, code: str) -> bool:
        """Is this the document with lookup code ``code`` (as typed: any case, dashes)?"""
        from civicpay.documents.codes import normalize_lookup_code

        return normalize_lookup_code(code) == self.document.lookup_code


def receipt_xml_related(receipt: Receipt) -> list[ReceiptXmlFile]:
    """The XML documents of ``receipt``'s payment request other than its own e-receipt, oldest first: its
    cancellation notice, the e-receipts of the receipts it replaced (and of its replacement, if it was
    replaced). The payer's download offers them beside the e-receipt, which stays the record of what was
    issued even once the receipt is cancelled."""
    own = receipt_version_document(receipt, owner_kind=RECEIPT_XML_OWNER_KIND)
    return [
        ReceiptXmlFile(document=document)
        for document in receipt_xml_documents(receipt)
        if own is None or document.pk != own.pk
    ]


def receipt_xml_bytes(receipt: Receipt) -> bytes:
    """The stored e-receipt's bytes (issued on first call), checked against the recorded hash."""
    from civicpay.documents.services import document_read

    return document_read(receipt_xml_document(receipt))
