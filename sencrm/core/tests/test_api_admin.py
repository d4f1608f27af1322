"""Administration through the API (users, teams, branches, roles, custom fields) and ``/me``."""

import json

import pytest
from django.test import Client

from sencrm.core.models import ApiToken, Branch, CustomField, Role, Team, User

API = "/api/v1"


def client_for(user) -> Client:
    User.objects.filter(pk=user.pk).update(language="en")
    client = Client()
    client.force_login(user)
    return client


def send(client, method, path, data):
    return getattr(client, method)(API + path, json.dumps(data), content_type="application/json")


def state():
    """The administration tables, to prove a refused request changed nothing."""
    return [list(m.objects.order_by("pk").values()) for m in (User, Team, Branch, Role, CustomField)]


@pytest.fixture
def admin(org):
    return client_for(org.admin)


# ---------------------------------------------------------------------------------------------------
# Only administrators
# ---------------------------------------------------------------------------------------------------

ADMIN_PATHS = ["/users", "/teams", "/branches", "/roles", "/custom-fields"]


@pytest.mark.parametrize("persona", ["alice", "carol", "erin", "viewer", "noright"])
def test_non_administrators_get_403_on_every_admin_resource(org, persona):
    client = client_for(getattr(org, persona))
    before = state()
    targets = {
        "/users": org.bob.pk,
        "/teams": org.team_hn.pk,
        "/branches": org.hn.pk,
        "/roles": org.roles["own"].pk,
        "/custom-fields": 1,
    }

    for path in ADMIN_PATHS:
        listed = client.get(API + path)
        created = send(client, "post", path, {"name": "X"})
        detail = client.get(f"{API}{path}/{targets[path]}")
        patched = send(client, "patch", f"{path}/{targets[path]}", {"name": "X"})
        for response in (listed, created, detail, patched):
            assert response.status_code == 403, (persona, path, response.status_code)
            assert response.json() == {"detail": "Only administrators can do this.", "errors": {}}
    assert client.delete(f"{API}/roles/{org.roles['own'].pk}").status_code == 403
    assert state() == before


def test_admin_resources_take_bearer_tokens_too(org):
    _token, admin_key = ApiToken.issue(user=org.admin, name="provisioning")
    _token, alice_key = ApiToken.issue(user=org.alice, name="script")
    User.objects.filter(pk=org.alice.pk).update(language="en")

    allowed = Client().get(f"{API}/roles", headers={"Authorization": f"Bearer {admin_key}"})
    refused = Client().post(
        f"{API}/roles",
        "{bad json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {alice_key}"},
    )

    assert allowed.status_code == 200
    assert allowed.json()["count"] == Role.objects.count()
    assert refused.status_code == 403  # before the body is even read
    assert refused.json() == {"detail": "Only administrators can do this.", "errors": {}}


def test_the_openapi_document_has_one_scheme_per_way_to_authenticate(db):
    schema = Client().get(f"{API}/openapi.json").json()

    assert set(schema["components"]["securitySchemes"]) == {"BearerTokenAuth", "SessionAuth"}
    assert schema["paths"]["/api/v1/users"]["get"]["security"] == [
        {"BearerTokenAuth": []},
        {"SessionAuth": []},
    ]


# ---------------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------------


