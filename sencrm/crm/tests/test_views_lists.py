"""List pages: search, filters, sort, pagination, the column chooser and htmx partial swaps."""

import pytest

from sencrm.core.models import CustomField, Tag
from sencrm.core.services.records import record_update
from sencrm.crm.models import Stage
from sencrm.crm.services.opportunities import pipeline_create_default
from sencrm.crm.tests.views_support import login, make, row_pks, url


def test_search_ignores_diacritics_and_case(client, org):
    anh = make("contact", org.erin, "Nguyễn Thị Ánh")
    make("contact", org.erin, "Trần Văn Thanh")
    duc = make("contact", org.erin, "Đặng Văn Đức")
    login(client, org.erin)

    assert row_pks(client.get(url("contact", "list"), {"q": "nguyen thi anh"})) == [anh.pk]
    assert row_pks(client.get(url("contact", "list"), {"q": "NGUYỄN ánh"})) == [anh.pk]
    assert row_pks(client.get(url("contact", "list"), {"q": "dang"})) == [duc.pk]
    assert row_pks(client.get(url("contact", "list"), {"q": "Đức"})) == [duc.pk]
    # Words match at their start: "anh" does not find "Thanh".
    assert row_pks(client.get(url("contact", "list"), {"q": "anh"})) == [anh.pk]


@pytest.mark.parametrize("query", ["0912 345 678", "+84912345678", "091.234.5678", "912345678", "345678"])
def test_search_finds_phones_in_any_format(client, org, query):
    lan = make("contact", org.erin, "Lê Thị Lan", mobile="0912345678")
    make("contact", org.erin, "Hồ Văn Nam", mobile="0987000111")
    login(client, org.erin)
    assert row_pks(client.get(url("contact", "list"), {"q": query})) == [lan.pk]


def test_search_covers_emails_and_company_names(client, org):
    lead = make("lead", org.erin, "Phạm Hùng", company="Công ty Đông Á", email="hung@donga.vn")
    make("lead", org.erin, "Vũ Minh", company="Công ty Sen")
    login(client, org.erin)
    assert row_pks(client.get(url("lead", "list"), {"q": "dong a"})) == [lead.pk]
    assert row_pks(client.get(url("lead", "list"), {"q": "hung@donga"})) == [lead.pk]


def test_contacts_sort_by_given_name_the_vietnamese_way(client, org):
    names = ["Nguyễn Văn Đức", "Trần Thị Ánh", "Lê Văn An", "Phạm Thị Dung", "Hoàng Ăn"]
    made = {n: make("contact", org.erin, n) for n in names}
    login(client, org.erin)

    response = client.get(url("contact", "list"))
    descending = client.get(url("contact", "list"), {"sort": "-full_name"})

    # Given names: An < Ánh < Ăn < Dung < Đức (a < ă, d < đ; tone after the letters).
    expected = [
        made[n].pk for n in ["Lê Văn An", "Trần Thị Ánh", "Hoàng Ăn", "Phạm Thị Dung", "Nguyễn Văn Đức"]
    ]
    assert row_pks(response) == expected
    assert row_pks(descending) == expected[::-1]


def test_sort_by_any_column_with_a_stable_tiebreak(client, org):
    pipeline_create_default()
    a = make("opportunity", org.erin, "A", amount=300)
    b = make("opportunity", org.erin, "B", amount=100)
    c = make("opportunity", org.erin, "C", amount=300)
    login(client, org.erin)
    assert row_pks(client.get(url("opportunity", "list"), {"sort": "amount"})) == [b.pk, a.pk, c.pk]
    assert row_pks(client.get(url("opportunity", "list"), {"sort": "-amount"})) == [c.pk, a.pk, b.pk]
    assert row_pks(client.get(url("opportunity", "list"), {"sort": "owner"})) == [a.pk, b.pk, c.pk]
    # A column that is not offered is ignored (default order: newest first).
    assert row_pks(client.get(url("opportunity", "list"), {"sort": "search_text"})) == [c.pk, b.pk, a.pk]


