"""Finding accounts, contacts and leads by their phone numbers, whole or by the last digits
(core.search), on whichever engine the suite runs (SQLite FTS5, or PostgreSQL with DATABASE_URL)."""

import pytest

from sencrm.core.search import search, search_counts
from sencrm.core.services.records import record_update
from sencrm.crm.tests.views_support import make

CRM_KINDS = ("account", "contact", "lead", "opportunity")


def titles(user, q, **kwargs):
    return sorted(h.title for h in search(user, q, **kwargs))


@pytest.fixture
def phones(org):
    return {
        "anh": make("contact", org.alice, "Nguyễn Văn Ánh", mobile="0912 345 678"),
        "lan": make("contact", org.alice, "Trần Thị Lan", mobile="0987 005 678", phone="024 3825 1234"),
        "lead": make("lead", org.alice, "Phạm Minh Lan", mobile="+84 903 345 678"),
        "acct": make("account", org.alice, "Công ty Hoa Sen", phone="028 3822 9999", tax_code="0101248141"),
        "paris": make("contact", org.alice, "Jean Dupont", phone="+33 6 98 76 54 32"),
        "mallory": make("contact", org.mallory, "Lê Văn Mallory", mobile="0912 999 678"),
    }


@pytest.mark.parametrize(
    "q", ["0912 345 678", "+84 912345678", "912345678", "0912-345-678", "(+84) 912.345.678"]
)
def test_whole_number_in_any_format(org, phones, q):
    assert titles(org.alice, q) == ["Nguyễn Văn Ánh"]


def test_last_six_digits_or_more_find_every_record_ending_so(org, phones):
    assert titles(org.alice, "345678") == ["Nguyễn Văn Ánh", "Phạm Minh Lan"]  # a contact and a lead
    assert titles(org.alice, "2345678") == ["Nguyễn Văn Ánh"]
    assert titles(org.alice, "345 678") == ["Nguyễn Văn Ánh", "Phạm Minh Lan"]  # typed with a space
    assert titles(org.alice, "229999") == ["Công ty Hoa Sen"]  # an account's landline
    assert titles(org.alice, "38251234") == ["Trần Thị Lan"]  # her second number
    assert titles(org.alice, "345678", types=["lead"]) == ["Phạm Minh Lan"]
    assert titles(org.alice, "98765432") == ["Jean Dupont"]  # a foreign number too
    counts = search_counts(org.alice, "345678")
    assert {k: counts.pop(k) for k in CRM_KINDS} == {"account": 0, "contact": 1, "lead": 1, "opportunity": 0}
    assert set(counts.values()) <= {0}  # the kinds other modules add find nothing here


def test_a_name_and_four_last_digits(org, phones):
    assert titles(org.alice, "lan 5678") == ["Phạm Minh Lan", "Trần Thị Lan"]
    assert titles(org.alice, "tran 5678") == ["Trần Thị Lan"]
    assert titles(org.alice, "5678 anh") == ["Nguyễn Văn Ánh"]
    assert titles(org.alice, "lan 1234") == ["Trần Thị Lan"]
    assert titles(org.alice, "anh 9999") == []


def test_too_few_or_inner_digits_do_not_match_a_number(org, phones):
    assert titles(org.alice, "5678") == []  # alone, four digits would match thousands of numbers
    assert titles(org.alice, "45678") == []
    assert titles(org.alice, "lan 678") == []
    assert titles(org.alice, "234567") == []  # the middle of 0912 345 678, neither its start nor end
    assert titles(org.alice, "678") == []


def test_start_of_a_number_and_of_a_tax_code_still_match(org, phones):
    assert titles(org.alice, "0912") == ["Nguyễn Văn Ánh"]
    assert titles(org.alice, "091234") == ["Nguyễn Văn Ánh"]
    assert titles(org.alice, "010124") == ["Công ty Hoa Sen"]
    assert titles(org.alice, "248141") == ["Công ty Hoa Sen"]  # a tax code's end too


def test_tails_respect_visibility(org, phones):
    assert titles(org.mallory, "999678") == ["Lê Văn Mallory"]
    assert titles(org.alice, "999678") == []
    assert titles(org.mallory, "345678") == []
    assert titles(org.erin, "678 mallory") == []  # 3 digits: no tail match even with a name
    assert titles(org.erin, "mallory 9678") == ["Lê Văn Mallory"]


def test_tails_follow_updates(org, phones):
    record_update(phones["anh"], by=org.alice, data={"mobile": "0977 111 222"})
    assert titles(org.alice, "345678") == ["Phạm Minh Lan"]
    assert titles(org.alice, "111222") == ["Nguyễn Văn Ánh"]
    assert titles(org.alice, "anh 1222") == ["Nguyễn Văn Ánh"]


def test_odd_digit_queries_are_harmless(org, phones):
    for q in ["0" * 200, "+", "++84", "1 2 3 4 5 6 7 8", "٣٤٥٦٧٨", "0912 345 678 lan", "r876543", "*5678"]:
        search(org.erin, q)
        search_counts(org.erin, q)
    assert titles(org.alice, "r876543") == []  # a tail token cannot be typed in


def test_short_numbers_match_whole_words_only(org, phones):
    make("account", org.alice, "Công ty 365")
    assert titles(org.alice, "09") == []  # would be the start of every mobile number in the country
    assert titles(org.alice, "091") == []
    assert titles(org.alice, "0912") == ["Nguyễn Văn Ánh"]
    assert titles(org.alice, "365") == ["Công ty 365"]
    assert titles(org.alice, "36") == []
    assert titles(org.alice, "cong ty 365") == ["Công ty 365"]
    assert titles(org.alice, "cong 36") == []
