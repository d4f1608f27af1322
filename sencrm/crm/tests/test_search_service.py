"""Global search over CRM records (core.search): matching, ranking, visibility, index upkeep.

Runs on whichever database the suite uses: SQLite exercises the FTS5 engine, PostgreSQL
(``DATABASE_URL``) the tsvector/GIN engine.
"""

from io import StringIO

import pytest
from django.db import connection

from sencrm.core.search import search, search_counts, search_index_remove, search_reindex
from sencrm.core.services.records import record_delete, record_restore, record_update
from sencrm.crm.models import Contact
from sencrm.crm.tests.views_support import make

CRM_KINDS = ("account", "contact", "lead", "opportunity")


def titles(user, q, **kwargs):
    return [h.title for h in search(user, q, **kwargs)]


@pytest.fixture
def people(org):
    return {
        "anh": make(
            "contact", org.alice, "Nguyễn Văn Ánh", email="anh.nguyen@hoasen.vn", mobile="0912 345 678"
        ),
        "duc": make("contact", org.alice, "Đặng Minh Đức"),
        "thanh": make("contact", org.alice, "Trần Thị Thanh"),
        "acct": make("account", org.alice, "Công ty Hoa Sen", tax_code="0101248141", phone="024 3825 1234"),
    }


def test_the_engine_matches_the_database():
    from sencrm.core.search.engines import PostgresEngine, SqliteEngine, get_engine

    expected = PostgresEngine if connection.vendor == "postgresql" else SqliteEngine
    assert type(get_engine()) is expected


@pytest.mark.parametrize(
    "q", ["nguyen van anh", "NGUYEN VAN ANH", "Nguyễn Văn Ánh", "nguyễn văn anh", "ngu va an"]
)
def test_diacritics_case_and_word_prefixes(org, people, q):
    assert titles(org.alice, q) == ["Nguyễn Văn Ánh"]


@pytest.mark.parametrize("q", ["dang duc", "đặng đức", "Dang", "đuc", "minh d"])
def test_d_and_đ_are_one_letter(org, people, q):
    assert titles(org.alice, q) == ["Đặng Minh Đức"]


def test_word_prefix_not_infix(org, people):
    # "anh" starts "Ánh", never the middle of "Thanh".
    assert titles(org.alice, "anh") == ["Nguyễn Văn Ánh"]


@pytest.mark.parametrize("q", ["0912 345 678", "+84 912345678", "912345678", "0912.345.678", "84912345678"])
def test_phone_numbers_typed_any_way(org, people, q):
    assert titles(org.alice, q) == ["Nguyễn Văn Ánh"]


def test_landline_email_and_tax_code(org, people):
    assert titles(org.alice, "024 3825 1234") == ["Công ty Hoa Sen"]
    assert titles(org.alice, "anh.nguyen@hoasen.vn") == ["Nguyễn Văn Ánh"]
    assert titles(org.alice, "0101248141") == ["Công ty Hoa Sen"]
    assert titles(org.alice, "hoasen") == ["Nguyễn Văn Ánh"]  # the email's domain


def test_ranking_exact_then_title_start_then_title_words_then_other_fields(org):
    make("contact", org.alice, "Lan Anh Hoàng")  # title starts with the query
    make("contact", org.alice, "Lan")  # exact
    make("contact", org.alice, "Phạm Thị Lan")  # "lan" is a word of the title
    make("account", org.alice, "Công ty Bình Minh", email="lan@binhminh.vn")  # only the email matches
    make("lead", org.alice, "Lê Lan Chi")
    assert titles(org.alice, "lan") == [
        "Lan",
        "Lan Anh Hoàng",
        "Lê Lan Chi",
        "Phạm Thị Lan",
        "Công ty Bình Minh",
    ]
    hits = search(org.alice, "lan")
    assert [h.rank for h in hits] == [0, 1, 2, 2, 3]
    assert {h.type for h in hits} == {"contact", "lead", "account"}


def test_types_and_limit(org, people):
    make("lead", org.alice, "Nguyễn Văn Ánh")
    assert [h.type for h in search(org.alice, "nguyen", types=["lead"])] == ["lead"]
    assert len(search(org.alice, "nguyen", limit=1)) == 1


def test_visibility_follows_the_data_scope(org):
    for owner in ("alice", "bob", "dave", "mallory", "erin"):
        make("contact", getattr(org, owner), f"Nguyễn {owner}")
    found = {
        name: sorted(h.title.split()[-1] for h in search(getattr(org, name), "nguyen", limit=50))
        for name in ("alice", "bob", "carol", "mallory", "erin", "viewer", "noright")
    }
    assert found == {
        "alice": ["alice"],
        "bob": ["alice", "bob"],
        "carol": ["alice", "bob", "dave"],
        "mallory": ["mallory"],
        "erin": ["alice", "bob", "dave", "erin", "mallory"],
        "viewer": ["alice", "bob", "dave"],
        "noright": [],
    }
    counts = search_counts(org.mallory, "nguyen")
    assert {k: counts.pop(k) for k in CRM_KINDS} == {"account": 0, "contact": 1, "lead": 0, "opportunity": 0}
    assert set(counts.values()) <= {0}  # the kinds other modules add find nothing here
    assert search_counts(org.noright, "nguyen") == {}


