"""Lists through the API: diacritic-insensitive ``q``, phones typed any way, sort, filters, pages."""

import pytest
from django.test import Client

from sencrm.core.models import CustomField, User
from sencrm.core.services.records import record_create
from sencrm.crm.models import Account, Activity, Contact, Lead
from sencrm.crm.services.opportunities import opportunity_create, pipeline_create_default

API = "/api/v1"


def client_for(user) -> Client:
    User.objects.filter(pk=user.pk).update(language="en")
    client = Client()
    client.force_login(user)
    return client


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def people(org):
    """Contacts of alice with Vietnamese names, emails and phones."""
    make = lambda **data: record_create(Contact, by=org.alice, data=data)  # noqa: E731
    return {
        "anh": make(full_name="Nguyễn Thị Ánh", mobile="0912 345 678", email="anh.nguyen@senvang.vn"),
        "duc": make(full_name="Đặng Văn Đức", mobile="0987 654 321"),
        "thanh": make(full_name="Trần Thanh", phone="024 3825 1234", email="thanh@example.vn"),
        "an": make(full_name="Lê Văn An"),
    }


# ---------------------------------------------------------------------------------------------------
# ?q=
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("nguyen thi anh", ["anh"]),
        ("Nguyễn Thị Ánh", ["anh"]),
        ("NGUYEN", ["anh"]),
        ("dang", ["duc"]),
        ("Đặng", ["duc"]),
        ("duc", ["duc"]),
        ("van", ["an", "duc"]),
        ("thanh", ["thanh"]),  # a word start: "Thanh", not "Nguyễn Thị Ánh"
        ("senvang", ["anh"]),
        ("thanh@example.vn", ["thanh"]),
        ("nguyen duc", []),
    ],
)
def test_q_matches_names_and_emails_regardless_of_diacritics_and_case(org, people, q, expected):
    response = client_for(org.alice).get(f"{API}/contacts", {"q": q})

    assert sorted(ids(response)) == sorted(people[k].pk for k in expected)


@pytest.mark.parametrize(
    "q",
    [
        "0912 345 678",
        "0912.345.678",
        "+84912345678",
        "+84 912 345 678",
        "84912345678",
        "912345678",
        "345 678",
    ],
)
def test_q_finds_a_phone_number_typed_any_way(org, people, q):
    response = client_for(org.alice).get(f"{API}/contacts", {"q": q})

    assert ids(response) == [people["anh"].pk]


def test_q_finds_a_landline_and_matches_nothing_for_an_unknown_number(org, people):
    client = client_for(org.alice)

    assert ids(client.get(f"{API}/contacts", {"q": "024 3825 1234"})) == [people["thanh"].pk]
    assert ids(client.get(f"{API}/contacts", {"q": "0911 111 111"})) == []


def test_q_works_on_every_record_kind(org):
    pipeline_create_default()
    account = record_create(Account, by=org.alice, data={"name": "Công ty Đông Á", "tax_code": "0101248141"})
    lead = record_create(Lead, by=org.alice, data={"full_name": "Phạm Đông", "email": "dong@gmail.com"})
    deal = opportunity_create(by=org.alice, data={"name": "Gói Đông Xuân"})
    activity = record_create(Activity, by=org.alice, data={"subject": "Gọi anh Đông"})
    client = client_for(org.alice)

    assert ids(client.get(f"{API}/accounts", {"q": "dong a"})) == [account.pk]
    assert ids(client.get(f"{API}/accounts", {"q": "0101248141"})) == [account.pk]
    assert ids(client.get(f"{API}/leads", {"q": "dong"})) == [lead.pk]
    assert ids(client.get(f"{API}/opportunities", {"q": "dong xuan"})) == [deal.pk]
    assert ids(client.get(f"{API}/activities", {"q": "goi dong"})) == [activity.pk]


# ---------------------------------------------------------------------------------------------------
# ?sort=
# ---------------------------------------------------------------------------------------------------


