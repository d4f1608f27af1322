"""Who sees what through the API: each persona × each record kind, in lists, details and writes.

Records of one kind are owned by alice and bob (team Hà Nội 1), carol (Hà Nội, no team), dave
(Cầu Giấy, below Hà Nội), mallory (TP. HCM) and erin (head office). A role without the module right
gets 403 whatever the id (a list included: we chose 403 over an empty list so a misconfigured role
is visible); a record outside the scope answers 404 exactly like a missing one.
"""

import json

import pytest
from django.test import Client

from sencrm.core.models import AuditEntry, User
from sencrm.core.services.records import record_create
from sencrm.crm.models import Account, Activity, Contact, Lead, Opportunity
from sencrm.crm.services.opportunities import opportunity_create, pipeline_create_default

API = "/api/v1"
OWNERS = ("alice", "bob", "carol", "dave", "mallory", "erin")

#: Whose records each persona sees; None: the role has no right on CRM records (403).
SEES = {
    "alice": {"alice"},  # own
    "bob": {"alice", "bob"},  # team Hà Nội 1
    "dave": {"dave"},  # own
    "carol": {"alice", "bob", "carol", "dave"},  # branch Hà Nội and Cầu Giấy below it
    "mallory": {"mallory"},  # team Sài Gòn
    "erin": set(OWNERS),  # all
    "viewer": {"alice", "bob", "carol", "dave"},  # branch Hà Nội, view only
    "noright": None,
}

KINDS = {
    "accounts": (Account, lambda: {"name": "Sen"}),
    "contacts": (Contact, lambda: {"given_name": "Lan"}),
    "leads": (Lead, lambda: {"full_name": "Trần Lan"}),
    "opportunities": (Opportunity, lambda: {"name": "Đơn Tết"}),
    "activities": (Activity, lambda: {"subject": "Gọi lại"}),
}


def client_for(user) -> Client:
    User.objects.filter(pk=user.pk).update(language="en")
    client = Client()
    client.force_login(user)
    return client


def make(model, owner, data):
    if model is Opportunity:
        return opportunity_create(by=owner, data=data)
    return record_create(model, by=owner, data=data)


def state(model) -> list:
    """Every row of ``model`` and its audit count: a refused write must leave both alone."""
    rows = list(model._base_manager.order_by("pk").values())
    return [rows, AuditEntry.objects.filter(entity=model._meta.label_lower).count()]


def body(client, method, path, data=None):
    payload = json.dumps(data or {})
    return getattr(client, method)(path, payload, content_type="application/json")


@pytest.fixture
def records(org, request):
    pipeline_create_default()
    path = request.param
    model, data = KINDS[path]
    return path, model, {name: make(model, getattr(org, name), data()) for name in OWNERS}


@pytest.mark.parametrize("records", list(KINDS), indirect=True)
def test_each_persona_lists_and_reads_exactly_its_records(org, records):
    path, model, by_owner = records
    for persona, sees in SEES.items():
        client = client_for(getattr(org, persona))
        listed = client.get(f"{API}/{path}", {"limit": 200})
        if sees is None:
            assert listed.status_code == 403, persona
            assert listed.json()["errors"] == {}
        else:
            assert listed.status_code == 200, persona
            assert sorted(r["id"] for r in listed.json()["results"]) == sorted(
                by_owner[o].pk for o in sees
            ), persona
            assert listed.json()["count"] == len(sees), persona
        for owner, record in by_owner.items():
            detail = client.get(f"{API}/{path}/{record.pk}")
            audit = client.get(f"{API}/{path}/{record.pk}/audit")
            if sees is None:
                expected = 403
            else:
                expected = 200 if owner in sees else 404
            assert detail.status_code == expected, (persona, owner)
            assert audit.status_code == expected, (persona, owner)
            if expected == 404:
                # Identical to a record that does not exist: nothing leaks.
                assert (
                    detail.json()
                    == client.get(f"{API}/{path}/999999").json()
                    == {
                        "detail": "Not found.",
                        "errors": {},
                    }
                )


@pytest.mark.parametrize("records", list(KINDS), indirect=True)
def test_nobody_changes_or_trashes_what_they_cannot_see(org, records):
    path, model, by_owner = records
    before = state(model)
    for persona, sees in SEES.items():
        client = client_for(getattr(org, persona))
        for owner, record in by_owner.items():
            read_only = persona in ("viewer", "noright")
            if owner in (sees or ()) and not read_only:
                continue
            # No edit/delete right: 403 for any id; a right but out of scope: 404.
            expected = 403 if read_only else 404
            patch = body(client, "patch", f"{API}/{path}/{record.pk}", {"description": "đổi"})
            delete = client.delete(f"{API}/{path}/{record.pk}")
            assert (patch.status_code, delete.status_code) == (expected, expected), (persona, owner)
    assert state(model) == before


@pytest.mark.parametrize("records", list(KINDS), indirect=True)
def test_viewer_and_noright_cannot_create(org, records):
    path, model, by_owner = records
    before = state(model)
    data = KINDS[path][1]()

    for persona in ("viewer", "noright"):
        response = body(client_for(getattr(org, persona)), "post", f"{API}/{path}", data)
        assert response.status_code == 403, persona
        assert response.json()["detail"].startswith("Your role does not allow this: Create ")

    assert state(model) == before


@pytest.mark.parametrize("records", list(KINDS), indirect=True)
def test_each_persona_with_rights_changes_and_trashes_what_it_sees(org, records):
    path, model, by_owner = records
    for persona in ("alice", "bob", "carol", "dave", "mallory", "erin"):
        client = client_for(getattr(org, persona))
        for owner in SEES[persona]:
            record = by_owner[owner]
            response = body(client, "patch", f"{API}/{path}/{record.pk}", {"description": persona})
            assert response.status_code == 200, (persona, owner, response.json())
    # The last writer of each record is the widest scope that sees it.
    assert model.objects.get(pk=by_owner["mallory"].pk).description == "erin"
    # Trash: carol trashes dave's record in the branch below hers; then nobody sees it.
    assert client_for(org.carol).delete(f"{API}/{path}/{by_owner['dave'].pk}").status_code == 204
    assert client_for(org.erin).get(f"{API}/{path}/{by_owner['dave'].pk}").status_code == 404


def test_visibility_applies_to_search_and_filters_too(org):
    mine = record_create(Contact, by=org.alice, data={"full_name": "Nguyễn Thị Ánh"})
    record_create(Contact, by=org.mallory, data={"full_name": "Nguyễn Thị Ánh"})
    client = client_for(org.alice)

    found = client.get(f"{API}/contacts", {"q": "nguyen thi anh"})
    by_owner = client.get(f"{API}/contacts", {"owner": org.mallory.pk})

    assert [r["id"] for r in found.json()["results"]] == [mine.pk]
    assert by_owner.json() == {"count": 0, "count_exact": True, "next": None, "results": []}


def test_a_denied_detail_leaks_nothing_through_headers(org):
    theirs = record_create(Account, by=org.mallory, data={"name": "Sài Gòn Xanh"})
    client = client_for(org.alice)

    hidden = client.get(f"{API}/accounts/{theirs.pk}")
    missing = client.get(f"{API}/accounts/999999")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert "ETag" not in hidden
