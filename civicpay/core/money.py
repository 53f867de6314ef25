"""Money is an integer number of Vietnamese đồng. Never a float, never a Decimal with a fraction."""

from __future__ import annotations

from num2words import num2words

VND = int


def check_amount(amount: object, *, allow_zero: bool = False) -> VND:
    """Return ``amount`` if it is a whole, non-negative number of VND; raise ``ValueError`` otherwise."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValueError(f"amount must be an integer number of VND, not {type(amount).__name__}")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValueError(f"amount must be positive, got {amount}")
    return amount


def format_vnd(amount: VND) -> str:
    """``1250000`` → ``"1.250.000 ₫"`` (Vietnamese grouping with dots)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount):,}".replace(",", ".") + " ₫"


def vnd_in_words(amount: VND) -> str:
    """``1005000`` → ``"Một triệu không trăm linh năm nghìn đồng"`` (as printed on fee notices and receipts)."""
    words = num2words(check_amount(amount, allow_zero=True), lang="vi")
    words = " ".join(words.split())
    return words[:1].upper() + words[1:] + " đồng"
