"""The NAPAS VietQR payload (EMVCo merchant-presented QR) as pure functions: build, parse, CRC.

No Django, no HTTP: the VietQR adapter, the sandbox bank (which may import nothing else from
``civicpay.payments``) and the tests share this one definition, pinned by published vectors
(``civicpay/payments/tests/test_vietqr.py``; docs/protocols/vietqr.md).

A payload is a sequence of TLV objects ``<2-digit tag><2-digit length><value>``:

- ``00`` payload format ``01``; ``01`` point of initiation ``11`` (static) / ``12`` (with an amount);
- ``38`` consumer account information = {``00`` NAPAS GUID ``A000000727``, ``01`` = {``00`` bank BIN,
  ``01`` account or card number}, ``02`` service ``QRIBFTTA`` (to an account) / ``QRIBFTTC`` (to a card)};
- ``53`` currency ``704`` (VND); ``54`` amount; ``58`` country ``VN``;
- ``62`` additional data = {``01`` bill number (optional), ``08`` purpose of transaction — the transfer memo};
- ``63`` CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) of everything up to and including ``6304``,
  four upper-case hex digits.

Lengths count characters. We build only printable ASCII (what banking apps carry in a memo without
mangling it), so characters and bytes are the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

NAPAS_GUID: Final = "A000000727"
CURRENCY_VND: Final = "704"
COUNTRY_VN: Final = "VN"
FORMAT_INDICATOR: Final = "01"
STATIC: Final = "11"
DYNAMIC: Final = "12"
CRC_TAG: Final = "6304"
MAX_PURPOSE: Final = 25  # NAPAS: "purpose of transaction" ans..25
MAX_ACCOUNT: Final = 19
MAX_AMOUNT_DIGITS: Final = 13


class Service(StrEnum):
    """``38.02``: a transfer to an account or to a card number (NAPAS 24/7 IBFT)."""

    ACCOUNT = "QRIBFTTA"
    CARD = "QRIBFTTC"


class InvalidPayload(ValueError):
    """Not a VietQR payload: bad TLV structure, wrong CRC, or a required field missing or wrong."""


def crc16_ccitt_false(data: str | bytes) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR."""
    crc = 0xFFFF
    for byte in data.encode("utf-8") if isinstance(data, str) else data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def crc_hex(data: str) -> str:
    """The four upper-case hex digits that follow ``6304``."""
    return f"{crc16_ccitt_false(data):04X}"


def tlv(tag: str, value: str) -> str:
    """One data object. Raises ``ValueError`` for a value longer than 99 characters."""
    if len(tag) != 2 or not tag.isdigit():
        raise ValueError(f"EMVCo tags are two digits, not {tag!r}")
    if len(value) > 99:
        raise ValueError(f"value of tag {tag} is {len(value)} characters; at most 99")
    return f"{tag}{len(value):02d}{value}"


def _is_printable_ascii(text: str) -> bool:
    return all(0x20 <= ord(ch) < 0x7F for ch in text)


def build(
    *,
    bank_bin: str,
    account: str,
    amount: int | None = None,
    purpose: str = "",
    bill_number: str = "",
    service: Service = Service.ACCOUNT,
) -> str:
    """The payload a banking app scans: to ``account`` at the bank ``bank_bin`` (6-digit NAPAS BIN).

    With ``amount`` (whole VND) the code is dynamic (``01``=``12``) and the app pre-fills the amount;
    ``purpose`` becomes the transfer memo (``62.08``, at most 25 printable ASCII characters).
    """
    if len(bank_bin) != 6 or not bank_bin.isdigit():
        raise ValueError(f"a bank BIN is 6 digits, not {bank_bin!r}")
    if not account or len(account) > MAX_ACCOUNT or not account.isalnum() or not _is_printable_ascii(account):
        raise ValueError(f"an account/card number is 1–{MAX_ACCOUNT} letters or digits, not {account!r}")
    if amount is not None and (isinstance(amount, bool) or amount <= 0 or len(str(amount)) > MAX_AMOUNT_DIGITS):
        raise ValueError(f"the amount is a positive whole number of VND, not {amount!r}")
    for name, text in (("purpose", purpose), ("bill number", bill_number)):
        if len(text) > MAX_PURPOSE or not _is_printable_ascii(text):
            raise ValueError(f"the {name} is at most {MAX_PURPOSE} printable ASCII characters: {text!r}")
    beneficiary = tlv("00", bank_bin) + tlv("01", account)
    consumer = tlv("00", NAPAS_GUID) + tlv("01", beneficiary) + tlv("02", Service(service).value)
    body = tlv("00", FORMAT_INDICATOR) + tlv("01", DYNAMIC if amount is not None else STATIC) + tlv("38", consumer)
    body += tlv("53", CURRENCY_VND)
    if amount is not None:
        body += tlv("54", str(amount))
    body += tlv("58", COUNTRY_VN)
    additional = (tlv("01", bill_number) if bill_number else "") + (tlv("08", purpose) if purpose else "")
    if additional:
        body += tlv("62", additional)
    body += CRC_TAG
    return body + crc_hex(body)


