"""What the search index stores and what a typed query asks (core.search.query): engine-independent."""

from types import SimpleNamespace

from sencrm.common.text import search_text
from sencrm.core.search.query import exact_token, number_tails, parse_query, scope_tokens, tokens


def test_tokens_are_folded_words():
    assert tokens("Đặng Thuỳ-Dương, anh.nguyen@hoa_sen.vn") == [
        "dang", "thuy", "duong", "anh", "nguyen", "hoa", "sen", "vn",
    ]  # fmt: skip
    assert tokens("Nguye\u0302\u0303n") == ["nguyen"]  # combining marks (Windows keyboard)


def test_phone_queries_give_the_stored_digit_forms():
    for typed in ("0912 345 678", "+84 912345678", "912345678", "(+84) 91 234 5678", "0084912345678"):
        assert "0912345678" in parse_query(typed).numbers, typed
    assert parse_query("nguyen van").numbers == []
    assert parse_query("Nguyễn VĂN").words == ["nguyen", "van"]


def test_exact_token_depends_on_the_folded_words_only():
    assert exact_token(tokens("Nguyễn Văn Ánh")) == parse_query("nguyen  van anh").exact
    assert exact_token(["nguyen"]) != exact_token(["nguyen", "van"])


def test_scope_tokens_mirror_visible_to(org):
    shared = "pub"  # records of kinds every scope sees (the product catalogue)
    assert scope_tokens(org.erin) is None
    assert scope_tokens(org.alice) == [f"o{org.alice.pk}", shared]
    assert scope_tokens(org.bob) == [f"t{org.team_hn.pk}", f"o{org.bob.pk}", shared]
    assert sorted(scope_tokens(org.carol)) == sorted([*(f"b{b.pk}" for b in (org.hn, org.cg)), shared])
    assert scope_tokens(SimpleNamespace(data_scope="branch", branch_ids_below=list)) == [shared]


def test_digits_may_be_the_end_of_a_number():
    assert parse_query("345678").tails == {"345678": "r876543"}
    assert parse_query("lan 5678").tails == {"5678": "r8765"}  # next to a name: 4 digits are enough
    assert parse_query("5678").tails == {}  # alone: too many numbers end like that
    assert parse_query("lan 567").tails == {}
    assert parse_query("345 678").number_tail == "r876543"
    assert parse_query("45 678").number_tail == ""  # too short to be phone-like at all
    assert parse_query("nguyen").tails == {} and parse_query("nguyen").number_tail == ""
    assert parse_query("٣٤٥٦٧٨").tails == {}  # Arabic-Indic digits are words, not phone digits


def test_long_numbers_get_one_tail_token_each():
    body = tokens(search_text("Nguyễn Văn Ánh", "+84912345678", "0101248141", "12 Lê Lợi", "2024"))
    assert number_tails(body) == ["r1418421010", "r8765432190"]
    assert number_tails(tokens("+33612345678")) == ["r87654321633"]  # foreign: E.164 digits as they are
