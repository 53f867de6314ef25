"""Money is an integer number of Vietnamese đồng. Never a float, never a Decimal with a fraction."""

from __future__ import annotations

VND = int

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")


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


def _read_group(n: int, *, full: bool) -> list[str]:
    """Read 0 < n < 1000. ``full``: not the leading group, so hundreds are always said ("không trăm")."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if hundreds or full:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        else:
            words.append(_DIGITS[units])
    return words


def _read_below_billion(n: int, *, full: bool) -> list[str]:
    words: list[str] = []
    for scale_index, scale in ((2, "triệu"), (1, "nghìn"), (0, "")):
        group = n // 1000**scale_index % 1000
        if not group:
            continue
        words += _read_group(group, full=full or bool(words))
        if scale:
            words.append(scale)
    return words


def _read(n: int, *, full: bool) -> list[str]:
    if n >= 1_000_000_000:
        high, low = divmod(n, 1_000_000_000)
        words = [*_read(high, full=full), "tỷ"]
        return words + (_read_below_billion(low, full=True) if low else [])
    return _read_below_billion(n, full=full)


def number_in_words(n: int) -> str:
    """Read a whole number the way Vietnamese receipts print it, e.g. 1.005.000 →
    "một triệu không trăm linh năm nghìn"; 2.015 → "hai nghìn không trăm mười lăm"."""
    if n < 0:
        return "âm " + number_in_words(-n)
    if n == 0:
        return _DIGITS[0]
    return " ".join(_read(n, full=False))


def vnd_in_words(amount: VND) -> str:
    """``1005000`` → ``"Một triệu không trăm linh năm nghìn đồng"`` (as printed on fee notices and receipts)."""
    words = number_in_words(check_amount(amount, allow_zero=True))
    return words[:1].upper() + words[1:] + " đồng"
