"""Vietnamese administrative divisions (tỉnh/thành phố → phường/xã/đặc khu), from ``vietnam-provinces``.

Since 1 July 2025 there are 34 provinces and no districts; addresses are "ward, province". People still
write the old names ("Quận Đồ Sơn, Hải Phòng", "Tỉnh Quảng Nam"), so :func:`search_places` also looks in
the pre-2025 lists and answers with the *current* province or ward each old name became.

Every list is built once per process (``functools.cache``): the data never changes while we run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from vietnam_provinces import Province, Ward
from vietnam_provinces import _province_conversion_2025 as province_conversion
from vietnam_provinces import _ward_conversion_2025 as ward_conversion
from vietnam_provinces.legacy import District as LegacyDistrict
from vietnam_provinces.legacy import Province as LegacyProvince

from civicpay.directory.text import fold, vietnamese_sort_key

_PREFIX = re.compile(r"^(tỉnh|thành phố|phường|xã|đặc khu|quận|huyện|thị xã|thị trấn)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class PlaceOption:
    """One choice in a select: the official code and the full official name ("Tỉnh Khánh Hòa")."""

    code: int
    name: str


@dataclass(frozen=True)
class PlaceMatch:
    """A current province or ward found by :func:`search_places`.

    ``former_name`` is the pre-2025 name that matched (e.g. "Quận Đồ Sơn, Thành phố Hải Phòng"), or ""
    when the query matched a current name.
    """

    kind: Literal["province", "ward"]
    code: int
    name: str
    province_code: int
    province_name: str
    former_name: str = ""

    @property
    def label(self) -> str:
        return self.name if self.kind == "province" else f"{self.name}, {self.province_name}"


def bare_name(name: str) -> str:
    """``"Thành phố Đà Nẵng"`` → ``"Đà Nẵng"``: the name without its division type."""
    return _PREFIX.sub("", name)


def _sorted(options: list[PlaceOption]) -> list[PlaceOption]:
    return sorted(options, key=lambda o: vietnamese_sort_key(bare_name(o.name)))


@cache
def _provinces() -> tuple[PlaceOption, ...]:
    return tuple(_sorted([PlaceOption(int(p.code), p.name) for p in Province.iter_all()]))


@cache
def _province_names() -> dict[int, str]:
    return {o.code: o.name for o in _provinces()}


@cache
def _wards_by_province() -> dict[int, tuple[PlaceOption, ...]]:
    grouped: dict[int, list[PlaceOption]] = {}
    for w in Ward.iter_all():
        grouped.setdefault(int(w.province_code), []).append(PlaceOption(int(w.code), w.name))
    return {code: tuple(_sorted(options)) for code, options in grouped.items()}


@cache
def _ward_index() -> dict[int, tuple[str, int]]:
    """ward code → (name, province code)."""
    return {int(w.code): (w.name, int(w.province_code)) for w in Ward.iter_all()}


def provinces() -> list[PlaceOption]:
    """The 34 current provinces and centrally-run cities, in Vietnamese alphabetical order of their names."""
    return list(_provinces())


def is_province(code: int) -> bool:
    return code in _province_names()


def province_name(code: int) -> str:
    """Official name of a current province ("Tỉnh Khánh Hòa"); "" for an unknown code, so a page never breaks."""
    return _province_names().get(code, "")


def wards(province_code: int) -> list[PlaceOption]:
    """Wards, communes and special zones of one province, in Vietnamese alphabetical order; [] if unknown."""
    return list(_wards_by_province().get(province_code, ()))


def ward_name(code: int) -> str:
    """Official name of a current ward ("Phường Nha Trang"); "" for an unknown code."""
    entry = _ward_index().get(code)
    return entry[0] if entry else ""


def ward_province_code(code: int) -> int | None:
    """The province a current ward belongs to, or ``None`` if the code is not a current ward."""
    entry = _ward_index().get(code)
    return entry[1] if entry else None


@cache
def _legacy_names_by_province() -> dict[int, tuple[str, ...]]:
    names: dict[int, list[str]] = {}
    for old in LegacyProvince.iter_all():
        conversion = province_conversion.OLD_TO_NEW.get(int(old.code))
        for new in conversion.new_provinces if conversion else ():
            names.setdefault(new.code, []).append(old.name)
    return {code: tuple(n) for code, n in names.items()}


def legacy_province_names(code: int) -> tuple[str, ...]:
    """Pre-2025 provinces merged into current province ``code``: 48 → ("Thành phố Đà Nẵng", "Tỉnh Quảng Nam")."""
    return _legacy_names_by_province().get(code, ())


def address_label(*, ward_code: int, province_code: int, street: str = "") -> str:
    """``"12 Trần Phú, Phường Nha Trang, Tỉnh Khánh Hòa"``: how an address is printed on notices and receipts."""
    parts = [street.strip(), ward_name(ward_code), province_name(province_code)]
    return ", ".join(p for p in parts if p)


# --- Search ---------------------------------------------------------------------------------------

# Lower rank wins a tie: a current name beats the same words in an old name.
_RANK_PROVINCE, _RANK_WARD, _RANK_OLD_PROVINCE, _RANK_OLD_DISTRICT, _RANK_OLD_WARD = range(5)


@dataclass(frozen=True)
class _Entry:
    lower: str  # full name, lower case, diacritics kept
    folded: str  # full name, folded
    folded_bare: str  # name without its division type, folded
    rank: int
    matches: tuple[PlaceMatch, ...]


def _province_match(code: int, former: str = "") -> PlaceMatch:
    name = province_name(code)
    return PlaceMatch("province", code, name, code, name, former)


def _ward_match(code: int, former: str = "") -> PlaceMatch:
    name, province_code = _ward_index()[code]
    return PlaceMatch("ward", code, name, province_code, province_name(province_code), former)


def _entry(name: str, rank: int, matches: tuple[PlaceMatch, ...]) -> _Entry:
    return _Entry(name.lower(), fold(name), fold(bare_name(name)), rank, matches)


@cache
def _search_index() -> tuple[_Entry, ...]:
    entries = [_entry(o.name, _RANK_PROVINCE, (_province_match(o.code),)) for o in _provinces()]
    entries += [_entry(name, _RANK_WARD, (_ward_match(code),)) for code, (name, _) in _ward_index().items()]

    legacy_provinces = {int(p.code): p.name for p in LegacyProvince.iter_all()}
    for old_code, old_name in legacy_provinces.items():
        conversion = province_conversion.OLD_TO_NEW.get(old_code)
        if conversion:
            news = tuple(_province_match(n.code, old_name) for n in conversion.new_provinces if is_province(n.code))
            entries.append(_entry(old_name, _RANK_OLD_PROVINCE, news))

    legacy_districts = {int(d.code): d for d in LegacyDistrict.iter_all()}
    new_wards_by_district: dict[int, dict[int, None]] = {}
    legacy_ward_names = _legacy_ward_names()
    for old_code, conv in ward_conversion.OLD_TO_NEW.items():
        old = conv.old_ward
        new_codes = [n.code for n in conv.new_wards if n.code in _ward_index()]
        new_wards_by_district.setdefault(old.district_code, {}).update(dict.fromkeys(new_codes))
        district = legacy_districts.get(old.district_code)
        if district is None or old_code not in legacy_ward_names:
            continue
        former = ", ".join(
            (legacy_ward_names[old_code], district.name, legacy_provinces.get(old.province_code, ""))
        ).rstrip(", ")
        entries.append(
            _entry(legacy_ward_names[old_code], _RANK_OLD_WARD, tuple(_ward_match(c, former) for c in new_codes))
        )
    for district_code, district_wards in new_wards_by_district.items():
        district = legacy_districts.get(district_code)
        if district is None:
            continue
        former = f"{district.name}, {legacy_provinces.get(int(district.province_code), '')}".rstrip(", ")
        entries.append(_entry(district.name, _RANK_OLD_DISTRICT, tuple(_ward_match(c, former) for c in district_wards)))
    return tuple(entries)


@cache
def _legacy_ward_names() -> dict[int, str]:
    from vietnam_provinces.legacy import Ward as LegacyWard

    return {int(w.code): w.name for w in LegacyWard.iter_all()}


def search_places(query: str, *, limit: int = 20) -> list[PlaceMatch]:
    """Current provinces and wards whose current *or pre-2025* name contains ``query`` from a word start.

    Case and diacritics do not matter ("quang nam" finds "Tỉnh Quảng Nam", now part of Thành phố Đà Nẵng).
    Best first: names spelt exactly as typed, when typed with diacritics ("Hải Phòng" beats "Hải Phong"),
    then exact names, names
    starting with the query, the rest; current names before old ones.
    """
    q = fold(query)
    if not q:
        return []
    needle = " " + q
    typed = " ".join(query.lower().split())
    typed_with_marks = fold(typed) != typed.replace("-", " ")  # no marks typed → no spelling to prefer
    scored: list[tuple[int, int, int, tuple[tuple[int, ...], tuple[int, ...]], PlaceMatch]] = []
    for entry in _search_index():
        if needle not in " " + entry.folded and needle not in " " + entry.folded_bare:
            continue
        if q in (entry.folded, entry.folded_bare):
            score = 0
        elif entry.folded_bare.startswith(q) or entry.folded.startswith(q):
            score = 1
        else:
            score = 2
        misspelt = 1 if typed_with_marks and typed not in entry.lower else 0
        scored.extend((misspelt, score, entry.rank, vietnamese_sort_key(m.name), m) for m in entry.matches)
    scored.sort(key=lambda item: item[:4])
    results: list[PlaceMatch] = []
    seen: set[tuple[str, int]] = set()
    for *_, match in scored:
        if (match.kind, match.code) in seen:
            continue
        seen.add((match.kind, match.code))
        results.append(match)
        if len(results) >= limit:
            break
    return results
