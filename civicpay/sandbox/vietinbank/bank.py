"""The simulated VietinBank: its gateway entry, issuing banks, test cards and test accounts.

Everything a tester needs to pick an outcome is here and in docs/protocols/vietinbank.md:

- cards (holder **NGUYEN VAN A**, issue date **07/15**, OTP **123456**): ``9704150000000018`` success,
  ``9704150000000026`` insufficient funds (``51``); a wrong OTP three times ends with ``13``;
- accounts for automatic debit, chosen by the registered account number's last two digits:
  ``…51`` insufficient balance (``51``), ``…14`` account closed (``14``), anything else succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from civicpay.sandbox.signed.gateways import Gateway, register_gateway

GATEWAY: Final = register_gateway(
    Gateway(
        code="vietinbank",
        name="VietinBank",
        settings_prefix="VIETINBANK",
        first_step="bank",
        transaction_prefix="VTB",
    )
)

METHOD_CARD: Final = "card"
METHOD_DEBIT: Final = "debit"
METHOD_BRANCH: Final = "branch"

TEST_HOLDER: Final = "NGUYEN VAN A"
TEST_ISSUE_DATE: Final = "07/15"
TEST_OTP: Final = "123456"
MAX_OTP_FAILURES: Final = 3
WRONG_OTP: Final = "13"


@dataclass(frozen=True, slots=True)
class IssuingBank:
    code: str
    name: str


ISSUING_BANKS: Final = (
    IssuingBank("VIETINBANK", "VietinBank – Ngân hàng TMCP Công Thương Việt Nam"),
    IssuingBank("VCB", "Vietcombank – Ngân hàng TMCP Ngoại thương Việt Nam"),
    IssuingBank("BIDV", "BIDV – Ngân hàng TMCP Đầu tư và Phát triển Việt Nam"),
    IssuingBank("AGRIBANK", "Agribank – Ngân hàng Nông nghiệp và Phát triển Nông thôn"),
)
BANKS_BY_CODE: Final = {bank.code: bank for bank in ISSUING_BANKS}


@dataclass(frozen=True, slots=True)
class TestCard:
    number: str
    bank_code: str
    status: str  # success | failed
    result_code: str
    description: str

    @property
    def masked(self) -> str:
        return f"{self.number[:6]}******{self.number[-4:]}"


TEST_CARDS: Final = (
    TestCard("9704150000000018", "VIETINBANK", "success", "00", "Thanh toán thành công"),
    TestCard("9704150000000026", "VIETINBANK", "failed", "51", "Tài khoản không đủ số dư"),
)

RESULT_MESSAGES: Final = {
    "00": "Giao dịch thành công",
    "11": "Đã hết thời gian chờ thanh toán",
    "13": "Nhập sai mã OTP quá số lần quy định",
    "14": "Tài khoản đã đóng hoặc không còn hoạt động",
    "51": "Tài khoản không đủ số dư để thực hiện giao dịch",
}


def find_card(*, bank_code: str, number: str, holder: str, issue_date: str) -> TestCard | None:
    """The test card these details describe, if they all match and the card is of the chosen bank."""
    for card in TEST_CARDS:
        if card.number == number and card.bank_code == bank_code:
            return card if (holder, issue_date) == (TEST_HOLDER, TEST_ISSUE_DATE) else None
    return None


@dataclass(frozen=True, slots=True)
class DebitResult:
    status: str
    result_code: str
    message: str


def debit_result_for(account_number: str) -> DebitResult:
    """What debiting ``account_number`` does in the sandbox (its last two digits decide)."""
    if account_number.endswith("51"):
        return DebitResult("failed", "51", RESULT_MESSAGES["51"])
    if account_number.endswith("14"):
        return DebitResult("failed", "14", RESULT_MESSAGES["14"])
    return DebitResult("success", "00", RESULT_MESSAGES["00"])


TEST_ACCOUNTS: Final = (
    ("102010000001", "Trích nợ thành công"),
    ("102010000051", "Không đủ số dư (51)"),
    ("102010000014", "Tài khoản đã đóng (14)"),
)