def parse_tlv(text: str) -> list[tuple[str, str]]:
    """The data objects of ``text`` in order. Raises ``InvalidPayload`` on a truncated object."""
    objects: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        head = text[i : i + 4]
        if len(head) < 4 or not head.isdigit():
            raise InvalidPayload(f"bad TLV header {head!r} at position {i}")
        tag, length = head[:2], int(head[2:])
        value = text[i + 4 : i + 4 + length]
        if len(value) != length:
            raise InvalidPayload(f"tag {tag} announces {length} characters, only {len(value)} left")
        objects.append((tag, value))
        i += 4 + length
    return objects


def verify_crc(payload: str) -> bool:
    """Whether the payload ends with ``6304`` + the CRC of everything before the four hex digits."""
    if len(payload) < 8 or payload[-8:-4] != CRC_TAG:
        return False
    return payload[-4:].upper() == crc_hex(payload[:-4])


@dataclass(frozen=True, slots=True)
class VietQR:
    """A parsed payload: whom to pay, how much, with which memo."""

    bank_bin: str
    account: str
    service: Service
    amount: int | None
    purpose: str
    bill_number: str
    is_dynamic: bool
    currency: str
    country: str


def parse(payload: str) -> VietQR:
    """Read a VietQR payload; checks the CRC first, then the structure and the NAPAS fields."""
    if not verify_crc(payload):
        raise InvalidPayload("CRC missing or wrong")
    root = dict(parse_tlv(payload))
    if root.get("00") != FORMAT_INDICATOR:
        raise InvalidPayload("payload format indicator (00) is not 01")
    if root.get("01") not in (STATIC, DYNAMIC):
        raise InvalidPayload("point of initiation (01) is neither 11 nor 12")
    consumer = dict(parse_tlv(root.get("38", "")))
    if consumer.get("00") != NAPAS_GUID:
        raise InvalidPayload("tag 38 is not NAPAS consumer account information")
    try:
        service = Service(consumer.get("02", ""))
    except ValueError:
        raise InvalidPayload(f"unknown service code {consumer.get('02')!r}") from None
    beneficiary = dict(parse_tlv(consumer.get("01", "")))
    bank_bin, account = beneficiary.get("00", ""), beneficiary.get("01", "")
    if len(bank_bin) != 6 or not bank_bin.isdigit() or not account:
        raise InvalidPayload("beneficiary bank BIN (38.01.00) or account (38.01.01) missing")
    if root.get("53") != CURRENCY_VND:
        raise InvalidPayload("currency (53) is not 704")
    amount_text = root.get("54")
    amount: int | None = None
    if amount_text is not None:
        if not amount_text.isdigit():
            raise InvalidPayload(f"amount (54) {amount_text!r} is not a whole number of VND")
        amount = int(amount_text)
    additional = dict(parse_tlv(root["62"])) if "62" in root else {}
    return VietQR(
        bank_bin=bank_bin,
        account=account,
        service=service,
        amount=amount,
        purpose=additional.get("08", ""),
        bill_number=additional.get("01", ""),
        is_dynamic=root["01"] == DYNAMIC,
        currency=root["53"],
        country=root.get("58", ""),
    )