def test_choice_owner_branch_and_team_filters(client, org):
    a = make("account", org.alice, "Alice KH", type="customer")
    b = make("account", org.bob, "Bob NCC", type="supplier")
    d = make("account", org.dave, "Dave KH", type="customer")
    m = make("account", org.mallory, "Mai ĐT", type="partner")
    login(client, org.erin)
    get = lambda **q: set(row_pks(client.get(url("account", "list"), q)))  # noqa: E731

    assert get(type="customer") == {a.pk, d.pk}
    assert get(type=["supplier", "partner"]) == {b.pk, m.pk}
    assert get(owner=[org.alice.pk, org.mallory.pk]) == {a.pk, m.pk}
    assert get(branch=org.hn.pk) == {a.pk, b.pk, d.pk}  # Hà Nội and Cầu Giấy below it
    assert get(branch=org.cg.pk) == {d.pk}
    assert get(team=org.team_hn.pk) == {a.pk, b.pk}
    assert get(type="customer", owner=org.dave.pk) == {d.pk}
    assert get(type="nonsense") == {a.pk, b.pk, d.pk, m.pk}


def test_owner_filter_me(client, org):
    mine = make("lead", org.bob, "Của Bob")
    make("lead", org.alice, "Của Alice")
    login(client, org.bob)
    assert row_pks(client.get(url("lead", "list"), {"owner": "me"})) == [mine.pk]


def test_tag_filter_matches_any_of_several_without_repeating_rows(client, org):
    both = make("contact", org.erin, "Hai thẻ")
    one = make("contact", org.erin, "Một thẻ")
    make("contact", org.erin, "Không thẻ")
    record_update(both, by=org.erin, data={}, tags=["VIP", "Sỉ"])
    record_update(one, by=org.erin, data={}, tags=["Sỉ"])
    vip, si = Tag.objects.get(name="VIP"), Tag.objects.get(name="Sỉ")
    login(client, org.erin)
    assert row_pks(client.get(url("contact", "list"), {"tag": [vip.pk, si.pk]})) == [both.pk, one.pk]
    assert row_pks(client.get(url("contact", "list"), {"tag": vip.pk})) == [both.pk]


def test_related_filters_from_detail_links(client, org):
    account = make("account", org.erin, "Công ty X")
    inside = make("contact", org.erin, "Trong", account=account)
    make("contact", org.erin, "Ngoài")
    pipeline = pipeline_create_default()
    second = Stage.objects.get(pipeline=pipeline, position=1)
    opp = make("opportunity", org.erin, "Deal", account=account, stage=second)
    make("opportunity", org.erin, "Khác")
    login(client, org.erin)

    response = client.get(url("contact", "list"), {"account": account.pk})

    assert row_pks(response) == [inside.pk]
    assert "Công ty X" in response.content.decode()  # the chip names the account
    assert row_pks(client.get(url("opportunity", "list"), {"account": account.pk})) == [opp.pk]
    assert row_pks(client.get(url("opportunity", "list"), {"stage": second.pk})) == [opp.pk]


def test_custom_fields_are_columns_and_filters(client, org):
    CustomField.objects.create(
        entity="crm.account", key="segment", label="Phân khúc", type="choice", choices=["SME", "Tập đoàn"],
        show_in_list=True,
    )  # fmt: skip
    CustomField.objects.create(entity="crm.account", key="vip", label="Khách VIP", type="bool")
    sme = make("account", org.erin, "Nhỏ", custom={"segment": "SME", "vip": True})
    big = make("account", org.erin, "Lớn", custom={"segment": "Tập đoàn", "vip": False})
    login(client, org.erin)

    response = client.get(url("account", "list"))

    html = response.content.decode()
    assert "Phân khúc" in html and "Tập đoàn" in html
    assert row_pks(client.get(url("account", "list"), {"cf_segment": "SME"})) == [sme.pk]
    assert row_pks(client.get(url("account", "list"), {"cf_vip": "0"})) == [big.pk]
    assert row_pks(client.get(url("account", "list"), {"sort": "-cf_segment"})) == [big.pk, sme.pk]


