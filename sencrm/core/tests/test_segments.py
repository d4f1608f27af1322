"""Segments: live counts through visible_to per persona, static members with rights, API, pages."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import translation

from sencrm.common.filtering import apply_tree
from sencrm.core.models import Segment, SegmentMember
from sencrm.core.services import segments as svc
from sencrm.crm.models import Contact
from sencrm.crm.tests.views_support import OWNERS, login, make

RETAIL = {"op": "and", "rules": [{"field": "account.industry", "operator": "contains", "value": "ban le"}]}
COUNTS = {"alice": 1, "bob": 2, "carol": 3, "mallory": 1, "erin": 5}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def data(org):
    """Per owner: a contact at a retail account and one at a bank."""
    out = {}
    for name in OWNERS:
        owner = getattr(org, name)
        retail = make("account", owner, f"Bán lẻ {name}", industry="Bán lẻ")
        bank = make("account", owner, f"Ngân hàng {name}", industry="Ngân hàng")
        out[name] = make("contact", owner, f"Khách lẻ {name}", account=retail)
        make("contact", owner, f"Khách NH {name}", account=bank)
    return out


@pytest.fixture
def dynamic(org, data):
    return svc.segment_create(
        by=org.alice, data={"entity": "crm.contact", "name": "Bán lẻ", "filters": RETAIL, "shared": True}
    )


@pytest.mark.parametrize("persona", ["alice", "bob", "carol", "mallory", "erin"])
def test_dynamic_count_equals_the_filters_count_through_visible_to(org, dynamic, persona):
    user = getattr(org, persona)
    expected = apply_tree(Contact.objects.visible_to(user), RETAIL, user=user).count()
    assert expected == COUNTS[persona]
    assert svc.segment_count(dynamic, user) == expected
    assert {c.full_name for c in svc.segment_members(dynamic, user)} == {
        f"Khách lẻ {o}" for o in OWNERS if c_visible(persona, o)
    }


def c_visible(persona, owner) -> bool:
    from sencrm.crm.tests.views_support import VISIBLE

    return owner in VISIBLE[persona]


def test_segment_with_a_bad_filter_is_refused_naming_the_rule(org):
    with pytest.raises(ValidationError) as caught:
        svc.segment_create(
            by=org.alice,
            data={
                "entity": "crm.contact",
                "name": "X",
                "filters": {"rules": [{"field": "salary", "operator": "gt"}]},
            },
        )
    assert caught.value.message_dict == {"filters": ["Rule 1: “salary” is not a field you can filter on."]}
    assert Segment.objects.count() == 0


def test_personal_segments_are_hidden_and_shared_ones_only_changed_by_owner_or_admin(org, data):
    personal = svc.segment_create(
        by=org.alice, data={"entity": "crm.contact", "name": "Mine", "shared": False}
    )
    shared = svc.segment_create(by=org.alice, data={"entity": "crm.contact", "name": "Ours", "shared": True})
    assert set(svc.segments_visible(org.bob)) == {shared}
    assert set(svc.segments_visible(org.admin)) == {personal, shared}
    with pytest.raises(Http404):
        svc.get_segment_for_user(org.bob, personal.pk)
    with pytest.raises(PermissionDenied):
        svc.get_segment_for_user(org.bob, shared.pk, change=True)
    with pytest.raises(PermissionDenied):
        svc.segment_update(shared, by=org.bob, data={"name": "Hacked"})
    shared.refresh_from_db()
    assert shared.name == "Ours"
    svc.segment_update(shared, by=org.admin, data={"name": "Renamed"})
    shared.refresh_from_db()
    assert shared.name == "Renamed"
    assert set(svc.segments_visible(org.noright)) == set()  # no view right on contacts


def test_static_members_add_and_remove_with_rights(org, data):
    static = svc.segment_create(by=org.bob, data={"entity": "crm.contact", "name": "Tay", "kind": "static"})
    # bob (team) sees alice's and his own contacts, not mallory's: hers is refused like a missing id.
    with pytest.raises(ValidationError) as caught:
        svc.segment_add_members(segment=static, by=org.bob, ids=[data["alice"].pk, data["mallory"].pk])
    assert caught.value.message_dict == {
        "ids": [f"No such records, or you may not see them: {data['mallory'].pk}."]
    }
    assert SegmentMember.objects.count() == 0
    assert svc.segment_add_members(segment=static, by=org.bob, ids=[data["alice"].pk, data["bob"].pk]) == 2
    assert svc.segment_add_members(segment=static, by=org.bob, ids=[data["alice"].pk]) == 0  # already in
    assert svc.segment_count(static, org.bob) == 2
    assert svc.segment_count(static, org.alice) == 1  # alice sees only her own
    assert svc.segment_count(static, org.mallory) == 0
    with pytest.raises(PermissionDenied):
        svc.segment_add_members(segment=static, by=org.alice, ids=[data["alice"].pk])
    # alice cannot remove, and bob's removal never touches members he cannot see.
    with pytest.raises(PermissionDenied):
        svc.segment_remove_members(segment=static, by=org.alice, ids=[data["alice"].pk])
    assert (
        svc.segment_remove_members(segment=static, by=org.bob, ids=[data["bob"].pk, data["mallory"].pk]) == 1
    )
    assert list(SegmentMember.objects.values_list("object_id", flat=True)) == [data["alice"].pk]


def test_dynamic_segment_takes_no_members(org, dynamic, data):
    with pytest.raises(ValidationError):
        svc.segment_add_members(segment=dynamic, by=org.alice, ids=[data["alice"].pk])


# --- API ------------------------------------------------------------------------------------------------


def api(client, method, path, body=None):
    kwargs = {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
    return getattr(client, method)(f"/api/v1{path}", **kwargs)


def test_api_crud_and_members(client, org, data):
    login(client, org.carol)
    created = api(client, "post", "/segments", {"name": "Bán lẻ", "entity": "crm.contact", "filters": RETAIL})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["name"], body["kind"], body["count"], body["owner"]) == (
        "Bán lẻ",
        "dynamic",
        3,
        org.carol.pk,
    )
    sid = body["id"]
    listed = api(client, "get", "/segments?entity=crm.contact").json()
    assert listed["count"] == 1 and listed["results"][0]["count"] == 3
    members = api(client, "get", f"/segments/{sid}/members?limit=2").json()
    assert members["count"] == 3
    assert (
        len(members["results"]) == 2
        and members["next"].endswith("limit=2&offset=2")
        or "offset=2" in members["next"]
    )
    assert set(members["results"][0]) == {"id", "name", "url", "owner", "created_at"}
    patched = api(client, "patch", f"/segments/{sid}", {"name": "Bán lẻ HN"})
    assert patched.status_code == 200 and patched.json()["name"] == "Bán lẻ HN"
    # mallory sees the shared segment, counts her own member only, and may not change it.
    client.logout()
    login(client, org.mallory)
    assert api(client, "get", f"/segments/{sid}").json()["count"] == 1
    denied = api(client, "patch", f"/segments/{sid}", {"name": "x"})
    assert denied.status_code == 403
    assert set(denied.json()) == {"detail", "errors"}
    assert api(client, "delete", f"/segments/{sid}").status_code == 403
    assert Segment.objects.get(pk=sid).name == "Bán lẻ HN"
    client.logout()
    login(client, org.carol)
    assert api(client, "delete", f"/segments/{sid}").status_code == 204
    assert api(client, "get", f"/segments/{sid}").status_code == 404


def test_api_errors_have_the_projects_shape(client, org, data):
    login(client, org.alice)
    bad = api(
        client,
        "post",
        "/segments",
        {
            "name": "X",
            "entity": "crm.contact",
            "filters": {"rules": [{"field": "birthday", "operator": "contains", "value": "1"}]},
        },
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == {
        "filters": ["Rule 1 (Birthday): the operator “contains” does not apply to this field."]
    }
    wrong_kind = api(client, "post", "/segments", {"name": "X", "entity": "crm.opportunity"})
    assert wrong_kind.status_code == 422 and "entity" in wrong_kind.json()["errors"]
    personal = svc.segment_create(
        by=org.bob, data={"entity": "crm.contact", "name": "Bob's", "shared": False}
    )
    missing = api(client, "get", f"/segments/{personal.pk}")
    assert missing.status_code == 404 and missing.json() == {"detail": "Not found.", "errors": {}}
    assert api(client, "get", "/segments/999999/members").json() == {"detail": "Not found.", "errors": {}}
    assert api(client, "get", "/segments?bogus=1").status_code == 422
    client.logout()
    assert api(client, "get", "/segments").status_code == 401


def test_api_static_members(client, org, data):
    login(client, org.bob)
    sid = api(client, "post", "/segments", {"name": "Tay", "entity": "crm.contact", "kind": "static",
                                             "ids": [data["alice"].pk]}).json()["id"]  # fmt: skip
    added = api(client, "post", f"/segments/{sid}/members", {"ids": [data["bob"].pk]})
    assert added.json() == {"changed": 1, "count": 2}
    refused = api(client, "post", f"/segments/{sid}/members", {"ids": [data["mallory"].pk]})
    assert refused.status_code == 422 and list(refused.json()["errors"]) == ["ids"]
    removed = api(client, "post", f"/segments/{sid}/members/remove", {"ids": [data["alice"].pk]})
    assert removed.json() == {"changed": 1, "count": 1}


# --- pages --------------------------------------------------------------------------------------------


def test_segment_pages(client, org, dynamic):
    login(client, org.carol)
    listing = client.get(reverse("segment_list"))
    assert listing.status_code == 200
    assert '<td data-testid="count">3</td>' in listing.content.decode()
    page = client.get(dynamic.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('<tr data-pk="') == 3
    assert "Account › Industry contains ban le" in html
    assert client.get(reverse("segment_edit", args=[dynamic.pk])).status_code == 403  # alice's segment


def test_segment_form_creates_from_a_list_query(client, org, data):
    login(client, org.erin)
    query = "q=khach&filter=" + json.dumps(RETAIL)
    form = client.get(reverse("segment_create"), {"entity": "crm.contact", "from": query})
    assert form.status_code == 200
    tree = json.loads(form.context["initial"]["filters"])
    assert tree["rules"] == [*RETAIL["rules"], {"field": "search", "operator": "contains", "value": "khach"}]
    saved = client.post(
        reverse("segment_create") + "?entity=crm.contact",
        {"name": "Từ danh sách", "kind": "dynamic", "filters": json.dumps(tree), "shared": "1"},
    )
    segment = Segment.objects.get(name="Từ danh sách")
    assert saved.status_code == 302 and saved["Location"] == segment.get_absolute_url()
    assert svc.segment_count(segment, org.erin) == 5
    bad = client.post(
        reverse("segment_create") + "?entity=crm.contact",
        {
            "name": "Hỏng",
            "kind": "dynamic",
            "filters": json.dumps({"rules": [{"field": "x", "operator": "in"}]}),
        },
    )
    assert bad.status_code == 422
    assert "Rule 1: “x” is not a field you can filter on." in bad.content.decode()


def test_segment_members_page_query_count_is_bounded(client, org, data, django_assert_max_num_queries):
    static = svc.segment_create(
        by=org.erin, data={"entity": "crm.contact", "name": "Tất cả", "kind": "static"}
    )
    svc.segment_add_members(
        segment=static, by=org.erin, ids=list(Contact.objects.values_list("pk", flat=True))
    )
    login(client, org.erin)
    client.get(static.get_absolute_url())  # warm caches (translations, content types)
    with django_assert_max_num_queries(14) as few:
        client.get(static.get_absolute_url())
    for i in range(20):
        make("contact", org.erin, f"Thêm {i}", tags=["A"])
    svc.segment_add_members(
        segment=static, by=org.erin, ids=list(Contact.objects.values_list("pk", flat=True))
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(static.get_absolute_url())