def test_mallory_does_not_find_alices_records_by_phone_or_tax_code(org, people):
    assert search(org.mallory, "0912 345 678") == []
    assert search(org.mallory, "0101248141") == []
    assert search_counts(org.mallory, "0101248141")["account"] == 0


def test_the_module_right_is_checked_per_kind(org, people):
    rights = dict(org.alice.role.rights)
    rights.pop("crm.contact")
    org.alice.role.rights = rights
    org.alice.role.save()
    assert titles(org.alice, "nguyen") == []
    assert titles(org.alice, "hoa sen") == ["Công ty Hoa Sen"]


def test_index_follows_update_delete_and_restore(org, people):
    contact = people["anh"]
    record_update(contact, by=org.alice, data={"family_name": "Lê", "full_name": "", "email": ""})
    assert titles(org.alice, "nguyen") == []
    assert titles(org.alice, "le van anh") == ["Lê Văn Ánh"]
    record_update(contact, by=org.alice, data={"owner": org.mallory})
    assert titles(org.alice, "le van anh") == []
    assert titles(org.mallory, "le van anh") == ["Lê Văn Ánh"]
    contact.refresh_from_db()
    record_delete(contact, by=org.mallory)
    assert titles(org.mallory, "le van anh") == []
    assert search_counts(org.mallory, "le van anh")["contact"] == 0
    record_restore(Contact.objects.deleted().get(pk=contact.pk), by=org.mallory)
    assert titles(org.mallory, "le van anh") == ["Lê Văn Ánh"]


def test_bulk_writes_are_indexed_by_reindex(org, people):
    Contact.objects.filter(pk=people["duc"].pk).update(full_name="Đỗ Hùng", search_text=" do hung ")
    assert titles(org.alice, "do hung") == []
    assert search_reindex("crm.contact", ids=[people["duc"].pk]) == 1
    assert titles(org.alice, "do hung") == ["Đỗ Hùng"]
    search_index_remove("crm.contact", [people["duc"].pk])
    assert titles(org.alice, "do hung") == []
    assert search_reindex() == 4
    assert titles(org.alice, "do hung") == ["Đỗ Hùng"]


def test_query_count_is_bounded(org, people, django_assert_max_num_queries):
    for i in range(30):
        make("contact", org.alice, f"Nguyễn Thị Hồng {i}")
    org.alice.refresh_from_db()
    search(org.alice, "x")  # role and branch loaded once per request
    with django_assert_max_num_queries(3 + 4):  # three index tiers, one query per kind found
        hits = search(org.alice, "nguyen", limit=8)
    assert len(hits) == 8


def test_odd_input_is_harmless(org, people):
    for q in ['"', "*", "AND", "a OR b", "(", "'", "nguyen:*", "-", "   ", "đ" * 300, "NEAR(a b)"]:
        search(org.erin, q)
        search_counts(org.erin, q)


def test_a_large_rebuild_loads_in_bulk_and_finds_the_same(org, people, monkeypatch):
    from sencrm.core.search import service

    monkeypatch.setattr(service, "REBUILD_LARGE", 1)  # PostgreSQL: GIN index dropped, built at the end
    Contact.objects.filter(pk=people["duc"].pk).update(full_name="Đỗ Hùng", search_text=" do hung ")
    assert search_reindex() == 4
    assert titles(org.alice, "do hung") == ["Đỗ Hùng"]
    assert titles(org.alice, "dang minh") == []
    assert titles(org.alice, "345678") == ["Nguyễn Văn Ánh"]
    assert titles(org.mallory, "nguyen") == []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'core_search' ORDER BY 1")
            assert [r[0] for r in cursor.fetchall()] == ["core_search_doc", "core_search_pkey"]


def test_reindex_command(org, people):
    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("search_reindex", stdout=out)
    assert out.getvalue().startswith("4 records indexed in ")
    out = StringIO()
    call_command("search_reindex", "--entity", "crm.account", stdout=out)
    assert out.getvalue().startswith("crm.account: 1 records indexed in ")
    assert titles(org.alice, "hoa sen") == ["Công ty Hoa Sen"]
    with pytest.raises(CommandError, match="crm.planet is not registered"):
        call_command("search_reindex", "--entity", "crm.planet")


def test_a_common_prefix_finds_every_kind_not_only_the_first_in_the_index(org):
    # Index keys run kind by kind; more opportunity hits than the engine is asked for must not hide
    # the person whose name starts with the query (and ranks above them).
    from sencrm.core.search.engines import get_engine

    if not get_engine().seeks_key_ranges:
        pytest.skip("PostgreSQL answers in storage order for all kinds at once (a known limitation)")
    account = make("account", org.erin, "Công ty Hải Nguyên")
    for n in range(35):
        make("opportunity", org.erin, f"Văn phòng phẩm {n} – Hải Nguyên", account=account)
    make("contact", org.erin, "Nguyễn Thị Lan")
    found = search(org.erin, "ngu", limit=8)
    assert found[0].title == "Nguyễn Thị Lan"
    assert {h.kind.type for h in found} >= {"contact", "account", "opportunity"}
