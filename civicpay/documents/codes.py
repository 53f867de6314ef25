"""Lookup codes (mã tra cứu): 12 random characters from an alphabet without look-alikes.

31 symbols (A–Z and 2–9 without I, L, O, 0, 1) × 12 positions ≈ 59 bits: guessing a valid code is
hopeless even without the verification page's rate limit. Printed in groups of four (ABCD-2345-EFGH);
people may type them with or without dashes and spaces, in either case.
"""

from __future__ import annotations

import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 12
_ALLOWED = frozenset(ALPHABET)


def new_lookup_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_lookup_code(text: str) -> str | None:
    """What a person typed → the stored form, or ``None`` if it cannot be a lookup code."""
    code = "".join(text.split()).replace("-", "").replace(".", "").upper()
    if len(code) != LENGTH or not set(code) <= _ALLOWED:
        return None
    return code


def format_lookup_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
