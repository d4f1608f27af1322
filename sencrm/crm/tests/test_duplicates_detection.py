"""Finding duplicates: exact keys, Vietnamese fuzzy names, blocking, visibility, the UI and the API."""

import pytest
from django.urls import reverse
from django.utils import translation

from sencrm.core.services.records import record_create
from sencrm.crm.models import Account, Contact, Lead
from sencrm.crm.services.duplicates import duplicate_groups, find_duplicates
from sencrm.crm.tests.views_support import login, make, url


def scores(matches):
    return {str(m.record): m.score for m in matches}


def test_it_finds_exact_email_phone_and_tax_code_with_score_100(org):
    by_phone = make("contact", org.alice, "Trần Thị Lan", mobile="0912 345 678")
    by_email = make("contact", org.alice, "Lê Minh Tâm", email="tam@hoasen.vn")
    make("contact", org.alice, "Phạm Văn Hùng", email="hung@hoasen.vn")
    found = find_duplicates(
        "contact", {"full_name": "Ai Đó", "mobile": "+84 912345678", "email2": "TAM@hoasen.vn"}, org.alice
    )
    assert [(m.record, m.score, m.reasons) for m in found] == [
        (by_phone, 100, ["phone"]),
        (by_email, 100, ["email"]),
    ]
    account = make("account", org.alice, "Công ty TNHH Hoa Sen", tax_code="0101248141")
    found = find_duplicates(Account, {"name": "Khác hẳn", "tax_code": "0101248141"}, org.alice)
    assert [(m.record, m.score, m.reasons) for m in found] == [(account, 100, ["tax_code"])]


def test_vietnamese_name_variants_score_high_but_below_exact(org):
    duc = make("contact", org.alice, "Nguyễn Văn Đức")
    hoang = make("contact", org.alice, "Hoàng Thị Mai")
    vu = make("contact", org.alice, "Vũ Minh Tuấn")
    make("contact", org.alice, "Nguyễn Văn Đạt")  # another person: different given name
    assert scores(find_duplicates("contact", {"full_name": "nguyen van duc"}, org.alice)) == {str(duc): 95}
    assert scores(find_duplicates("contact", {"full_name": "Nguyễn Đức"}, org.alice)) == {str(duc): 79}
    huynh = find_duplicates("contact", {"full_name": "Huỳnh Thị Mai"}, org.alice)
    vo = find_duplicates("contact", {"full_name": "Võ Minh Tuấn"}, org.alice)
    assert [m.record for m in huynh] == [hoang] and [m.record for m in vo] == [vu]
    assert 85 <= huynh[0].score < 95 and 85 <= vo[0].score < 95
    # An exact key always ranks above the best fuzzy match.
    same_phone = make("contact", org.alice, "Người Khác", mobile="0987 654 321")
    found = find_duplicates("contact", {"full_name": "Nguyễn Văn Đức", "mobile": "0987654321"}, org.alice)
    assert [(m.record, m.score) for m in found] == [(same_phone, 100), (duc, 95)]


def test_company_names_match_without_legal_form_and_a_record_never_matches_itself(org):
    a = make("account", org.alice, "Công ty TNHH Thương mại Minh Anh")
    b = make("account", org.alice, "Cty TNHH Minh Anh")
    make("account", org.alice, "Công ty Cổ phần Minh Long")
    assert [(m.record, m.score) for m in find_duplicates("account", a, org.alice)] == [(b, 95)]
    lead = make("lead", org.alice, "", company="Minh Anh JSC", full_name="")
    assert [m.record for m in find_duplicates("lead", {"company": "Công ty Minh Anh"}, org.alice)] == [lead]


def test_mallory_records_never_appear_for_alice(org):
    make("contact", org.mallory, "Nguyễn Văn Đức", email="duc@hoasen.vn")
    mine = make("contact", org.alice, "Nguyễn Văn Đức")
    assert [m.record for m in find_duplicates("contact", mine, org.alice)] == []
    assert [m.record for m in find_duplicates("contact", {"email": "duc@hoasen.vn"}, org.alice)] == []
    assert duplicate_groups("contact", org.alice) == ([], False)
    assert [g.ids for g in duplicate_groups("contact", org.erin)[0]] == [
        sorted(Contact.objects.filter(full_name="Nguyễn Văn Đức").values_list("pk", flat=True))
    ]


def test_blocking_keeps_the_query_count_flat(org, django_assert_num_queries):
    for i in range(40):
        record_create(
            Contact, by=org.erin, data={"full_name": f"Trần Văn Khách{i}", "mobile": f"09123450{i:02d}"}
        )
    target = {"full_name": "Trần Văn Khách7", "mobile": "0912345007", "email": "x@hoasen.vn"}
    with django_assert_num_queries(2):  # one exact-key query, one block query
        found = find_duplicates("contact", target, org.erin)
    assert found[0].score == 100 and str(found[0].record) == "Trần Văn Khách7"
    twin = record_create(Contact, by=org.erin, data={"full_name": "Lê Thị Hằng", "mobile": "0912345007"})
    with django_assert_num_queries(2):  # the blocks of one page, then their members
        groups, has_next = duplicate_groups("contact", org.erin, by="phone")
    assert [(len(g.ids), g.ids[-1], g.score) for g in groups] == [(2, twin.pk, 100)]
    assert has_next is False