def test_admin_creates_a_user_who_can_log_in(org, admin):
    response = send(
        admin,
        "post",
        "/users",
        {
            "username": "lan",
            "password": "Hoa-sen-2026!",
            "first_name": "Lan",
            "last_name": "Hoàng Thị",
            "email": "lan@senvang.vn",
            "branch": org.cg.pk,
            "team": org.team_cg.pk,
            "role": org.roles["own"].pk,
            "language": "en",
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert "password" not in body and not any("hash" in k for k in body)
    assert b"argon2" not in response.content
    assert (body["username"], body["full_name"], body["branch"], body["team"]) == (
        "lan",
        "Hoàng Thị Lan",
        org.cg.pk,
        org.team_cg.pk,
    )
    assert (body["role"], body["is_active"], body["is_admin"]) == (org.roles["own"].pk, True, False)
    assert User.objects.get(username="lan").check_password("Hoa-sen-2026!")


def test_a_user_with_bad_fields_is_422_and_not_created(org, admin):
    before = User.objects.count()

    weak = send(
        admin,
        "post",
        "/users",
        {"username": "lan", "password": "123", "first_name": "Lan", "branch": org.hn.pk},
    )
    taken = send(
        admin,
        "post",
        "/users",
        {"username": "alice", "password": "Hoa-sen-2026!", "first_name": "A", "branch": 999999},
    )
    unknown = send(
        admin, "post", "/users", {"username": "lan", "first_name": "Lan", "branch": org.hn.pk, "admin": True}
    )

    assert weak.status_code == taken.status_code == unknown.status_code == 422
    assert list(weak.json()["errors"]) == ["password"]
    assert taken.json()["errors"] == {"branch": ["No such choice, or you may not see it."]}
    assert unknown.json()["errors"] == {"admin": ["Unknown field."]}
    assert User.objects.count() == before


def test_admin_moves_a_user_and_changes_the_role(org, admin):
    response = send(
        admin,
        "patch",
        f"/users/{org.alice.pk}",
        {"branch": org.cg.pk, "team": None, "role": org.roles["branch"].pk},
    )

    assert response.status_code == 200, response.json()
    org.alice.refresh_from_db()
    assert (org.alice.branch_id, org.alice.team_id, org.alice.role_id) == (
        org.cg.pk,
        None,
        org.roles["branch"].pk,
    )
    assert org.alice.first_name == "Ánh"  # untouched fields stay


def test_deactivating_a_user_revokes_their_tokens(org, admin):
    ApiToken.issue(user=org.bob, name="script")

    response = send(admin, "patch", f"/users/{org.bob.pk}", {"is_active": False})

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert not ApiToken.objects.filter(user=org.bob).exists()
    assert send(admin, "patch", f"/users/{org.bob.pk}", {"is_active": True}).json()["is_active"] is True


def test_a_refused_user_change_changes_nothing(org, admin):
    before = state()

    # The whole PATCH fails: the admin cannot deactivate themselves, so the rename is undone too.
    own = send(admin, "patch", f"/users/{org.admin.pk}", {"first_name": "Đổi", "is_active": False})
    bad_team = send(admin, "patch", f"/users/{org.alice.pk}", {"team": org.team_sg.pk})

    assert own.status_code == 422
    assert own.json()["detail"] == "You cannot deactivate your own account."
    assert bad_team.status_code == 422
    assert bad_team.json()["errors"] == {"team": ["This team belongs to another branch."]}
    assert state() == before


def test_users_list_filters_and_searches(org, admin):
    in_hanoi = admin.get(f"{API}/users", {"branch": org.hn.pk, "sort": "-username"})
    found = admin.get(f"{API}/users", {"q": "Trần"})

    assert in_hanoi.status_code == 200
    assert [u["username"] for u in in_hanoi.json()["results"]] == [
        "viewer",
        "noright",
        "carol",
        "bob",
        "alice",
    ]
    assert [u["username"] for u in found.json()["results"]] == ["bob"]
    assert admin.get(f"{API}/users/999999").status_code == 404


# ---------------------------------------------------------------------------------------------------
# Teams and branches
# ---------------------------------------------------------------------------------------------------


def test_admin_creates_and_changes_a_team(org, admin):
    created = send(admin, "post", "/teams", {"name": "Hà Nội 2", "branch": org.hn.pk, "leader": org.carol.pk})
    assert created.status_code == 201, created.json()
    team_id = created.json()["id"]
    assert created.json() == {"id": team_id, "name": "Hà Nội 2", "branch": org.hn.pk, "leader": org.carol.pk}

    changed = send(admin, "patch", f"/teams/{team_id}", {"name": "Hà Nội Hai"})
    duplicate = send(admin, "post", "/teams", {"name": "hà nội 1", "branch": org.hn.pk})

    assert changed.json()["name"] == "Hà Nội Hai"
    assert changed.json()["leader"] == org.carol.pk
    assert duplicate.status_code == 422
    assert duplicate.json()["errors"] == {"name": ["A team with this name already exists."]}
    listed = admin.get(f"{API}/teams", {"branch": org.hn.pk}).json()
    assert [t["name"] for t in listed["results"]] == ["Hà Nội 1", "Hà Nội Hai"]


def test_admin_creates_and_moves_branches(org, admin):
    created = send(
        admin, "post", "/branches", {"name": "Phòng giao dịch Đống Đa", "code": "DD", "parent": org.hn.pk}
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["parent"], body["path"], body["depth"]) == (org.hn.pk, f"{org.hn.path}{body['id']}/", 2)

    # Move Hà Nội (with Cầu Giấy and Đống Đa below it) under TP. HCM: the subtree's paths follow.
    moved = send(admin, "patch", f"/branches/{org.hn.pk}", {"parent": org.hcm.pk})
    assert moved.status_code == 200, moved.json()
    assert (moved.json()["name"], moved.json()["depth"]) == ("Chi nhánh Hà Nội", 2)
    org.cg.refresh_from_db()
    assert org.cg.path == f"/{org.hq.pk}/{org.hcm.pk}/{org.hn.pk}/{org.cg.pk}/"

    below_itself = send(admin, "patch", f"/branches/{org.hq.pk}", {"parent": org.cg.pk})
    assert below_itself.status_code == 422
    assert below_itself.json()["errors"] == {"parent": ["A branch cannot be moved below itself."]}
    tree = admin.get(f"{API}/branches").json()
    assert tree["count"] == 5
    assert tree["results"][0]["id"] == org.hq.pk  # by path: the root first


# ---------------------------------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------------------------------


def test_admin_creates_a_role_with_validated_rights(org, admin):
    created = send(
        admin,
        "post",
        "/roles",
        {"name": "Telesales", "scope": "team", "rights": {"crm.lead": ["change", "view", "create"]}},
    )

    assert created.status_code == 201, created.json()
    assert created.json()["rights"] == {"crm.lead": ["view", "create", "change"]}
    assert created.json()["scope"] == "team"


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"name": "X", "rights": {"crm.invoice": ["view"]}},
            {"rights": ["Unknown record kind: crm.invoice."]},
        ),
        ({"name": "X", "rights": {"crm.lead": ["fly"]}}, {"rights": ["Leads: unknown right."]}),
        ({"name": "X", "rights": {"crm.lead": "view"}}, {"rights.crm.lead": ["Enter a list."]}),
        ({"name": "X", "scope": "galaxy"}, {"scope": ["Choose one of: 'own', 'team', 'branch' or 'all'."]}),
        ({"name": "REP (OWN)"}, {"name": ["A role with this name already exists."]}),
    ],
)
def test_a_role_with_bad_rights_or_scope_is_422(org, admin, body, errors):
    before = state()

    response = send(admin, "post", "/roles", body)

    assert response.status_code == 422
    assert response.json()["errors"] == errors
    assert state() == before


