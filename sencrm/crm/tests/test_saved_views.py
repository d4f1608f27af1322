"""Saved views and the advanced filter on the generic lists (?filter=<tree>, ?view=<id>)."""

import json
from urllib.parse import urlencode

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import translation

from sencrm.core.models import SavedView
from sencrm.core.services import segments as svc
from sencrm.crm.tests.views_support import login, make, row_pks, url

RETAIL = {"op": "and", "rules": [{"field": "account.industry", "operator": "contains", "value": "ban le"}]}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def contacts(org):
    retail = make("account", org.alice, "Bán lẻ Sen", industry="Bán lẻ")
    bank = make("account", org.mallory, "Ngân hàng", industry="Ngân hàng")
    return {
        "alice_retail": make("contact", org.alice, "Lê Bán Lẻ", account=retail),
        "alice_other": make("contact", org.alice, "Lê Khác"),
        "mallory_retail": make("contact", org.mallory, "Võ Bán Lẻ", account=retail),
        "mallory_bank": make("contact", org.mallory, "Võ Ngân Hàng", account=bank),
    }


def test_advanced_filter_in_the_url_narrows_the_list_within_visibility(client, org, contacts):
    login(client, org.erin)
    response = client.get(url("contact", "list"), {"filter": json.dumps(RETAIL)})
    assert set(row_pks(response)) == {contacts["alice_retail"].pk, contacts["mallory_retail"].pk}
    html = response.content.decode()
    assert 'id="list-filter-tree"' in html and "account.industry" in html
    client.logout()
    login(client, org.alice)
    assert row_pks(client.get(url("contact", "list"), {"filter": json.dumps(RETAIL)})) == [
        contacts["alice_retail"].pk
    ]


def test_advanced_filter_combines_with_search_and_simple_filters(client, org, contacts):
    login(client, org.erin)
    params = {"filter": json.dumps(RETAIL), "owner": str(org.mallory.pk), "q": "vo"}
    response = client.get(
        url("contact", "list"), params, headers={"HX-Request": "true", "HX-Target": "list-results"}
    )
    assert row_pks(response) == [contacts["mallory_retail"].pk]


def test_a_bad_tree_in_the_url_is_ignored_and_explained(client, org, contacts):
    login(client, org.erin)
    tree = {"rules": [{"field": "owner__password", "operator": "starts_with", "value": "md5"}]}
    response = client.get(url("contact", "list"), {"filter": json.dumps(tree)})
    assert response.status_code == 200
    assert len(row_pks(response)) == 4
    assert "Rule 1: “owner__password” is not a field you can filter on." in response.content.decode()


def test_filter_fields_and_check_endpoints(client, org, contacts):
    login(client, org.alice)
    fields = client.get(reverse("filter_fields", args=["crm.contact"])).json()
    names = {f["name"] for f in fields["fields"]}
    assert {"full_name", "account.industry", "tags", "birthday", "owner", "search"} <= names
    assert not {"search_text", "custom", "consent"} & names
    owner = next(f for f in fields["fields"] if f["name"] == "owner")
    assert owner["options"][0] == {"value": "me", "label": "Me"}
    assert fields["operators"]["last_n_days"] == "in the last N days"
    check = client.get(reverse("filter_check", args=["crm.contact"]), {"filter": json.dumps(RETAIL)}).json()
    assert check == {"errors": []}
    bad = {"rules": [{"field": "birthday", "operator": "last_n_days", "value": "x"}]}
    check = client.get(reverse("filter_check", args=["crm.contact"]), {"filter": json.dumps(bad)}).json()
    assert check == {"errors": ["Rule 1 (Birthday): enter a number of days between 1 and 36600."]}
    client.logout()
    login(client, org.noright)
    assert client.get(reverse("filter_fields", args=["crm.contact"])).status_code == 404


def test_save_a_view_then_open_it(client, org, contacts):
    login(client, org.alice)
    query = urlencode({"filter": json.dumps(RETAIL), "sort": "-created_at", "q": "le", "page": "3"})
    response = client.post(
        reverse("saved_view_save", args=["crm.contact"]),
        {"name": "Khách bán lẻ", "query": query, "columns": ["full_name", "email"], "shared": ""},
    )
    view = SavedView.objects.get()
    assert (view.owner, view.entity, view.shared, view.sort) == (
        org.alice,
        "crm.contact",
        False,
        "-created_at",
    )
    assert view.params == {"q": ["le"]}
    assert view.filters["rules"][0]["field"] == "account.industry"
    assert view.columns == ["full_name", "email"]
    assert response.status_code == 302 and f"view={view.pk}" in response["Location"]
    # A bare ?view=<id> (a bookmark) applies its filters and columns.
    page = client.get(url("contact", "list"), {"view": view.pk})
    assert row_pks(page) == [contacts["alice_retail"].pk]
    assert [c.name for c in page.context["state"].shown] == ["full_name", "email"]
    # mallory cannot use alice's personal view: the plain list, not alice's filters.
    client.logout()
    login(client, org.mallory)
    assert set(row_pks(client.get(url("contact", "list"), {"view": view.pk}))) == {
        contacts["mallory_retail"].pk,
        contacts["mallory_bank"].pk,
    }