def test_contacts_sort_by_given_name_the_vietnamese_way(org, people):
    client = client_for(org.alice)

    # Given names An < Ánh < Đức < Thanh (đ after d, tones secondary).
    ascending = ids(client.get(f"{API}/contacts", {"sort": "name"}))
    descending = ids(client.get(f"{API}/contacts", {"sort": "-name"}))
    default = ids(client.get(f"{API}/contacts"))

    expected = [people[k].pk for k in ("an", "anh", "duc", "thanh")]
    assert ascending == expected
    assert default == expected
    assert descending == expected[::-1]


def test_sort_has_a_stable_tiebreak_on_id(org):
    same = [record_create(Account, by=org.alice, data={"name": "Sen"}).pk for _ in range(3)]
    client = client_for(org.alice)

    assert ids(client.get(f"{API}/accounts", {"sort": "name"})) == same
    assert ids(client.get(f"{API}/accounts", {"sort": "-name"})) == same[::-1]


def test_sort_by_several_fields(org):
    pipeline_create_default()
    make = lambda name, amount: opportunity_create(by=org.alice, data={"name": name, "amount": amount}).pk  # noqa: E731
    b1, a, b2 = make("B", 100), make("A", 100), make("B", 500)
    client = client_for(org.alice)

    assert ids(client.get(f"{API}/opportunities", {"sort": "-amount,name"})) == [b2, a, b1]
    assert ids(client.get(f"{API}/opportunities", {"sort": "amount,-name"})) == [b1, a, b2]
    assert ids(client.get(f"{API}/opportunities")) == [b2, a, b1]  # newest first


def test_an_unknown_sort_field_is_422(org):
    response = client_for(org.alice).get(f"{API}/accounts", {"sort": "name,-tax_code"})

    assert response.status_code == 422
    assert response.json()["errors"] == {"sort": ["Cannot sort by tax_code. Choose from: created_at, name."]}


# ---------------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------------


def test_field_filters(org):
    partner = record_create(Account, by=org.alice, data={"name": "A", "type": "partner"})
    customer = record_create(Account, by=org.alice, data={"name": "B"})
    bobs = record_create(Account, by=org.bob, data={"name": "C", "type": "partner"})
    client = client_for(org.bob)  # team scope: sees all three

    assert ids(client.get(f"{API}/accounts", {"type": "partner"})) == [partner.pk, bobs.pk]
    assert ids(client.get(f"{API}/accounts", {"type": "customer"})) == [customer.pk]
    assert ids(client.get(f"{API}/accounts", {"owner": org.bob.pk})) == [bobs.pk]
    assert ids(client.get(f"{API}/accounts", {"owner": org.alice.pk, "type": "partner"})) == [partner.pk]
    assert ids(client.get(f"{API}/accounts", {"branch": org.hn.pk, "team": org.team_hn.pk})) == [
        partner.pk,
        customer.pk,
        bobs.pk,
    ]
    bad = client.get(f"{API}/accounts", {"type": "friend"})
    assert bad.status_code == 422
    assert list(bad.json()["errors"]) == ["type"]