def test_duplicates_page_lists_groups_with_a_merge_link(client, org):
    a = make("contact", org.alice, "Nguyễn Văn Đức")
    b = make("contact", org.alice, "Nguyen Van Duc")
    make("contact", org.alice, "Trần Thị Lan")
    login(client, org.alice)
    response = client.get(reverse("crm:duplicates"), {"type": "contact"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="duplicate-group"') == 1
    assert f"ids={a.pk}&amp;ids={b.pk}" in html
    assert "Trần Thị Lan" not in html
    assert client.get(reverse("crm:duplicates"), {"type": "nothing"}).status_code == 404


def test_detail_box_is_loaded_lazily_and_lists_duplicates(client, org):
    a = make("lead", org.alice, "Phạm Thị Hoa", email="hoa@hoasen.vn")
    b = make("lead", org.alice, "Phạm Thị Hoà")
    login(client, org.alice)
    detail = client.get(url("lead", "detail", a.pk)).content.decode()
    assert reverse("crm:duplicate_box", args=["lead", a.pk]) in detail
    box = client.get(reverse("crm:duplicate_box", args=["lead", a.pk])).content.decode()
    assert 'data-testid="duplicate-box"' in box and b.get_absolute_url() in box
    login(client, org.mallory)
    assert client.get(reverse("crm:duplicate_box", args=["lead", a.pk])).status_code == 404


def test_create_form_warns_of_duplicates_without_blocking(client, org):
    existing = make("contact", org.alice, "Đặng Thuỳ Dương", mobile="0903 111 222")
    login(client, org.alice)
    form = client.get(url("contact", "create")).content.decode()
    check_url = reverse("crm:duplicate_check", args=["contact"])
    assert f'hx-post="{check_url}"' in form and 'id="duplicate-warning"' in form
    warning = client.post(check_url, {"given_name": "Dương", "family_name": "Đặng", "mobile": "0903111222"})
    html = warning.content.decode()
    assert 'data-testid="duplicate-warning"' in html and existing.get_absolute_url() in html
    # Editing the record itself does not warn about itself.
    html = client.post(f"{check_url}?pk={existing.pk}", {"mobile": "0903111222"}).content.decode()
    assert "duplicate-warning" not in html
    # Saving anyway works: the warning never blocks.
    response = client.post(
        url("contact", "create"), {"family_name": "Đặng", "given_name": "Dương", "mobile": "0903111222"}
    )
    assert response.status_code == 302
    assert Contact.objects.filter(mobile="+84903111222").count() == 2


def test_lead_verification_uses_the_finder(org):
    from sencrm.crm.services.leads import lead_verify

    first = make("lead", org.alice, "Hoàng Văn Nam")
    second = record_create(Lead, by=org.alice, data={"full_name": "Huỳnh Văn Nam"})
    with translation.override("en"):
        warnings = [w for w in lead_verify(lead=second, user=org.alice) if w.field == "duplicate"]
    assert [(w.message, w.url) for w in warnings] == [
        (f"Possible duplicate of lead {first}.", first.get_absolute_url())
    ]


def test_api_lists_duplicates_and_create_answers_normally(client, org):
    a = make("contact", org.alice, "Nguyễn Văn Đức", email="duc@hoasen.vn")
    login(client, org.alice)
    created = client.post(
        "/api/v1/contacts",
        {"full_name": "Nguyen Van Duc", "email": "duc@hoasen.vn"},
        content_type="application/json",
    )
    assert created.status_code == 201
    new_id = created.json()["id"]
    body = client.get(f"/api/v1/contacts/{new_id}/duplicates").json()
    assert body == {
        "results": [
            {
                "id": a.pk,
                "type": "contact",
                "title": "Nguyễn Văn Đức",
                "url": a.get_absolute_url(),
                "score": 100,
                "reasons": ["email"],
            }
        ]
    }
    login(client, org.mallory)
    assert client.get(f"/api/v1/contacts/{new_id}/duplicates").status_code == 404


@pytest.mark.parametrize("kind", ["account", "contact", "lead"])
def test_edit_forms_of_each_kind_carry_the_check(client, org, kind):
    record = make(kind, org.alice)
    login(client, org.alice)
    html = client.get(url(kind, "edit", record.pk)).content.decode()
    assert f'hx-post="{reverse("crm:duplicate_check", args=[kind])}?pk={record.pk}"' in html
