"""The VNPay sandbox's banks and test cards: each card number decides the outcome of a payment.

The first two NCB cards are VNPay's own published sandbox cards (sandbox.vnpayment.vn/apis/vnpay-demo/),
so a tester who knows VNPay's sandbox finds the same numbers here. The others are ours, chosen to look
like real NCB cards (BIN 970419, 19 digits) and documented in docs/sandbox.md and on the card page.
Every test card is held by ``NGUYEN VAN A``, issued ``07/15``, and its OTP is ``123456``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

TEST_OTP: Final = "123456"
TEST_HOLDER: Final = "NGUYEN VAN A"
TEST_ISSUE_DATE: Final = "07/15"
MAX_OTP_FAILURES: Final = 3

# VNPay's codes for the outcomes the test cards produce (ARCHITECTURE.md, "Response codes").
SUCCESS: Final = "00"
TIMED_OUT: Final = "11"
WRONG_OTP: Final = "13"
CANCELLED: Final = "24"
INSUFFICIENT_FUNDS: Final = "51"


@dataclass(frozen=True, slots=True)
class Bank:
    code: str  # vnp_BankCode
    name: str
    bin: str  # the NAPAS BIN its domestic cards start with


BANKS: Final[tuple[Bank, ...]] = (
    Bank("NCB", "Ngân hàng TMCP Quốc Dân (NCB)", "970419"),
    Bank("VCB", "Ngân hàng TMCP Ngoại thương Việt Nam (Vietcombank)", "970436"),
    Bank("TCB", "Ngân hàng TMCP Kỹ thương Việt Nam (Techcombank)", "970407"),
    Bank("BIDV", "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam (BIDV)", "970418"),
    Bank("ACB", "Ngân hàng TMCP Á Châu (ACB)", "970416"),
    Bank("MBBANK", "Ngân hàng TMCP Quân đội (MB)", "970422"),
)
BANKS_BY_CODE: Final = {bank.code: bank for bank in BANKS}
DOMESTIC_METHOD: Final = "VNBANK"
"""``vnp_BankCode=VNBANK``: "pay with a domestic card or bank account", the payer still picks the bank."""
SIMULATED_AS_DOMESTIC: Final = frozenset({"INTCARD", "VNPAYQR"})
"""Methods real VNPay offers that the sandbox does not simulate: accepted, and the payer is shown the
domestic-card choice with a notice, so a merchant offering them still works in the demo."""


@dataclass(frozen=True, slots=True)
class TestCard:
    """A card number and what paying with it does. ``ipn_copies``/``ipn_delay_seconds`` shape the IPN."""

    __test__ = False  # not a pytest test class, despite the name

    bank_code: str
    number: str
    outcome: str  # the vnp_ResponseCode the payment ends with once the OTP is right
    description: Promise
    ipn_copies: int = 1
    ipn_delay_seconds: int = 0

    @property
    def holder(self) -> str:
        return TEST_HOLDER

    @property
    def issue_date(self) -> str:
        return TEST_ISSUE_DATE


_SUCCESS_SUFFIX = "8526191432198"  # VNPay's NCB success card is 970419 + this: every bank gets one alike

LATE_IPN_SECONDS: Final = 5

TEST_CARDS: Final[tuple[TestCard, ...]] = (
    TestCard("NCB", "9704198526191432198", SUCCESS, _("Thành công (thẻ thử nghiệm của VNPay)")),
    TestCard("NCB", "9704195798459170488", INSUFFICIENT_FUNDS, _("Không đủ số dư (mã 51)")),
    TestCard("NCB", "9704198526191430011", TIMED_OUT, _("Hết thời gian chờ thanh toán (mã 11)")),
    TestCard("NCB", "9704198526191430022", SUCCESS, _("Thành công, IPN được gửi hai lần giống hệt nhau"), ipn_copies=2),
    TestCard(
        "NCB",
        "9704198526191430055",
        SUCCESS,
        _("Thành công, IPN đến muộn khoảng 5 giây, sau khi trình duyệt đã quay về"),
        ipn_delay_seconds=LATE_IPN_SECONDS,
    ),
    *(
        TestCard(bank.code, bank.bin + _SUCCESS_SUFFIX, SUCCESS, _("Thành công"))
        for bank in BANKS
        if bank.code != "NCB"
    ),
)
_CARDS_BY_NUMBER: Final = {card.number: card for card in TEST_CARDS}


def find_card(*, bank_code: str, number: str, holder: str, issue_date: str) -> TestCard | None:
    """The test card with exactly these details at this bank; ``None`` means "thông tin thẻ không đúng"."""
    card = _CARDS_BY_NUMBER.get(number)
    if card is None or card.bank_code != bank_code:
        return None
    if holder != card.holder or issue_date != card.issue_date:
        return None
    return card


def card_by_number(number: str) -> TestCard | None:
    return _CARDS_BY_NUMBER.get(number)


def cards_for_bank(bank_code: str) -> list[TestCard]:
    return [card for card in TEST_CARDS if card.bank_code == bank_code]