def test_admin_changes_and_deletes_roles(org, admin):
    role = org.roles["viewer"]

    changed = send(admin, "patch", f"/roles/{role.pk}", {"rights": {"crm.account": ["view", "export"]}})
    in_use = admin.delete(f"{API}/roles/{role.pk}")
    unused = Role.objects.create(name="Cũ")
    deleted = admin.delete(f"{API}/roles/{unused.pk}")

    assert changed.status_code == 200
    assert changed.json()["rights"] == {"crm.account": ["view", "export"]}
    assert changed.json()["scope"] == "branch"  # untouched
    assert in_use.status_code == 422
    assert in_use.json()["detail"] == "Users still have this role; give them another role first."
    assert deleted.status_code == 204
    assert Role.objects.filter(pk=role.pk).exists()
    assert not Role.objects.filter(pk=unused.pk).exists()


# ---------------------------------------------------------------------------------------------------
# Custom fields
# ---------------------------------------------------------------------------------------------------


def test_admin_defines_custom_fields(org, admin):
    created = send(
        admin,
        "post",
        "/custom-fields",
        {
            "entity": "crm.contact",
            "key": "mui_huong",
            "label": "Mùi hương",
            "type": "choice",
            "choices": ["Sen", "Nhài"],
        },
    )
    assert created.status_code == 201, created.json()
    field_id = created.json()["id"]
    assert created.json()["choices"] == ["Sen", "Nhài"]

    changed = send(admin, "patch", f"/custom-fields/{field_id}", {"label": "Mùi yêu thích", "required": True})
    rekeyed = send(admin, "patch", f"/custom-fields/{field_id}", {"key": "khac"})
    again = send(admin, "post", "/custom-fields", {"entity": "crm.contact", "key": "mui_huong", "label": "X"})
    no_choices = send(
        admin, "post", "/custom-fields", {"entity": "crm.lead", "key": "x", "label": "X", "type": "multi"}
    )
    bad_entity = send(admin, "post", "/custom-fields", {"entity": "crm.invoice", "key": "x", "label": "X"})

    assert (changed.json()["label"], changed.json()["required"], changed.json()["key"]) == (
        "Mùi yêu thích",
        True,
        "mui_huong",
    )
    assert rekeyed.json()["errors"] == {"key": ["Unknown field."]}
    assert again.json()["errors"] == {"key": ["This record kind already has a field with this key."]}
    assert no_choices.json()["errors"] == {"choices": ["List the choices, one per line."]}
    assert list(bad_entity.json()["errors"]) == ["entity"]
    assert CustomField.objects.count() == 1
    listed = admin.get(f"{API}/custom-fields", {"entity": "crm.contact"}).json()
    assert [f["key"] for f in listed["results"]] == ["mui_huong"]


# ---------------------------------------------------------------------------------------------------
# /me
# ---------------------------------------------------------------------------------------------------


def test_me_tells_the_user_their_rights_and_scope(org):
    alice = client_for(org.alice).get(f"{API}/me").json()
    viewer = client_for(org.viewer).get(f"{API}/me").json()
    admin = client_for(org.admin).get(f"{API}/me").json()

    assert (alice["username"], alice["full_name"], alice["scope"], alice["is_admin"]) == (
        "alice",
        "Nguyễn Thị Ánh",
        "own",
        False,
    )
    assert alice["rights"]["crm.lead"] == ["view", "create", "change", "delete", "export"]
    assert (alice["branch"], alice["team"], alice["role_name"]) == (org.hn.pk, org.team_hn.pk, "Rep (own)")
    from sencrm.core.models import MODULES

    assert viewer["rights"] == {k: ["view"] for k in MODULES}  # every record kind, view only
    crm = {"crm.account", "crm.contact", "crm.lead", "crm.opportunity", "crm.activity"}
    assert crm <= set(viewer["rights"])
    assert admin["is_admin"] is True
