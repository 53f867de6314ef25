"""Vietnamese text helpers for search and sorting, with no database extension (works on SQLite and PostgreSQL).

People type "ly lich tu phap" as often as "lý lịch tư pháp", so search compares *folded* text: lower case,
no tone or vowel marks, "đ" → "d". Sorting, on the other hand, must respect the Vietnamese alphabet
(a ă â b c d đ e ê …), which neither byte order nor a folded key gives.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"[\s\-–—_,;:/()]+")


def fold(text: str) -> str:
    """``"Đăng ký  khai-sinh"`` → ``"dang ky khai sinh"``: the form every search column and query is compared in."""
    decomposed = unicodedata.normalize("NFD", (text or "").lower().replace("’", "'"))
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn").replace("đ", "d")
    return _SPACES.sub(" ", stripped.replace("'", "")).strip()


# Vowel marks that make a distinct letter (ă â ê ô ơ ư); tone marks only break ties.
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}
_TONES = ("\u0300", "\u0309", "\u0303", "\u0301", "\u0323")  # huyền, hỏi, ngã, sắc, nặng
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_RANK = {" ": 0} | {str(d): 1 + d for d in range(10)} | {ch: 20 + i for i, ch in enumerate(_ALPHABET)}


def vietnamese_sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Sort key following the Vietnamese alphabet: "Cà Mau" < "Cao Bằng" < "Cần Thơ" < "Đà Nẵng" < "Gia Lai"."""
    letters: list[int] = []
    tones: list[int] = []
    for ch in unicodedata.normalize("NFC", text.lower()):
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", parts[0] + "".join(m for m in parts[1:] if m in _LETTER_MARKS))
        letters.append(_RANK.get(base, 1000 + ord(base[0])))
        tones.append(next((_TONES.index(m) + 1 for m in parts[1:] if m in _TONES), 0))
    return tuple(letters), tuple(tones)
