"""The VietQR codec against published vectors, and the memo rules of the adapter.

Sources of the vectors:
- ARCHITECTURE.md, "Protocol facts": the dynamic account example ending ``6304BBB8``.
- binhnguyenduc/vietqr-ts (MIT), ``tests/compliance/napas-static-account.test.ts`` (``…63049E6F``),
  ``tests/compliance/napas-dynamic-account.test.ts`` (``…63042E2E``) and
  ``tests/compliance/napas-static-card.test.ts`` (``…63044F52``): NAPAS IBFT v1.5.2 examples.
- The NAPAS specification's own static example ``…6304F4E5`` (quoted in the same repository) has a
  length typo in tag 38.01 (``0112`` for a 13-character account); its CRC is still right, so it
  checks the CRC alone and must *not* parse.
"""

from __future__ import annotations

import pytest

from civicpay.payments.providers import vietqr
from civicpay.payments.providers.vietqr_transfer import references_in_memo, transfer_memo

ARCHITECTURE_EXAMPLE = (
    "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA"
    "5303704540410005802VN62150811Chuyen tien6304BBB8"
)
NAPAS_STATIC_ACCOUNT = "00020101021138570010A00000072701270006970403011300110123456780208QRIBFTTA53037045802VN63049E6F"
NAPAS_DYNAMIC_ACCOUNT = (
    "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA"
    "530370454061800005802VN62340107NPS68690819thanh toan don hang63042E2E"
)
NAPAS_STATIC_CARD = "00020101021138600010A00000072701300006970403011697040311012345670208QRIBFTTC53037045802VN63044F52"
NAPAS_SPEC_TYPO = "00020101021138570010A00000072701270006970403011200110123456780208QRIBFTTA53037045802VN6304F4E5"


def test_crc16_ccitt_false_check_value() -> None:
    # The catalogued check value of CRC-16/CCITT-FALSE over "123456789".
    assert vietqr.crc_hex("123456789") == "29B1"
    assert vietqr.crc16_ccitt_false(b"") == 0xFFFF


def test_builds_the_architecture_example_from_its_parts() -> None:
    payload = vietqr.build(bank_bin="970416", account="257678859", amount=1000, purpose="Chuyen tien")
    assert payload == ARCHITECTURE_EXAMPLE


def test_parses_the_architecture_example_back() -> None:
    code = vietqr.parse(ARCHITECTURE_EXAMPLE)
    assert code == vietqr.VietQR(
        bank_bin="970416",
        account="257678859",
        service=vietqr.Service.ACCOUNT,
        amount=1000,
        purpose="Chuyen tien",
        bill_number="",
        is_dynamic=True,
        currency="704",
        country="VN",
    )


@pytest.mark.parametrize(
    ("payload", "kwargs"),
    [
        (NAPAS_STATIC_ACCOUNT, {"bank_bin": "970403", "account": "0011012345678"}),
        (
            NAPAS_DYNAMIC_ACCOUNT,
            {
                "bank_bin": "970403",
                "account": "0011012345678",
                "amount": 180000,
                "bill_number": "NPS6869",
                "purpose": "thanh toan don hang",
            },
        ),
        (
            NAPAS_STATIC_CARD,
            {"bank_bin": "970403", "account": "9704031101234567", "service": vietqr.Service.CARD},
        ),
    ],
    ids=["static-account-9E6F", "dynamic-account-2E2E", "static-card-4F52"],
)
def test_napas_vectors_build_and_parse(payload: str, kwargs: dict[str, object]) -> None:
    assert vietqr.build(**kwargs) == payload  # type: ignore[arg-type]
    code = vietqr.parse(payload)
    assert (code.bank_bin, code.account, code.amount) == (kwargs["bank_bin"], kwargs["account"], kwargs.get("amount"))
    assert code.service == kwargs.get("service", vietqr.Service.ACCOUNT)
    assert code.purpose == kwargs.get("purpose", "")
    assert code.is_dynamic is ("amount" in kwargs)


def test_napas_spec_example_crc_is_right_but_its_structure_is_not() -> None:
    assert vietqr.verify_crc(NAPAS_SPEC_TYPO)
    with pytest.raises(vietqr.InvalidPayload):
        vietqr.parse(NAPAS_SPEC_TYPO)


def test_a_changed_character_fails_the_crc() -> None:
    tampered = ARCHITECTURE_EXAMPLE.replace("54041000", "54049000")
    assert not vietqr.verify_crc(tampered)
    with pytest.raises(vietqr.InvalidPayload, match="CRC"):
        vietqr.parse(tampered)


def test_crc_digits_are_upper_case_and_lower_case_is_accepted_on_read() -> None:
    assert ARCHITECTURE_EXAMPLE[-4:] == ARCHITECTURE_EXAMPLE[-4:].upper()
    assert vietqr.verify_crc(ARCHITECTURE_EXAMPLE[:-4] + ARCHITECTURE_EXAMPLE[-4:].lower())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"bank_bin": "97041", "account": "1"},
        {"bank_bin": "970415", "account": ""},
        {"bank_bin": "970415", "account": "1" * 20},
        {"bank_bin": "970415", "account": "12 34"},
        {"bank_bin": "970415", "account": "1", "amount": 0},
        {"bank_bin": "970415", "account": "1", "purpose": "x" * 26},
        {"bank_bin": "970415", "account": "1", "purpose": "Chuyển tiền"},
    ],
)
def test_build_refuses_what_banking_apps_cannot_read(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        vietqr.build(**kwargs)  # type: ignore[arg-type]


def test_parse_tlv_refuses_a_truncated_object() -> None:
    with pytest.raises(vietqr.InvalidPayload):
        vietqr.parse_tlv("000201011")


def test_memo_is_cp_and_the_reference_code() -> None:
    memo = transfer_memo("PAY261122K7QX2M9HVA")
    assert memo == "CP261122K7QX2M9HVA"
    assert len(memo) <= vietqr.MAX_PURPOSE and memo.isascii()


@pytest.mark.parametrize(
    "memo",
    [
        "CP261122K7QX2M9HVA",
        "cp261122k7qx2m9hva",
        "MBVCB.3301.CP261122K7QX2M9HVA.CT tu 0123456789 NGUYEN VAN AN",
        "Nop phi CP 261122-K7QX-2M9H-VA",
        "XCP261122K7QX2M9HVA",
    ],
)
def test_the_code_is_found_in_what_banks_do_to_memos(memo: str) -> None:
    assert references_in_memo(memo) == ["PAY261122K7QX2M9HVA"]


@pytest.mark.parametrize("memo", ["", "Chuyen tien", "CP261122K7QX2M9HV", "PAY261122K7QX2M9HVA"])
def test_no_code_no_reference(memo: str) -> None:
    assert references_in_memo(memo) == []
