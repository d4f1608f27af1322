"""What the search index stores and what a typed query asks (core.search.query): engine-independent."""

from types import SimpleNamespace

from sencrm.core.search.query import exact_token, parse_query, scope_tokens, tokens


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
    assert scope_tokens(org.erin) is None
    assert scope_tokens(org.alice) == [f"o{org.alice.pk}"]
    assert scope_tokens(org.bob) == [f"t{org.team_hn.pk}", f"o{org.bob.pk}"]
    assert sorted(scope_tokens(org.carol)) == sorted(f"b{b.pk}" for b in (org.hn, org.cg))
    assert scope_tokens(SimpleNamespace(data_scope="branch", branch_ids_below=list)) == []