def test_filters_of_leads_opportunities_contacts_and_activities(org):
    pipeline = pipeline_create_default()
    second = pipeline.stages.order_by("position")[1]
    hot = record_create(Lead, by=org.alice, data={"full_name": "A", "rating": "hot", "source": "website"})
    record_create(Lead, by=org.alice, data={"full_name": "B", "rating": "cold"})
    account = record_create(Account, by=org.alice, data={"name": "Sen"})
    contact = record_create(Contact, by=org.alice, data={"given_name": "Lan", "account": account})
    record_create(Contact, by=org.alice, data={"given_name": "Mai"})
    deal = opportunity_create(by=org.alice, data={"name": "X", "account": account, "stage": second})
    opportunity_create(by=org.alice, data={"name": "Y"})
    done = record_create(Activity, by=org.alice, data={"subject": "A", "done": True, "kind": "call"})
    record_create(Activity, by=org.alice, data={"subject": "B", "contact": contact})
    client = client_for(org.alice)

    assert ids(client.get(f"{API}/leads", {"rating": "hot"})) == [hot.pk]
    assert ids(client.get(f"{API}/leads", {"source": "website", "status": "new"})) == [hot.pk]
    assert ids(client.get(f"{API}/contacts", {"account": account.pk})) == [contact.pk]
    assert ids(client.get(f"{API}/opportunities", {"stage": second.pk})) == [deal.pk]
    assert ids(client.get(f"{API}/opportunities", {"account": account.pk, "pipeline": pipeline.pk})) == [
        deal.pk
    ]
    assert ids(client.get(f"{API}/activities", {"done": "true"})) == [done.pk]
    assert ids(client.get(f"{API}/activities", {"kind": "call"})) == [done.pk]
    assert len(ids(client.get(f"{API}/activities", {"account": account.pk}))) == 1  # via the contact


def test_tag_filter_is_repeatable_and_folds(org):
    vip_hn = record_create(Account, by=org.alice, data={"name": "A"}, tags=["VIP", "Hà Nội"])
    vip = record_create(Account, by=org.alice, data={"name": "B"}, tags=["VIP"])
    record_create(Account, by=org.alice, data={"name": "C"})
    client = client_for(org.alice)

    assert ids(client.get(f"{API}/accounts", {"tag": "vip"})) == [vip_hn.pk, vip.pk]
    assert ids(client.get(f"{API}/accounts?tag=VIP&tag=ha%20noi")) == [vip_hn.pk]
    assert ids(client.get(f"{API}/accounts", {"tag": "Không có"})) == []


def test_custom_field_filters_by_type(org):
    CustomField.objects.create(
        entity="crm.account", key="hang", label="Hạng", type="choice", choices=["Vàng", "Bạc"]
    )
    CustomField.objects.create(
        entity="crm.account", key="kenh", label="Kênh", type="multi", choices=["Zalo", "Facebook", "Đại lý"]
    )
    CustomField.objects.create(entity="crm.account", key="so_nv", label="Số NV", type="number")
    CustomField.objects.create(entity="crm.account", key="xuat_khau", label="Xuất khẩu", type="bool")
    CustomField.objects.create(entity="crm.account", key="ghi_chu", label="Ghi chú", type="text")
    gold = record_create(
        Account,
        by=org.alice,
        data={"name": "A"},
        custom={
            "hang": "Vàng",
            "kenh": ["Zalo", "Đại lý"],
            "so_nv": 12,
            "xuat_khau": True,
            "ghi_chu": "Khách quen",
        },
    )
    silver = record_create(
        Account, by=org.alice, data={"name": "B"}, custom={"hang": "Bạc", "kenh": ["Facebook"], "so_nv": 5}
    )
    client = client_for(org.alice)

    assert ids(client.get(f"{API}/accounts", {"custom.hang": "Vàng"})) == [gold.pk]
    assert ids(client.get(f"{API}/accounts", {"custom.kenh": "Đại lý"})) == [gold.pk]
    assert ids(client.get(f"{API}/accounts", {"custom.kenh": "Facebook"})) == [silver.pk]
    assert ids(client.get(f"{API}/accounts", {"custom.so_nv": "5"})) == [silver.pk]
    assert ids(client.get(f"{API}/accounts", {"custom.xuat_khau": "true"})) == [gold.pk]
    assert ids(client.get(f"{API}/accounts", {"custom.ghi_chu": "quen"})) == [gold.pk]

    unknown = client.get(f"{API}/accounts", {"custom.mau": "đỏ"})
    bad = client.get(f"{API}/accounts", {"custom.so_nv": "mười"})
    assert unknown.status_code == bad.status_code == 422
    assert unknown.json()["errors"] == {"custom.mau": ["Unknown custom field."]}
    assert bad.json()["errors"] == {"custom.so_nv": ["Enter a valid value for this field."]}


