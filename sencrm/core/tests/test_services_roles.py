"""Role, team and custom-field definition services, called directly."""

import pytest
from django.core.exceptions import ValidationError

from sencrm.common.models import DataScope
from sencrm.core.models import CustomField, Role
from sencrm.core.services.field_definitions import choices_from_text, custom_field_create, custom_field_update
from sencrm.core.services.roles import rights_clean, role_create, role_update
from sencrm.core.services.teams import team_create, team_update


def test_rights_clean_orders_drops_empty_and_rejects_nonsense():
    assert rights_clean({"crm.lead": ["create", "view"], "crm.account": []}) == {
        "crm.lead": ["view", "create"]
    }
    assert rights_clean({"crm.lead": ["create"]}) == {"crm.lead": ["create"]}  # create alone is allowed
    for bad in (
        {"crm.unicorn": ["view"]},
        {"crm.lead": ["fly"]},
        {"crm.lead": ["delete"]},
        {"crm.lead": "view"},
        [],
    ):
        with pytest.raises(ValidationError) as exc:
            rights_clean(bad)
        assert set(exc.value.message_dict) == {"rights"}


def test_role_create_and_update(org):
    role = role_create(by=org.admin, name="Kế toán", scope=DataScope.ALL, rights={"crm.account": ["view"]})
    role = role_update(
        by=org.admin,
        role=role,
        name="Kế toán trưởng",
        scope=DataScope.BRANCH,
        rights={"crm.account": ["view", "export"]},
    )
    assert (role.name, role.scope, role.rights) == (
        "Kế toán trưởng",
        "branch",
        {"crm.account": ["view", "export"]},
    )


def test_role_update_error_changes_nothing(org):
    role = org.roles["own"]
    with pytest.raises(ValidationError) as exc:
        role_update(by=org.admin, role=role, name="Viewer", scope="nowhere", rights={"crm.x": ["view"]})
    assert set(exc.value.message_dict) == {"name", "scope", "rights"}
    role.refresh_from_db()
    assert (role.name, role.scope) == ("Rep (own)", "own")


def test_another_admin_may_take_admin_off_a_role(org):
    second = role_create(by=org.admin, name="Admin 2", scope=DataScope.ALL, rights={}, is_admin=True)
    role_update(by=org.admin, role=second, name="Admin 2", scope=DataScope.ALL, rights={}, is_admin=False)
    assert Role.objects.get(pk=second.pk).is_admin is False


def test_team_services(org):
    team = team_create(name="Đà Nẵng", branch=org.hq, leader=org.erin)
    with pytest.raises(ValidationError) as exc:
        team_create(name="ĐÀ NẴNG", branch=org.hq)
    assert set(exc.value.message_dict) == {"name"}
    org.erin.is_active = False
    org.erin.save()
    with pytest.raises(ValidationError) as exc:
        team_update(team=team, name="Đà Nẵng", branch=org.hq, leader=org.erin)
    assert set(exc.value.message_dict) == {"leader"}


def test_choices_from_text():
    assert choices_from_text("Sen\r\n\n  Nhài \nSen\nBu\u031bo\u031b\u0309i") == ["Sen", "Nhài", "Bưởi"]


def test_custom_field_create_positions_and_clears_choices_of_plain_types(org):
    first = custom_field_create(
        entity="crm.lead", key="budget", label="Ngân sách", type="money", choices=["x"]
    )
    second = custom_field_create(
        entity="crm.lead", key="size", label="Quy mô", type="choice", choices=["S", "M"]
    )
    assert (first.position, first.choices, second.position) == (0, [], 1)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"entity": "crm.unicorn"}, "entity"),
        ({"key": "has space"}, "key"),
        ({"key": "owner"}, "key"),
        ({"key": "custom"}, "key"),
        ({"type": "choice", "choices": []}, "choices"),
        ({"type": "multi", "choices": ["x" * 101]}, "choices"),
        ({"label": "  "}, "label"),
    ],
)
def test_custom_field_create_rejects(org, kwargs, field):
    data = {"entity": "crm.lead", "key": "budget", "label": "Ngân sách", "type": "text"} | kwargs
    with pytest.raises(ValidationError) as exc:
        custom_field_create(**data)
    assert field in exc.value.message_dict
    assert not CustomField.objects.exists()


def test_custom_field_update_keeps_key_and_kind(org):
    field = custom_field_create(entity="crm.lead", key="size", label="Quy mô", type="choice", choices=["S"])
    field = custom_field_update(field=field, label="Size", type="text", choices=["S"], position=5)
    field.refresh_from_db()
    assert (field.entity, field.key, field.type, field.choices, field.position) == (
        "crm.lead",
        "size",
        "text",
        [],
        5,
    )
    with pytest.raises(ValidationError):
        custom_field_update(field=field, label="Size", type="choice", choices=[])
