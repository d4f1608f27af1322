"""The settings pages: administrators only; create and edit flows with bad input; rules enforced."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from sencrm.common.models import DataScope
from sencrm.common.testing import PASSWORD
from sencrm.core.models import AuditEntry, Branch, CustomField, Role, Team

User = get_user_model()

PAGES = [
    ("settings_index", []),
    ("settings_users", []),
    ("settings_user_create", []),
    ("settings_teams", []),
    ("settings_team_create", []),
    ("settings_branches", []),
    ("settings_branch_create", []),
    ("settings_roles", []),
    ("settings_role_create", []),
    ("settings_custom_fields", []),
    ("settings_custom_field_create", []),
]
OBJECT_PAGES = [
    ("settings_user_edit", lambda org: org.alice.pk),
    ("settings_team_edit", lambda org: org.team_hn.pk),
    ("settings_branch_edit", lambda org: org.hn.pk),
    ("settings_role_edit", lambda org: org.roles["own"].pk),
]
POSTS = [
    ("settings_user_deactivate", lambda org: org.bob.pk),
    ("settings_user_activate", lambda org: org.bob.pk),
    ("settings_user_send_link", lambda org: org.bob.pk),
    ("settings_role_delete", lambda org: org.roles["none"].pk),
]


@pytest.mark.parametrize(("name", "args"), PAGES)
@pytest.mark.parametrize("who", ["alice", "carol", "erin"])
def test_settings_pages_are_forbidden_to_non_admins(client, org, name, args, who):
    client.force_login(getattr(org, who))
    assert client.get(reverse(name, args=args)).status_code == 403
    assert client.post(reverse(name, args=args), {"name": "x"}).status_code == 403


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_settings_pages_open_for_the_admin(client, org, name, args):
    client.force_login(org.admin)
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    assert b'data-testid="settings-nav"' in response.content


@pytest.mark.parametrize(("name", "pk"), OBJECT_PAGES)
def test_object_pages(client, org, name, pk):
    client.force_login(org.carol)
    assert client.get(reverse(name, args=[pk(org)])).status_code == 403
    client.force_login(org.admin)
    assert client.get(reverse(name, args=[pk(org)])).status_code == 200
    assert client.get(reverse(name, args=[987654])).status_code == 404


@pytest.mark.parametrize(("name", "pk"), POSTS)
def test_actions_are_forbidden_to_non_admins_and_change_nothing(client, org, name, pk, mailoutbox):
    client.force_login(org.alice)
    assert client.post(reverse(name, args=[pk(org)])).status_code == 403
    org.bob.refresh_from_db()
    assert org.bob.is_active
    assert Role.objects.filter(pk=org.roles["none"].pk).exists()
    assert mailoutbox == []


def test_superuser_without_role_is_admin(client, org):
    root = User.objects.create_superuser("root", "root@example.vn", PASSWORD)
    client.force_login(root)
    assert client.get(reverse("settings_index")).status_code == 200


def test_settings_link_shows_only_to_admins(client, org):
    client.force_login(org.alice)
    assert reverse("settings_index") not in client.get(reverse("profile")).content.decode()
    client.force_login(org.admin)
    assert reverse("settings_index") in client.get(reverse("profile")).content.decode()


# ---------------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------------


def user_data(org, **overrides):
    data = {
        "username": "hoa",
        "last_name": "Lý Thị",
        "first_name": "Hoa",
        "email": "hoa@example.vn",
        "phone": "0903 123 456",
        "job_title": "Nhân viên kinh doanh",
        "branch": org.hn.pk,
        "team": org.team_hn.pk,
        "role": org.roles["own"].pk,
        "language": "vi",
        "time_zone": "Asia/Ho_Chi_Minh",
        "password_mode": "password",
        "password1": "Mật-khẩu-mạnh-2026",
        "password2": "Mật-khẩu-mạnh-2026",
    }
    return {**data, **overrides}


def test_user_list_shows_branch_team_role_and_status(client, org):
    client.force_login(org.admin)
    response = client.get(reverse("settings_users"))
    users = list(response.context["page"])
    assert org.alice in users
    content = response.content.decode()
    assert "Nguyễn Thị Ánh" in content  # "Họ Tên" order
    assert "Hà Nội 1" in content and "Rep (own)" in content
    # deactivated users are listed under their own filter
    User.objects.filter(pk=org.bob.pk).update(is_active=False)
    assert org.bob not in list(client.get(reverse("settings_users")).context["page"])
    assert list(client.get(reverse("settings_users"), {"status": "inactive"}).context["page"]) == [org.bob]
    assert list(client.get(reverse("settings_users"), {"status": "all", "q": "Bình"}).context["page"]) == [
        org.bob
    ]


def test_user_list_query_count(client, org, django_assert_max_num_queries):
    client.force_login(org.admin)
    client.get(reverse("settings_users"))
    with django_assert_max_num_queries(12):
        client.get(reverse("settings_users"))


def test_create_user_with_a_password(client, org, mailoutbox, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]  # production's
    client.force_login(org.admin)
    response = client.post(reverse("settings_user_create"), user_data(org))
    assert response.status_code == 302
    hoa = User.objects.get(username="hoa")
    assert (hoa.first_name, hoa.last_name, str(hoa)) == ("Hoa", "Lý Thị", "Lý Thị Hoa")
    assert (hoa.branch, hoa.team, hoa.role, hoa.phone) == (
        org.hn,
        org.team_hn,
        org.roles["own"],
        "+84903123456",
    )
    assert hoa.check_password("Mật-khẩu-mạnh-2026")
    assert hoa.password.startswith("argon2")
    assert mailoutbox == []
    assert AuditEntry.objects.filter(
        entity="core.user", object_id=hoa.pk, kind="create", user=org.admin
    ).exists()
    client.logout()
    response = client.post(reverse("login"), {"username": "hoa", "password": "Mật-khẩu-mạnh-2026"})
    assert response.status_code == 302


def test_create_user_with_a_password_link(client, org, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(org.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("settings_user_create"),
            user_data(org, password_mode="link", password1="", password2="", language="en"),
        )
    assert response.status_code == 302
    hoa = User.objects.get(username="hoa")
    assert not hoa.has_usable_password()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["hoa@example.vn"]
    assert "Hello" in mailoutbox[0].body  # in her language
    link = next(line for line in mailoutbox[0].body.splitlines() if "/password/reset/" in line)
    # the link lets her choose a password
    client.logout()
    form_url = client.get(link.split("testserver", 1)[1])["Location"]
    response = client.post(form_url, {"new_password1": "Sen-hồng-2026!", "new_password2": "Sen-hồng-2026!"})
    assert response.status_code == 302
    hoa.refresh_from_db()
    assert hoa.check_password("Sen-hồng-2026!")


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"username": "", "first_name": "", "branch": ""}, {"username", "first_name", "branch"}),
        ({"username": "ALICE"}, {"username"}),  # taken, whatever the case
        ({"email": "Bob@Example.vn"}, {"email"}),  # another user's address
        ({"email": "not-an-email"}, {"email"}),
        ({"phone": "123"}, {"phone"}),
        ({"role": ""}, {"role"}),
        ({"time_zone": "Mars/Olympus"}, {"time_zone"}),
        ({"password2": "something-else-2026"}, {"password2"}),
        ({"password1": "123", "password2": "123"}, {"password1"}),  # too short, numeric
        ({"password_mode": "link", "email": ""}, {"email"}),
        ({"team": "team_sg"}, {"team"}),  # Sài Gòn team for a Hà Nội user
    ],
)
def test_create_user_bad_input_shows_errors_beside_fields_and_stores_nothing(client, org, overrides, fields):
    if overrides.get("team") == "team_sg":
        overrides["team"] = org.team_sg.pk
    client.force_login(org.admin)
    before = User.objects.count()
    response = client.post(reverse("settings_user_create"), user_data(org, **overrides))
    assert response.status_code == 200
    assert set(response.context["form"].errors) == fields
    assert b"invalid-feedback" in response.content
    assert User.objects.count() == before
    assert not AuditEntry.objects.filter(entity="core.user").exists()


def test_edit_user_changes_and_audits(client, org):
    client.force_login(org.admin)
    data = user_data(
        org, username="alice", first_name="Ánh", last_name="Nguyễn Thị", email="alice@example.vn"
    ) | {"role": org.roles["team"].pk, "branch": org.cg.pk, "team": org.team_cg.pk}
    response = client.post(reverse("settings_user_edit", args=[org.alice.pk]), data)
    assert response.status_code == 302
    org.alice.refresh_from_db()
    assert (org.alice.role, org.alice.branch, org.alice.team) == (org.roles["team"], org.cg, org.team_cg)
    entry = AuditEntry.objects.get(entity="core.user", object_id=org.alice.pk)
    assert entry.changes["role"] == ["Rep (own)", "Rep (team)"]
    assert entry.changes["branch"] == ["Chi nhánh Hà Nội", "Phòng giao dịch Cầu Giấy"]


def test_admin_cannot_remove_their_own_admin_role(client, org):
    client.force_login(org.admin)
    data = user_data(
        org, username="admin", first_name="Quản", last_name="Trị", email="admin@example.vn", team=""
    ) | {"role": org.roles["own"].pk, "branch": org.hq.pk}
    response = client.post(reverse("settings_user_edit", args=[org.admin.pk]), data)
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    org.admin.refresh_from_db()
    assert org.admin.role == org.roles["admin"]


def test_deactivate_never_deletes_and_revokes_tokens(client, org):
    from sencrm.core.models import ApiToken

    ApiToken.issue(user=org.bob, name="script")
    client.force_login(org.admin)
    response = client.post(reverse("settings_user_deactivate", args=[org.bob.pk]))
    assert response.status_code == 302
    org.bob.refresh_from_db()
    assert org.bob.is_active is False
    assert not ApiToken.objects.filter(user=org.bob).exists()
    # bob can no longer log in
    client.logout()
    response = client.post(reverse("login"), {"username": "bob", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    # and can be activated again
    client.force_login(org.admin)
    client.post(reverse("settings_user_activate", args=[org.bob.pk]))
    org.bob.refresh_from_db()
    assert org.bob.is_active is True


def test_admin_cannot_deactivate_themselves(client, org):
    client.force_login(org.admin)
    response = client.post(reverse("settings_user_deactivate", args=[org.admin.pk]), follow=True)
    assert response.status_code == 200
    org.admin.refresh_from_db()
    assert org.admin.is_active is True
    assert any(m.level_tag == "error" for m in response.context["messages"])


def test_send_password_link_to_an_existing_user(client, org, mailoutbox):
    client.force_login(org.admin)
    response = client.post(reverse("settings_user_send_link", args=[org.bob.pk]))
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [["bob@example.vn"]]


# ---------------------------------------------------------------------------------------------------
# Teams and branches
# ---------------------------------------------------------------------------------------------------


def test_create_and_edit_a_team(client, org):
    client.force_login(org.admin)
    response = client.post(
        reverse("settings_team_create"), {"name": "Hà Nội 2", "branch": org.hn.pk, "leader": org.carol.pk}
    )
    assert response.status_code == 302
    team = Team.objects.get(name="Hà Nội 2")
    assert (team.branch, team.leader) == (org.hn, org.carol)
    response = client.post(
        reverse("settings_team_edit", args=[team.pk]), {"name": "Hà Nội 3", "branch": org.cg.pk, "leader": ""}
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.name, team.branch, team.leader) == ("Hà Nội 3", org.cg, None)


def test_team_bad_input(client, org):
    client.force_login(org.admin)
    response = client.post(reverse("settings_team_create"), {"name": "hà nội 1", "branch": ""})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"branch"}
    response = client.post(reverse("settings_team_create"), {"name": "hà nội 1", "branch": org.hn.pk})
    assert set(response.context["form"].errors) == {"name"}  # same name, other case
    assert Team.objects.count() == 3


def test_branch_tree_is_indented(client, org):
    client.force_login(org.admin)
    response = client.get(reverse("settings_branches"))
    rows = [(b.name, b.level) for b in response.context["branches"]]
    assert rows == [
        ("Trụ sở chính", 0),
        ("Chi nhánh Hà Nội", 1),
        ("Phòng giao dịch Cầu Giấy", 2),
        ("Chi nhánh TP. Hồ Chí Minh", 1),
    ]


def test_create_a_branch_under_a_parent(client, org):
    client.force_login(org.admin)
    response = client.get(reverse("settings_branch_create"), {"parent": org.hcm.pk})
    assert response.context["form"].initial["parent"] == str(org.hcm.pk)
    response = client.post(
        reverse("settings_branch_create"),
        {"name": "PGD Quận 1", "code": "Q1", "parent": org.hcm.pk, "address": ""},
    )
    assert response.status_code == 302
    q1 = Branch.objects.get(code="Q1")
    assert q1.path == f"{org.hcm.path}{q1.pk}/"


def test_moving_a_branch_rewrites_the_paths_below_it(client, org):
    client.force_login(org.admin)
    # move Hà Nội (with Cầu Giấy below it) under HCM
    response = client.post(
        reverse("settings_branch_edit", args=[org.hn.pk]),
        {"name": "Chi nhánh Hà Nội", "code": "HN", "parent": org.hcm.pk, "address": ""},
    )
    assert response.status_code == 302
    org.hn.refresh_from_db()
    org.cg.refresh_from_db()
    assert org.hn.path == f"/{org.hq.pk}/{org.hcm.pk}/{org.hn.pk}/"
    assert org.cg.path == f"{org.hn.path}{org.cg.pk}/"
    # carol (branch scope at HN) still sees Cầu Giấy; the HCM manager scope now covers both
    assert set(User.objects.get(pk=org.carol.pk).branch_ids_below()) == {org.hn.pk, org.cg.pk}
    assert set(org.hcm.descendant_ids()) == {org.hcm.pk, org.hn.pk, org.cg.pk}


def test_a_branch_cannot_move_below_itself(client, org):
    client.force_login(org.admin)
    response = client.post(
        reverse("settings_branch_edit", args=[org.hn.pk]),
        {"name": "Chi nhánh Hà Nội", "code": "HN", "parent": org.cg.pk, "address": ""},
    )
    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
    org.hn.refresh_from_db()
    assert org.hn.parent == org.hq
    assert org.hn.path == f"/{org.hq.pk}/{org.hn.pk}/"


def test_branch_bad_input(client, org):
    client.force_login(org.admin)
    response = client.post(reverse("settings_branch_create"), {"name": "", "code": "hn", "parent": ""})
    assert set(response.context["form"].errors) == {"name", "code"}
    assert Branch.objects.count() == 4


# ---------------------------------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------------------------------


def role_data(name="Kế toán", scope=DataScope.BRANCH, is_admin=False, rights=None):
    data = {"name": name, "description": "", "scope": scope}
    if is_admin:
        data["is_admin"] = "on"
    for entity, actions in (rights or {}).items():
        for action in actions:
            data[f"right__{entity}__{action}"] = "on"
    return data


def test_rights_matrix_is_saved_and_then_enforced(client, org):
    from sencrm.crm.models import Lead

    # given the viewer cannot create leads
    assert not org.viewer.has_right(Lead, "create")
    client.force_login(org.admin)
    rights = {entity: ["view"] for entity in org.viewer.role.rights} | {"crm.lead": ["view", "create"]}
    response = client.post(
        reverse("settings_role_edit", args=[org.roles["viewer"].pk]), role_data("Viewer", rights=rights)
    )
    assert response.status_code == 302
    role = Role.objects.get(pk=org.roles["viewer"].pk)
    assert role.rights["crm.lead"] == ["view", "create"]
    assert role.rights["crm.account"] == ["view"]
    # then, after a reload, the viewer may create leads and still not delete them
    viewer = User.objects.get(pk=org.viewer.pk)
    assert viewer.has_right(Lead, "create")
    assert not viewer.has_right(Lead, "delete")
    assert not viewer.has_right("crm.account", "create")
    entry = AuditEntry.objects.get(entity="core.role", object_id=role.pk)
    assert entry.user == org.admin
    assert list(entry.changes) == ["rights"]


def test_role_matrix_renders_checked_rights(client, org):
    client.force_login(org.admin)
    response = client.get(reverse("settings_role_edit", args=[org.roles["viewer"].pk]))
    content = response.content.decode()
    assert 'name="right__crm.lead__view" id="id_right__crm.lead__view" checked' in content
    assert 'name="right__crm.lead__create" id="id_right__crm.lead__create" aria' in content


def test_create_role(client, org):
    client.force_login(org.admin)
    response = client.post(
        reverse("settings_role_create"),
        role_data("Kế toán", scope=DataScope.ALL, rights={"crm.account": ["view", "export"]}),
    )
    assert response.status_code == 302
    role = Role.objects.get(name="Kế toán")
    assert (role.scope, role.rights, role.is_admin) == ("all", {"crm.account": ["view", "export"]}, False)


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        (role_data("", rights={}), {"name"}),
        (role_data("viewer"), {"name"}),  # exists, other case
        (role_data(scope="galaxy"), {"scope"}),
        (role_data(rights={"crm.lead": ["change", "delete"]}), {"right__crm.lead__view"}),
    ],
)
def test_role_bad_input_stores_nothing(client, org, data, fields):
    client.force_login(org.admin)
    before = list(Role.objects.values_list("name", "rights"))
    response = client.post(reverse("settings_role_create"), data)
    assert response.status_code == 200
    assert set(response.context["form"].errors) == fields
    assert list(Role.objects.values_list("name", "rights")) == before


def test_admin_cannot_take_admin_off_their_own_role(client, org):
    client.force_login(org.admin)
    response = client.post(
        reverse("settings_role_edit", args=[org.roles["admin"].pk]),
        role_data("Administrator", scope=DataScope.ALL, is_admin=False, rights=Role.all_rights()),
    )
    assert response.status_code == 200
    assert "is_admin" in response.context["form"].errors
    assert Role.objects.get(pk=org.roles["admin"].pk).is_admin


def test_delete_role_only_when_unused(client, org):
    client.force_login(org.admin)
    unused = Role.objects.create(name="Tạm")
    client.post(reverse("settings_role_delete", args=[org.roles["own"].pk]))
    assert Role.objects.filter(pk=org.roles["own"].pk).exists()
    client.post(reverse("settings_role_delete", args=[unused.pk]))
    assert not Role.objects.filter(pk=unused.pk).exists()


# ---------------------------------------------------------------------------------------------------
# Custom fields
# ---------------------------------------------------------------------------------------------------


def field_data(**overrides):
    data = {
        "entity": "crm.contact",
        "label": "Mùi hương yêu thích",
        "key": "favourite_scent",
        "type": "choice",
        "choices_text": "Sen\nNhài\n\nSen\nBưởi ",
        "required": "",
        "show_in_list": "on",
        "position": "",
        "active": "on",
    }
    return {**data, **overrides}


def test_create_and_edit_a_custom_field(client, org):
    client.force_login(org.admin)
    response = client.post(reverse("settings_custom_field_create") + "?entity=crm.contact", field_data())
    assert response.status_code == 302
    field = CustomField.objects.get(key="favourite_scent")
    assert (field.entity, field.type, field.choices) == ("crm.contact", "choice", ["Sen", "Nhài", "Bưởi"])
    assert (field.show_in_list, field.required, field.active, field.position) == (True, False, True, 0)
    # the key cannot change after creation; the rest can
    response = client.post(
        reverse("settings_custom_field_edit", args=[field.pk]),
        field_data(key="other_key", label="Hương", type="multi", choices_text="Sen\nLài", position="3"),
    )
    assert response.status_code == 302
    field.refresh_from_db()
    assert (field.key, field.label, field.type, field.choices, field.position) == (
        "favourite_scent",
        "Hương",
        "multi",
        ["Sen", "Lài"],
        3,
    )
    # the list shows it under its kind
    response = client.get(reverse("settings_custom_fields"), {"entity": "crm.contact"})
    assert list(response.context["fields"]) == [field]


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"choices_text": "  \n "}, {"choices_text"}),  # a choice type without choices
        ({"key": "Favourite Scent"}, {"key"}),
        ({"key": "1abc"}, {"key"}),
        ({"key": "email"}, {"key"}),  # a built-in field of contacts
        ({"label": ""}, {"label"}),
        ({"type": "colour"}, {"type"}),
    ],
)
def test_custom_field_bad_input(client, org, overrides, fields):
    client.force_login(org.admin)
    response = client.post(reverse("settings_custom_field_create"), field_data(**overrides))
    assert response.status_code == 200
    assert set(response.context["form"].errors) == fields
    assert not CustomField.objects.exists()


def test_custom_field_key_is_unique_per_kind(client, org):
    client.force_login(org.admin)
    client.post(reverse("settings_custom_field_create"), field_data())
    response = client.post(reverse("settings_custom_field_create"), field_data(label="Khác"))
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"key"}
    # the same key on another kind is fine
    response = client.post(reverse("settings_custom_field_create"), field_data(entity="crm.lead"))
    assert response.status_code == 302
    assert sorted(CustomField.objects.values_list("entity", "key")) == [
        ("crm.contact", "favourite_scent"),
        ("crm.lead", "favourite_scent"),
    ]
