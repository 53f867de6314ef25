"""The national payment platform sandbox's own list of intermediaries (seed 001, step 4: "hệ thống
sẽ cho chúng ta lựa chọn ngân hàng hoặc ví điện tử để thanh toán"). A simulation, not the real list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Intermediary:
    code: str
    name: str
    kind: str  # "bank" | "wallet"


INTERMEDIARIES: Final = (
    Intermediary("VCB", "Vietcombank", "bank"),
    Intermediary("CTG", "VietinBank", "bank"),
    Intermediary("BIDV", "BIDV", "bank"),
    Intermediary("AGRIBANK", "Agribank", "bank"),
    Intermediary("MB", "MB", "bank"),
    Intermediary("MOMO", "MoMo", "wallet"),
    Intermediary("ZALOPAY", "ZaloPay", "wallet"),
    Intermediary("VNPAYQR", "VNPay-QR", "wallet"),
    Intermediary("VIETTELPAY", "ViettelPay", "wallet"),
)
BY_CODE: Final = {item.code: item for item in INTERMEDIARIES}
BANKS: Final = tuple(item for item in INTERMEDIARIES if item.kind == "bank")
WALLETS: Final = tuple(item for item in INTERMEDIARIES if item.kind == "wallet")