def test_pagination_counts_with_grouping(client, org, settings):
    settings.SENCRM_PAGE_SIZE = 2
    for i in range(5):
        make("lead", org.erin, f"Khách {i}")
    login(client, org.erin)

    first = client.get(url("lead", "list"))
    last = client.get(url("lead", "list"), {"page": 3})
    beyond = client.get(url("lead", "list"), {"page": 99})

    assert len(row_pks(first)) == 2 and "1–2 of 5" in first.content.decode()
    assert len(row_pks(last)) == 1 and "5–5 of 5" in last.content.decode()
    assert row_pks(beyond) == row_pks(last)


def test_htmx_swaps_only_the_table(client, org):
    make("account", org.erin, "Công ty A")
    login(client, org.erin)

    response = client.get(
        url("account", "list"), {"q": "cong"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="list-results"
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="list-results"')
    assert "<html" not in html and 'id="list-filters"' not in html
    assert "HX-Request" in response["Vary"]
    # A history restore (back button) gets the whole page.
    full = client.get(
        url("account", "list"),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="list-results",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )
    assert "<html" in full.content.decode()


def test_column_chooser_saves_the_users_columns(client, org):
    make("account", org.erin, "Công ty A", email="a@congty.vn", tax_code="0101248141")
    login(client, org.erin)

    response = client.post(url("account", "list"), {"columns": ["name", "email", "bogus"]})

    assert response.status_code == 302
    org.erin.refresh_from_db()
    assert org.erin.preferences["crm.account"]["columns"] == ["name", "email"]
    html = client.get(url("account", "list")).content.decode()
    assert "a@congty.vn" in html and "0101248141" not in html
    client.post(url("account", "list"), {"reset": "1"})
    org.erin.refresh_from_db()
    assert "columns" not in org.erin.preferences["crm.account"]
    assert "0101248141" in client.get(url("account", "list")).content.decode()


def test_lists_show_money_phones_and_dates_the_vietnamese_way(client, org):
    pipeline_create_default()
    make("opportunity", org.erin, "Deal", amount=1_250_000, expected_close="2026-03-05")
    make("account", org.erin, "Công ty A", phone="+84912345678")
    login(client, org.erin)
    org.erin.language = "vi"
    org.erin.save(update_fields=["language"])
    opp_html = client.get(url("opportunity", "list")).content.decode()
    assert "1.250.000\u00a0₫" in opp_html and "05/03/2026" in opp_html
    assert "0912 345 678" in client.get(url("account", "list")).content.decode()


def test_opportunity_list_links_to_the_board(client, org):
    login(client, org.erin)
    html = client.get(url("opportunity", "list")).content.decode()
    assert 'href="/opportunities/board/"' in html


def test_the_filter_panel_loads_its_options_when_opened(client, org):
    make("contact", org.erin, "Nguyễn Văn An", tags=["VIP"])
    login(client, org.erin)

    closed = client.get(url("contact", "list")).content.decode()
    panel = client.get(url("contact", "list"), {"panel": "filters"}, HTTP_HX_REQUEST="true")
    opened = client.get(url("contact", "list"), {"tag": "1"}).content.decode()

    # Closed (no filter chosen): a placeholder that fetches the options on first opening.
    assert 'data-testid="filter-panel-lazy"' in closed and 'name="owner"' not in closed
    assert "?panel=filters" in closed
    html = panel.content.decode()
    assert panel.status_code == 200 and 'data-filter="owner"' in html and ">VIP<" in html
    assert "<html" not in html
    # A chosen filter opens the panel with its options already there.
    assert 'data-filter="owner"' in opened and "filter-panel-lazy" not in opened


def test_the_filter_panel_needs_the_view_right(client, org):
    login(client, org.noright)

    assert client.get(url("contact", "list"), {"panel": "filters"}).status_code == 403