def test_an_unknown_filter_is_422(org):
    response = client_for(org.alice).get(f"{API}/leads", {"stauts": "new"})

    assert response.status_code == 422
    assert response.json() == {
        "detail": "Some fields are not valid.",
        "errors": {"stauts": ["Unknown filter."]},
    }


# ---------------------------------------------------------------------------------------------------
# Pagination
# ---------------------------------------------------------------------------------------------------


def test_pages_follow_next_until_null(org):
    made = [record_create(Account, by=org.alice, data={"name": f"Sen {i:02d}"}).pk for i in range(5)]
    client = client_for(org.alice)

    first = client.get(f"{API}/accounts", {"limit": 2, "type": "customer"})
    assert first.json()["count"] == 5
    assert ids(first) == made[:2]
    next_url = first.json()["next"]
    assert next_url.startswith("http://testserver/api/v1/accounts?")
    assert "type=customer" in next_url and "offset=2" in next_url and "limit=2" in next_url

    second = client.get(next_url)
    third = client.get(second.json()["next"])
    assert ids(second) == made[2:4]
    assert ids(third) == made[4:]
    assert third.json()["next"] is None


def test_default_page_size_is_50(org):
    Account.objects.bulk_create(
        Account(name=f"Sen {i}", owner=org.alice, branch=org.hn, team=org.team_hn, sort_name=f"{i:03d}")
        for i in range(51)
    )

    response = client_for(org.alice).get(f"{API}/accounts")

    assert response.json()["count"] == 51
    assert len(response.json()["results"]) == 50


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"limit": 201}, "limit", "Ensure this value is at most 200."),
        ({"limit": 0}, "limit", "Ensure this value is at least 1."),
        ({"offset": -1}, "offset", "Ensure this value is at least 0."),
        ({"limit": "nhiều"}, "limit", "Enter a whole number."),
    ],
)
def test_bad_page_parameters_are_422(org, params, field, message):
    response = client_for(org.alice).get(f"{API}/contacts", params)

    assert response.status_code == 422
    assert response.json()["errors"] == {field: [message]}


def test_a_page_of_200_is_allowed(org):
    response = client_for(org.alice).get(f"{API}/contacts", {"limit": 200})

    assert response.status_code == 200
    assert response.json() == {"count": 0, "count_exact": True, "next": None, "results": []}


@pytest.mark.parametrize("kind", ["accounts", "contacts", "leads", "opportunities", "activities"])
def test_list_and_detail_take_a_fixed_number_of_queries(org, kind, django_assert_num_queries):
    pipeline_create_default()
    makers = {
        "accounts": lambda i: record_create(Account, by=org.alice, data={"name": f"Sen {i}"}, tags=["VIP"]),
        "contacts": lambda i: record_create(
            Contact, by=org.alice, data={"given_name": f"Lan {i}"}, tags=["VIP"]
        ),
        "leads": lambda i: record_create(Lead, by=org.alice, data={"full_name": f"Lan {i}"}, tags=["VIP"]),
        "opportunities": lambda i: opportunity_create(by=org.alice, data={"name": f"Sen {i}"}, tags=["VIP"]),
        "activities": lambda i: record_create(
            Activity, by=org.alice, data={"subject": f"Gọi {i}"}, tags=["VIP"]
        ),
    }
    pks = [makers[kind](i).pk for i in range(20)]
    client = client_for(org.alice)
    client.get(f"{API}/{kind}")  # warm up

    # session, user, role, page, tags: whatever the page size (the last page needs no count)
    with django_assert_num_queries(5):
        response = client.get(f"{API}/{kind}", {"limit": 20})
    # … and the count (capped) when there is a next page
    with django_assert_num_queries(6):
        client.get(f"{API}/{kind}", {"limit": 5})
    # session, user, role, record, tags
    with django_assert_num_queries(5):
        client.get(f"{API}/{kind}/{pks[0]}")
    assert len(response.json()["results"]) == 20
