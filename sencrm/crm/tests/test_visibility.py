"""The visibility matrix: each data scope against records of each place in the organisation.

Every list, detail, search, export and API call goes through ``visible_to``; the HTML and API tests
check the same rules end to end. Here the rule itself is pinned for every record kind.
"""

import pytest
from django.http import Http404

from sencrm.common.access import get_object_for_user
from sencrm.core.services.records import record_create, record_delete
from sencrm.crm.models import Account, Activity, Contact, Lead, Opportunity
from sencrm.crm.services.opportunities import opportunity_create

OWNERS = ["alice", "bob", "dave", "carol", "mallory", "erin"]


def make(kind, owner, label):
    """One record of ``kind`` owned by ``owner`` (team and branch follow the owner)."""
    if kind is Account:
        return record_create(Account, by=owner, data={"name": f"Công ty {label}"})
    if kind is Contact:
        return record_create(Contact, by=owner, data={"full_name": f"Nguyễn Văn {label}"})
    if kind is Lead:
        return record_create(Lead, by=owner, data={"company": f"Cửa hàng {label}"})
    if kind is Opportunity:
        return opportunity_create(by=owner, data={"name": f"Đơn hàng {label}", "amount": 1_000_000})
    return record_create(Activity, by=owner, data={"subject": f"Gọi điện {label}", "kind": "call"})


# persona → owners whose records the persona sees
EXPECTED = {
    "alice": {"alice"},  # own
    "bob": {"alice", "bob"},  # team Hà Nội 1
    "dave": {"dave"},  # own, in the child branch
    "carol": {"alice", "bob", "dave", "carol"},  # branch Hà Nội and Cầu Giấy below it
    "mallory": {"mallory"},  # team Sài Gòn: nobody else in it
    "erin": set(OWNERS),  # all
    "admin": set(OWNERS),  # administrator role, scope all
    "viewer": {"alice", "bob", "dave", "carol"},  # view-only, branch Hà Nội
    "noright": set(),  # role grants nothing on CRM records
}


@pytest.fixture
def records(org):
    def build(kind):
        return {name: make(kind, getattr(org, name), name) for name in OWNERS}

    return build


@pytest.mark.parametrize("kind", [Account, Contact, Lead, Opportunity, Activity], ids=lambda k: k.__name__)
@pytest.mark.parametrize("persona", list(EXPECTED))
def test_each_scope_sees_exactly_its_records(org, records, kind, persona):
    rows = records(kind)
    user = getattr(org, persona)
    visible = set(kind.objects.visible_to(user).values_list("pk", flat=True))
    assert visible == {rows[name].pk for name in EXPECTED[persona]}
    # Detail access: visible records load, the others answer 404 exactly like a missing id.
    for name, record in rows.items():
        if name in EXPECTED[persona]:
            assert get_object_for_user(kind.objects.all(), user, record.pk) == record
        else:
            with pytest.raises(Http404):
                get_object_for_user(kind.objects.all(), user, record.pk)


@pytest.mark.parametrize("kind", [Account, Contact, Lead, Opportunity, Activity], ids=lambda k: k.__name__)
def test_view_only_role_may_not_change_or_delete(org, records, kind):
    rows = records(kind)
    assert kind.objects.visible_to(org.viewer, "change").count() == 0
    assert kind.objects.visible_to(org.viewer, "delete").count() == 0
    assert kind.objects.visible_to(org.carol, "change").count() == 4
    with pytest.raises(Http404):
        get_object_for_user(kind.objects.all(), org.viewer, rows["alice"].pk, action="change")


def test_deleted_records_leave_lists_and_appear_in_trash(org):
    account = make(Account, org.alice, "xoá")
    record_delete(account, by=org.alice)
    assert not Account.objects.visible_to(org.alice).exists()
    assert list(Account.objects.visible_to(org.alice, "delete", trash=True)) == [account]
    # Trash obeys scope too.
    assert not Account.objects.visible_to(org.mallory, "delete", trash=True).exists()


def test_team_scope_without_a_team_falls_back_to_own(org):
    org.bob.team = None
    org.bob.save()
    mine = make(Account, org.bob, "bob")
    make(Account, org.alice, "alice")
    assert list(Account.objects.visible_to(org.bob)) == [mine]


def test_inactive_and_anonymous_users_see_nothing(org):
    from django.contrib.auth.models import AnonymousUser

    make(Account, org.alice, "a")
    org.erin.is_active = False
    assert not Account.objects.visible_to(org.erin).exists()
    assert not Account.objects.visible_to(AnonymousUser()).exists()


def test_moving_the_owner_moves_team_and_branch(org):
    from sencrm.core.services.records import record_update

    account = make(Account, org.alice, "chuyển")
    account = record_update(account, by=org.erin, data={"owner": org.mallory})
    assert (account.team, account.branch) == (org.team_sg, org.hcm)
    assert not Account.objects.visible_to(org.alice).exists()
    assert list(Account.objects.visible_to(org.mallory)) == [account]
