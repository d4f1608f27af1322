"""Who sees what in the HTML pages: each persona × each record kind (STYLE.md §5, §9).

One record per owner (alice, bob, dave, mallory, erin). A persona's list shows exactly the
records of its scope; every other record answers 404 on its detail, edit and delete pages, and
stays unchanged when posted to. Roles without a module right get the 403 page.
"""

import pytest

from sencrm.crm.tests.views_support import KINDS, MODELS, OWNERS, VISIBLE, login, make, row_pks, url

PERSONAS = ("alice", "bob", "carol", "mallory", "erin", "viewer")


@pytest.fixture
def records(org):
    return {
        kind: {owner: make(kind, getattr(org, owner), f"{kind} {owner}") for owner in OWNERS}
        for kind in KINDS
    }


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("kind", KINDS)
def test_list_and_detail_show_exactly_the_scope(client, org, records, kind, persona):
    login(client, getattr(org, persona))

    response = client.get(url(kind, "list"))

    assert response.status_code == 200
    expected = {records[kind][owner].pk for owner in VISIBLE[persona]}
    assert set(row_pks(response)) == expected
    assert len(row_pks(response)) == len(expected)
    for owner in OWNERS:
        status = client.get(url(kind, "detail", records[kind][owner].pk)).status_code
        assert status == (200 if owner in VISIBLE[persona] else 404), (owner, status)


@pytest.mark.parametrize("persona", ("alice", "bob", "carol", "mallory"))
@pytest.mark.parametrize("kind", KINDS)
def test_nobody_edits_or_deletes_what_they_cannot_see(client, org, records, kind, persona):
    login(client, getattr(org, persona))
    for owner in OWNERS:
        if owner in VISIBLE[persona]:
            continue
        obj = records[kind][owner]
        assert client.get(url(kind, "edit", obj.pk)).status_code == 404
        assert client.post(url(kind, "edit", obj.pk), {"name": "x", "subject": "x"}).status_code == 404
        assert client.get(url(kind, "delete", obj.pk)).status_code == 404
        assert client.post(url(kind, "delete", obj.pk)).status_code == 404
        fresh = MODELS[kind].objects.get(pk=obj.pk)
        assert fresh.version == 1 and fresh.deleted_at is None and str(fresh) == f"{kind} {owner}"


@pytest.mark.parametrize("kind", KINDS)
def test_carol_sees_the_child_branch_records_of_dave(client, org, records, kind):
    login(client, org.carol)
    response = client.get(url(kind, "detail", records[kind]["dave"].pk))
    assert response.status_code == 200
    assert records[kind]["dave"].branch == org.cg


@pytest.mark.parametrize("kind", KINDS)
def test_a_view_only_role_gets_403_on_writes(client, org, records, kind):
    login(client, org.viewer)
    visible = records[kind]["alice"]

    assert client.get(url(kind, "create")).status_code == 403
    assert client.post(url(kind, "create"), {"name": "x", "subject": "x"}).status_code == 403
    assert client.get(url(kind, "edit", visible.pk)).status_code == 403
    assert client.post(url(kind, "delete", visible.pk)).status_code == 403
    assert MODELS[kind].objects.count() == len(OWNERS)
    assert MODELS[kind].objects.get(pk=visible.pk).deleted_at is None
    detail = client.get(url(kind, "detail", visible.pk)).content.decode()
    assert 'data-testid="edit"' not in detail and 'data-testid="delete"' not in detail
    assert 'data-testid="create"' not in client.get(url(kind, "list")).content.decode()


@pytest.mark.parametrize("kind", KINDS)
def test_a_role_without_the_module_gets_403_and_sees_nothing(client, org, records, kind):
    login(client, org.noright)
    obj = records[kind]["erin"]
    for response in (
        client.get(url(kind, "list")),
        client.get(url(kind, "list") + "?picker=1&q=a"),
        client.get(url(kind, "detail", obj.pk)),
        client.get(url(kind, "create")),
    ):
        assert response.status_code == 403
        assert 'data-testid="forbidden"' in response.content.decode()
        assert f"{kind} erin" not in response.content.decode()


@pytest.mark.parametrize("kind", KINDS)
def test_the_picker_offers_only_visible_records(client, org, records, kind):
    login(client, org.bob)
    html = client.get(url(kind, "list") + "?picker=1").content.decode()
    for owner in OWNERS:
        assert (f">{kind} {owner}<" in html) == (owner in VISIBLE["bob"]), owner


def test_linking_to_an_invisible_record_is_refused(client, org, records):
    """Alice cannot attach her contact to mallory's account by posting its id."""
    login(client, org.alice)
    response = client.post(
        url("contact", "create"),
        {"given_name": "Lan", "account": records["account"]["mallory"].pk, "owner": org.alice.pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["account"]
    assert MODELS["contact"].objects.filter(given_name="Lan").count() == 0


def test_detail_related_lists_hide_what_the_user_cannot_see(client, org, records):
    """Bob's account also has a contact of mallory's: bob's view of the account leaves it out."""
    account = records["account"]["bob"]
    mine = make("contact", org.bob, "Liên hệ của Bob", account=account)
    make("contact", org.mallory, "Liên hệ của Mai", account=account)
    login(client, org.bob)
    html = client.get(url("account", "detail", account.pk)).content.decode()
    assert mine.full_name in html and "Liên hệ của Mai" not in html
