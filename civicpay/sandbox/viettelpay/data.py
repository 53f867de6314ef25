"""The ViettelPay sandbox's test data: wallet accounts, BankPlus banks, test cards, the OTP.

Documented on the pages themselves and in docs/sandbox.md. Nothing here is a real account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

METHOD_WALLET: Final = "wallet"
METHOD_BANKPLUS: Final = "bankplus"
METHOD_ATM: Final = "atm"
METHODS: Final = (METHOD_WALLET, METHOD_BANKPLUS, METHOD_ATM)
METHOD_LABELS: Final = {
    METHOD_WALLET: "Ví ViettelPay",
    METHOD_BANKPLUS: "BankPlus",
    METHOD_ATM: "Thẻ ATM nội địa",
}

TEST_OTP: Final = "123456"
MAX_FAILURES: Final = 3
WRONG_OTP: Final = "13"
WRONG_PIN: Final = "79"
INSUFFICIENT_FUNDS: Final = "51"


@dataclass(frozen=True, slots=True)
class WalletAccount:
    phone: str
    pin: str
    holder: str
    result_code: str  # "00" pays; "51" has too little balance
    description: str


WALLET_ACCOUNTS: Final = (
    WalletAccount("0987000001", "123456", "NGUYEN VAN AN", "00", "Thanh toán thành công"),
    WalletAccount("0987000051", "123456", "TRAN THI BINH", INSUFFICIENT_FUNDS, "Số dư ví không đủ (mã 51)"),
)
WALLETS_BY_PHONE: Final = {account.phone: account for account in WALLET_ACCOUNTS}


@dataclass(frozen=True, slots=True)
class Bank:
    code: str
    short_name: str
    name: str


# Banks whose customers pay with a BankPlus account (the seed: "khách hàng có tài khoản Bankplus của
# các ngân hàng sau"); the list is a simulation, the real one is on viettelpay.vn.
BANKPLUS_BANKS: Final = (
    Bank("VCB", "Vietcombank", "Ngân hàng TMCP Ngoại thương Việt Nam"),
    Bank("BIDV", "BIDV", "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam"),
    Bank("CTG", "VietinBank", "Ngân hàng TMCP Công thương Việt Nam"),
    Bank("MB", "MB", "Ngân hàng TMCP Quân đội"),
    Bank("TPB", "TPBank", "Ngân hàng TMCP Tiên Phong"),
    Bank("VPB", "VPBank", "Ngân hàng TMCP Việt Nam Thịnh Vượng"),
    Bank("STB", "Sacombank", "Ngân hàng TMCP Sài Gòn Thương Tín"),
    Bank("ACB", "ACB", "Ngân hàng TMCP Á Châu"),
)
BANKS_BY_CODE: Final = {bank.code: bank for bank in BANKPLUS_BANKS}

# Domestic (NAPAS) test cards: any well-formed card pays, except the one that has too little balance.
TEST_CARD_OK: Final = "9704000000000018"
TEST_CARD_NO_FUNDS: Final = "9704000000000051"
TEST_HOLDER: Final = "NGUYEN VAN A"
TEST_ISSUE_DATE: Final = "03/18"


def card_mask(number: str) -> str:
    """BIN and last four digits, as gateways print a card: ``970400xxxxxx0018``."""
    return f"{number[:6]}{'x' * (len(number) - 10)}{number[-4:]}"


def card_result_code(masked: str) -> str:
    return INSUFFICIENT_FUNDS if masked.endswith(TEST_CARD_NO_FUNDS[-4:]) else "00"
