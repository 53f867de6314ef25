"""The XML e-receipt (biên lai điện tử): the receipt's data, signed XMLDSig by the collecting agency.

Structured like the tax authority's e-invoice / e-receipt data (Decision 1510/QĐ-TCT style):

    <BienLai>
      <DLBLai>                     the data
        <TTChung>                  general info: MauSo, KyHieu, SoBienLai, NLap, DVTTe=VND, MaTraCuu …
        <NDBLai>                   content: NBan (agency + MST), NMua (payer), ND, DSKThu/KThu lines,
                                   TToan (total in figures and words), TTTToan (payment method, reference)
      </DLBLai>
      <ds:Signature>               XMLDSig, enveloped, RSA-SHA256, with the agency's certificate chain
    </BienLai>

Every document is validated against ``schemas/ereceipt.xsd`` (our schema, to be replaced by the Ministry
of Finance's official one, see docs/documents.md) before it is stored. The stored document is an
``IssuedDocument`` (``media_type`` application/xml, kind ``receipt``, owner ``billing.receipt_xml``#id),
written once through the documents app's storage with its own lookup code; later downloads return the
same bytes, checked against the stored hash.
"""

from __future__ import annotations

import hashlib
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
from civicpay.core import clock
from civicpay.core.audit import audit_record
from civicpay.core.money import vnd_in_words

SCHEMA_VERSION = "1.0.0"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "ereceipt.xsd"
XML_MEDIA_TYPE = "application/xml"
RECEIPT_XML_OWNER_KIND = "billing.receipt_xml"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"

# Line kinds as printed (FeeKind labels; copied here so the XML never depends on translations).
_KIND_LABELS = {"fee": "Phí", "charge": "Lệ phí", "financial_obligation": "Nghĩa vụ tài chính"}

_schema: etree.XMLSchema | None = None


class ReceiptXmlInvalid(BillingError):
    """The generated e-receipt does not validate against the schema (a bug or missing data)."""


def receipt_xml_schema() -> etree.XMLSchema:
    global _schema
    if _schema is None:
        _schema = etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))
    return _schema


def receipt_xml_validate(data: bytes | etree._Element) -> None:
    """Raise ``ReceiptXmlInvalid`` unless ``data`` validates against ``schemas/ereceipt.xsd``."""
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


def receipt_xml_tree(receipt: Receipt, *, lookup_code: str = "") -> etree._Element:
    """The unsigned ``<BienLai>`` of ``receipt``."""
    agency = receipt.agency
    if not agency.tax_code:
        raise BillingError(_("Cơ quan thu chưa khai báo mã số thuế nên chưa lập được biên lai điện tử."))
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

    content = _sub(data, "NDBLai")
    seller = _sub(content, "NBan")
    _sub(seller, "Ten", agency.name)
    _sub(seller, "MST", agency.tax_code)
    _sub(seller, "DChi", agency.address)
    _sub(seller, "MaCQ", agency.code)
    buyer = _sub(content, "NMua")
    _sub(buyer, "Ten", receipt.payer_name)
    tax_code = _payer_tax_code(receipt)
    if tax_code:
        _sub(buyer, "MST", tax_code)
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


def receipt_xml(receipt: Receipt, *, lookup_code: str = "") -> bytes:
    """The e-receipt of ``receipt``: built, signed by its agency (XMLDSig enveloped, RSA-SHA256) and
    validated against the schema. Not stored; see :func:`receipt_xml_document`."""
    return _build_signed(receipt, lookup_code=lookup_code)[0]


def _build_signed(receipt: Receipt, *, lookup_code: str) -> tuple[bytes, Any]:
    root = receipt_xml_tree(receipt, lookup_code=lookup_code)
    receipt_xml_validate(root)
    signed, certificate = _sign(root, agency_code=receipt.agency.code)
    receipt_xml_validate(signed)
    data = etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
    return data, certificate


def _current(receipt: Receipt) -> Any:
    from civicpay.documents.models import IssuedDocument

    return IssuedDocument.objects.filter(
        owner_kind=RECEIPT_XML_OWNER_KIND, owner_id=receipt.pk, is_current=True
    ).first()


def receipt_xml_document(receipt: Receipt) -> Any:
    """The stored e-receipt of ``receipt`` (an ``IssuedDocument``), issuing it on first call. Immutable:
    every later call returns the same document; concurrent first calls end with one."""
    from civicpay.documents.codes import new_lookup_code
    from civicpay.documents.models import DocumentKind, IssuedDocument
    from civicpay.documents.storage import document_storage

    existing = _current(receipt)
    if existing is not None:
        return existing
    lookup_code = new_lookup_code()
    data, certificate = _build_signed(receipt, lookup_code=lookup_code)
    storage = document_storage()
    today = clock.local_today()
    name = storage.save(f"documents/{today:%Y}/{today:%m}/{lookup_code}.xml", ContentFile(data))
    try:
        with transaction.atomic():
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
                owner_id=receipt.pk,
                title=f"Biên lai điện tử (XML) {receipt.series} số {receipt.number_display}"[:255],
                document_date=clock.local(receipt.issued_at).date(),
                amount=receipt.amount,
                reference=str(receipt)[:64],
                issued_at=clock.now(),
            )
            audit_record(
                actor=None,
                action="receipt.xml_issued",
                target=receipt,
                after={"lookup_code": lookup_code, "sha256": document.sha256, "certificate": certificate.serial_number},
            )
    except IntegrityError:
        storage.delete(name)
        existing = _current(receipt)
        if existing is None:
            raise
        return existing
    except BaseException:
        storage.delete(name)
        raise
    return document


def receipt_xml_bytes(receipt: Receipt) -> bytes:
    """The stored e-receipt's bytes (issued on first call), checked against the recorded hash."""
    from civicpay.documents.services import document_read

    return document_read(receipt_xml_document(receipt))
