from __future__ import annotations

from civicpay.directory.places import (
    address_label,
    legacy_province_names,
    province_name,
    provinces,
    search_places,
    ward_name,
    ward_province_code,
    wards,
)
from civicpay.directory.text import fold, vietnamese_sort_key

KHANH_HOA, HA_TINH, DA_NANG, HAI_PHONG = 56, 42, 48, 31
PHUONG_NHA_TRANG = 22366


def test_there_are_34_provinces_sorted_by_the_vietnamese_alphabet():
    names = [p.name for p in provinces()]
    assert len(names) == 34
    assert names[0] == "Tỉnh An Giang"
    # "Cà Mau" < "Cao Bằng" < "Cần Thơ" (a < ă < â), and Đ comes after every D… and before G.
    assert names.index("Tỉnh Cà Mau") < names.index("Tỉnh Cao Bằng") < names.index("Thành phố Cần Thơ")
    assert names.index("Thành phố Cần Thơ") < names.index("Thành phố Đà Nẵng") < names.index("Tỉnh Gia Lai")


def test_province_and_ward_names():
    assert province_name(KHANH_HOA) == "Tỉnh Khánh Hòa"
    assert province_name(HA_TINH) == "Tỉnh Hà Tĩnh"
    assert province_name(49) == ""  # Quảng Nam's old code is not a current province
    assert ward_name(PHUONG_NHA_TRANG) == "Phường Nha Trang"
    assert ward_province_code(PHUONG_NHA_TRANG) == KHANH_HOA
    assert ward_province_code(999_999) is None


def test_wards_of_khanh_hoa_include_nha_trang_and_only_khanh_hoa_wards():
    options = wards(KHANH_HOA)
    assert "Phường Nha Trang" in [w.name for w in options]
    assert all(ward_province_code(w.code) == KHANH_HOA for w in options)
    assert wards(999) == []


def test_address_label_reads_like_a_vietnamese_address():
    assert (
        address_label(ward_code=PHUONG_NHA_TRANG, province_code=KHANH_HOA, street="12 Trần Phú")
        == "12 Trần Phú, Phường Nha Trang, Tỉnh Khánh Hòa"
    )


def test_legacy_province_name_finds_the_province_it_merged_into():
    best = search_places("Quảng Nam")[0]
    assert (best.kind, best.code, best.name) == ("province", DA_NANG, "Thành phố Đà Nẵng")
    assert best.former_name == "Tỉnh Quảng Nam"
    assert "Tỉnh Quảng Nam" in legacy_province_names(DA_NANG)


def test_legacy_district_finds_the_wards_that_replaced_it():
    matches = search_places("Quận Đồ Sơn")
    assert {m.name for m in matches} >= {"Phường Đồ Sơn", "Phường Nam Đồ Sơn"}
    assert all(m.province_code == HAI_PHONG for m in matches)
    assert matches[0].former_name == "Quận Đồ Sơn, Thành phố Hải Phòng"
    assert matches[0].label == "Phường Đồ Sơn, Thành phố Hải Phòng"


def test_search_ignores_case_and_diacritics_but_prefers_the_exact_spelling():
    assert search_places("quang nam")[0].code == DA_NANG
    assert search_places("KHANH HOA")[0].code == KHANH_HOA
    # "Hải Phòng" must not lose to the many old communes called "Hải Phong".
    best = search_places("Hải Phòng")[0]
    assert (best.kind, best.code, best.former_name) == ("province", HAI_PHONG, "")


def test_search_of_nothing_finds_nothing_and_results_are_unique():
    assert search_places("  ") == []
    matches = search_places("nha trang")
    assert len(matches) == len({(m.kind, m.code) for m in matches})


def test_fold_and_sort_key():
    assert fold("Đăng ký  khai-sinh") == "dang ky khai sinh"
    assert sorted(["Đông", "Dương", "Ân", "An"], key=vietnamese_sort_key) == ["An", "Ân", "Dương", "Đông"]
