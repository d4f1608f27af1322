"""Global search in the UI (top-bar dropdown, results page) and the API (``GET /api/v1/search``)."""

import pytest
from django.test import Client

from sencrm.crm.tests.views_support import login, make


@pytest.fixture
def records(org):
    return {
        "anh": make("contact", org.alice, "Nguyễn Văn Ánh", mobile="0912 345 678"),
        "lead": make("lead", org.alice, "Nguyễn Thị Lan", company="Hoa Sen"),
        "acct": make("account", org.alice, "Công ty Nguyên Phát"),
        "other": make("contact", org.mallory, "Nguyễn Văn Mallory"),
    }


def test_top_bar_has_the_search_box(client, org):
    login(client, org.alice)
    html = client.get("/").content.decode()
    assert 'data-testid="search-input"' in html
    assert 'hx-get="/search/suggest/"' in html


def test_dropdown_groups_results_by_kind(client, org, records, django_assert_max_num_queries):
    login(client, org.alice)
    client.get("/search/suggest/", {"q": "x"})  # session and user loaded once
    with django_assert_max_num_queries(12):
        response = client.get("/search/suggest/", {"q": "nguyen"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="dropdown-header"') == 3
    assert "Nguyễn Văn Ánh" in html and "Nguyễn Thị Lan" in html and "Công ty Nguyên Phát" in html
    assert "Mallory" not in html
    assert f'href="/contacts/{records["anh"].pk}/"' in html
    assert "All results for" in html


def test_dropdown_is_empty_without_a_query_and_says_when_nothing_is_found(client, org, records):
    login(client, org.alice)
    assert client.get("/search/suggest/", {"q": ""}).content.decode().strip() == ""
    assert "Nothing found" in client.get("/search/suggest/", {"q": "zzz"}).content.decode()


def test_results_page_filters_by_kind_with_counts(client, org, records):
    login(client, org.alice)
    response = client.get("/search/", {"q": "nguyen"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nguyễn Văn Ánh" in html and "Công ty Nguyên Phát" in html
    assert response.context["total"] == 3
    tabs = [(t["kind"].type, t["count"]) for t in response.context["tabs"]]
    assert tabs[:4] == [("account", 1), ("contact", 1), ("lead", 1), ("opportunity", 0)]
    assert {n for _kind, n in tabs[4:]} <= {0}  # the kinds other modules add find nothing here
    response = client.get("/search/", {"q": "nguyen", "type": "lead"})
    assert [h.title for h in response.context["hits"]] == ["Nguyễn Thị Lan"]


def test_search_pages_need_a_login(client):
    assert client.get("/search/", {"q": "a"}).status_code == 302
    assert client.get("/search/suggest/", {"q": "a"}).status_code == 302


def test_api_answers_results_in_the_documented_shape(org, records):
    client = Client()
    client.force_login(org.alice)
    response = client.get("/api/v1/search", {"q": "0912 345 678"})
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "type": "contact",
                "id": records["anh"].pk,
                "title": "Nguyễn Văn Ánh",
                "subtitle": "0912 345 678",
                "url": f"/contacts/{records['anh'].pk}/",
            }
        ]
    }
    response = client.get("/api/v1/search", {"q": "nguyen", "type": "lead,account"})
    assert [r["type"] for r in response.json()["results"]] == [
        "lead",
        "account",
    ]  # title start before title word


def test_api_refuses_unknown_types_and_anonymous_callers(org, records):
    assert Client().get("/api/v1/search", {"q": "nguyen"}).status_code == 401
    client = Client()
    client.force_login(org.alice)
    response = client.get("/api/v1/search", {"q": "nguyen", "type": "planet"})
    assert response.status_code == 422
    assert set(response.json()) == {"detail", "errors"} and "type" in response.json()["errors"]


def test_api_hides_records_out_of_scope(org, records):
    client = Client()
    client.force_login(org.mallory)
    assert [r["title"] for r in client.get("/api/v1/search", {"q": "nguyen"}).json()["results"]] == [
        "Nguyễn Văn Mallory"
    ]
    client.force_login(org.noright)
    assert client.get("/api/v1/search", {"q": "nguyen"}).json() == {"results": []}
