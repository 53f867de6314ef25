import pytest

from civicpay.core.money import check_amount, format_vnd, number_in_words, vnd_in_words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "Không đồng"),
        (1_000_000, "Một triệu đồng"),
        (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
        (2_000_000_000, "Hai tỷ đồng"),
        (250_000, "Hai trăm năm mươi nghìn đồng"),
    ],
)
def test_amount_in_vietnamese_words(amount: int, words: str) -> None:
    assert vnd_in_words(amount) == words


def test_format_uses_vietnamese_grouping() -> None:
    assert format_vnd(1_250_000) == "1.250.000 ₫"
    assert format_vnd(500) == "500 ₫"


@pytest.mark.parametrize("bad", [1.5, "100", None, True, -1, 0])
def test_amounts_must_be_positive_integers(bad: object) -> None:
    with pytest.raises(ValueError):
        check_amount(bad)


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (5, "năm"),
        (15, "mười lăm"),
        (21, "hai mươi mốt"),
        (105, "một trăm linh năm"),
        (2_015, "hai nghìn không trăm mười lăm"),
        (1_000_005, "một triệu không trăm linh năm"),
        (12_345_678, "mười hai triệu ba trăm bốn mươi lăm nghìn sáu trăm bảy mươi tám"),
        (1_000_000_000_000, "một nghìn tỷ"),
        (3_500_000_000_000, "ba nghìn năm trăm tỷ"),
    ],
)
def test_number_reading_follows_receipt_conventions(n: int, words: str) -> None:
    assert number_in_words(n) == words