def test_shared_views_are_seen_by_all_but_changed_by_owner_or_admin(client, org, contacts):
    shared = svc.saved_view_create(
        by=org.alice, entity="crm.contact", data={"name": "Bán lẻ", "filters": RETAIL, "shared": True}
    )
    personal = svc.saved_view_create(by=org.alice, entity="crm.contact", data={"name": "Của tôi"})
    assert list(svc.saved_views_for(org.mallory, "crm.contact")) == [shared]
    assert set(svc.saved_views_for(org.alice, "crm.contact")) == {shared, personal}
    with pytest.raises(Http404):
        svc.get_saved_view_for_user(org.mallory, personal.pk)
    with pytest.raises(PermissionDenied):
        svc.saved_view_update(shared, by=org.mallory, data={"name": "x"})
    # A shared view never widens what mallory sees: only her own retail contact.
    login(client, org.mallory)
    assert row_pks(client.get(url("contact", "list"), {"view": shared.pk})) == [contacts["mallory_retail"].pk]
    menu = client.get(reverse("saved_view_menu", args=["crm.contact"])).content.decode()
    assert "Bán lẻ" in menu and "Của tôi" not in menu
    assert client.post(reverse("saved_view_delete", args=[shared.pk])).status_code == 403
    assert client.post(reverse("saved_view_delete", args=[personal.pk])).status_code == 404
    assert SavedView.objects.count() == 2
    client.logout()
    login(client, org.admin)
    assert client.post(reverse("saved_view_delete", args=[shared.pk])).status_code == 302
    assert list(SavedView.objects.all()) == [personal]


def test_saved_views_api(client, org, contacts):
    login(client, org.alice)
    body = {
        "name": "API",
        "entity": "crm.contact",
        "filters": RETAIL,
        "columns": ["full_name"],
        "shared": True,
    }
    created = client.post("/api/v1/saved-views", body, content_type="application/json")
    assert created.status_code == 201, created.content
    vid = created.json()["id"]
    assert created.json()["filters"] == RETAIL
    assert client.get("/api/v1/saved-views?entity=crm.contact").json()["count"] == 1
    bad = client.post(
        "/api/v1/saved-views",
        {**body, "filters": {"rules": [{"field": "nope", "operator": "equals", "value": 1}]}},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == {"filters": ["Rule 1: “nope” is not a field you can filter on."]}
    client.logout()
    login(client, org.mallory)
    assert client.get(f"/api/v1/saved-views/{vid}").status_code == 200
    assert (
        client.patch(f"/api/v1/saved-views/{vid}", {"name": "x"}, content_type="application/json").status_code
        == 403
    )
    assert client.delete(f"/api/v1/saved-views/{vid}").status_code == 403


def test_list_page_links_to_segments_and_views(client, org, contacts):
    login(client, org.alice)
    html = client.get(url("contact", "list")).content.decode()
    assert 'data-testid="segment-from-list"' in html
    assert 'data-testid="views"' in html
    assert 'data-testid="advanced-toggle"' in html


def test_export_and_bulk_of_a_bare_saved_view_link_take_its_filters_and_columns(client, org, contacts):
    """``?view=<id>`` alone (the view just opened from the menu) means the view's filters: an export
    or a "select all matching" bulk action from there must not take every record."""
    import csv
    import io

    from sencrm.crm.models import Contact

    view = svc.saved_view_create(
        by=org.erin, entity="crm.contact",
        data={"name": "Bán lẻ", "filters": RETAIL, "columns": ["full_name", "account"]},
    )  # fmt: skip
    login(client, org.erin)
    response = client.get(url("contact", "export"), {"view": view.pk, "format": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["Name", "Account"]
    assert sorted(r[0] for r in rows[1:]) == ["Lê Bán Lẻ", "Võ Bán Lẻ"]
    client.post(
        url("contact", "bulk"),
        {"action": "add_tags", "value": "Bán lẻ", "all": "1", "query": f"view={view.pk}"},
    )
    tagged = set(Contact.objects.filter(tags__name="Bán lẻ").values_list("pk", flat=True))
    assert tagged == {contacts["alice_retail"].pk, contacts["mallory_retail"].pk}
