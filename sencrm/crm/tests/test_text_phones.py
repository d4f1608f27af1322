"""Vietnamese text and phone helpers the whole CRM relies on (VIETNAM.md §2–4)."""

import pytest
from django.core.exceptions import ValidationError

from sencrm.common.phones import format_phone, is_valid_phone, normalize_phone
from sencrm.common.text import fold, name_sort_key, search_text, search_words, sort_key, split_name
from sencrm.common.validators import normalize_tax_code, validate_tax_code


def test_fold_removes_every_vietnamese_mark_and_d_bar():
    assert fold("Đặng Thuỳ Dương") == "dang thuy duong"
    assert fold("NGUYỄN THỊ ÁNH") == "nguyen thi anh"
    # Windows' keyboard emits a base letter plus combining marks: same fold.
    assert fold("Nguye\u0302\u0303n") == "nguyen"


def test_search_words_split_and_fold():
    assert search_words("  Ngu  VĂN, ánh ") == ["ngu", "van", "anh"]


def test_search_text_carries_both_phone_forms():
    text = search_text("Trần Bình", "+84912345678")
    assert " tran binh " in text
    assert " 84912345678 " in text and " 0912345678 " in text


@pytest.mark.parametrize(
    ("full", "parts"),
    [
        ("Nguyễn Văn Đức", ("Nguyễn", "Văn", "Đức")),
        ("Tôn Thất Thuyết", ("Tôn Thất", "", "Thuyết")),
        ("Lê Ánh", ("Lê", "", "Ánh")),
        ("Mai", ("", "", "Mai")),
    ],
)
def test_split_name(full, parts):
    assert split_name(full) == parts


def test_sort_key_follows_vietnamese_alphabet_and_tones():
    words = ["Ơn", "Ân", "Ăn", "Đức", "Dương", "Ánh", "Anh", "An", "Ô", "O", "Ư", "U", "Đào"]
    assert sorted(words, key=sort_key) == [
        "An", "Anh", "Ánh", "Ăn", "Ân", "Dương", "Đào", "Đức", "O", "Ô", "Ơn", "U", "Ư",
    ]  # fmt: skip
    tones = ["mạ", "má", "mã", "mả", "mà", "ma"]
    assert sorted(tones, key=sort_key) == ["ma", "mà", "mả", "mã", "má", "mạ"]


def test_person_names_sort_by_given_then_middle_then_family():
    people = [("Trần", "Văn", "Bình"), ("Nguyễn", "Thị", "Ánh"), ("Lê", "Văn", "Ánh"), ("Nguyễn", "", "An")]
    ordered = sorted(people, key=lambda p: name_sort_key(*p))
    assert ordered == [
        ("Nguyễn", "", "An"),
        ("Nguyễn", "Thị", "Ánh"),
        ("Lê", "Văn", "Ánh"),
        ("Trần", "Văn", "Bình"),
    ]
    # The key is made of digits only so any database collation orders it the same way.
    assert all(c.isdigit() for c in name_sort_key("Đặng", "Thuỳ", "Dương"))


@pytest.mark.parametrize(
    "raw",
    ["0912 345 678", "091.234.5678", "+84 912 345 678", "(+84) 91 234 5678", "84912345678", "912345678"],
)
def test_phones_normalise_to_e164(raw):
    assert normalize_phone(raw) == "+84912345678"


def test_old_eleven_digit_mobile_numbers_are_rewritten():
    assert normalize_phone("01662 345 678") == "+84362345678"
    assert normalize_phone("0123 456 7890") == "+84834567890"


def test_landline_and_display():
    assert normalize_phone("024 3825 1234") == "+842438251234"
    assert format_phone("+84912345678") == "0912 345 678"
    assert is_valid_phone("+84912345678")


@pytest.mark.parametrize("raw", ["abc", "12", "0912 345 678 999 999"])
def test_garbage_is_not_a_phone(raw):
    with pytest.raises(ValidationError):
        normalize_phone(raw)


@pytest.mark.parametrize("code", ["0101248141", "0300588569", "0100109106", "0101248141-001", "001089012345"])
def test_valid_tax_codes(code):
    validate_tax_code(code)


@pytest.mark.parametrize("code", ["0101248142", "12345", "010124814", "abcdefghij"])
def test_invalid_tax_codes(code):
    with pytest.raises(ValidationError):
        validate_tax_code(code)


def test_tax_code_normalised():
    assert normalize_tax_code("0101248141 001") == "0101248141-001"
    assert normalize_tax_code("0101.248.141") == "0101248141"
