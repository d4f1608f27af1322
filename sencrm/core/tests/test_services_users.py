"""User, profile and API-token services, called directly."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from sencrm.core.models import ApiToken, AuditEntry
from sencrm.core.services.users import (
    MAX_TOKENS,
    api_token_create,
    api_token_revoke,
    profile_update,
    time_zone_names,
    user_create,
    user_deactivate,
    user_update,
)

User = get_user_model()


def test_user_create_normalises_and_needs_a_password_or_a_link(org):
    with pytest.raises(ValidationError) as exc:
        user_create(by=org.admin, username="hoa", first_name="Hoa", branch=org.hn)
    assert set(exc.value.message_dict) == {"password"}
    with pytest.raises(ValidationError) as exc:
        user_create(by=org.admin, username="hoa", first_name="Hoa", branch=org.hn, send_password_link=True)
    assert set(exc.value.message_dict) == {"email"}
    user = user_create(
        by=org.admin,
        username=" hoa ",
        first_name="Hoa",
        last_name="Ly\u0301 Thi\u0323",  # decomposed: stored NFC
        email="Hoa@Example.VN",
        branch=org.hn,
        password="Sen-hồng-2026!",
    )
    assert (user.username, user.last_name, user.email) == ("hoa", "Lý Thị", "hoa@example.vn")
    assert User.objects.get(pk=user.pk).check_password("Sen-hồng-2026!")


def test_user_update_leaves_nothing_half_written(org):
    with pytest.raises(ValidationError) as exc:
        user_update(
            by=org.admin,
            user=org.alice,
            username="alice",
            first_name="Ánh mới",
            email="bob@example.vn",  # taken
            branch=org.hn,
            role=org.roles["own"],
        )
    assert set(exc.value.message_dict) == {"email"}
    org.alice.refresh_from_db()
    assert org.alice.first_name == "Ánh"
    assert not AuditEntry.objects.exists()


def test_user_update_without_changes_writes_no_audit(org):
    user_update(
        by=org.admin,
        user=org.alice,
        username="alice",
        first_name="Ánh",
        last_name="Nguyễn Thị",
        email="alice@example.vn",
        branch=org.hn,
        team=org.team_hn,
        role=org.roles["own"],
    )
    assert not AuditEntry.objects.exists()


def test_user_deactivate_rules(org):
    with pytest.raises(ValidationError):
        user_deactivate(by=org.admin, user=org.admin)
    user_deactivate(by=org.admin, user=org.alice)
    user_deactivate(by=org.admin, user=org.alice)  # twice is fine
    assert User.objects.get(pk=org.alice.pk).is_active is False
    assert AuditEntry.objects.filter(entity="core.user", object_id=org.alice.pk).count() == 1


def test_profile_update_cannot_touch_role_or_branch(org):
    user = profile_update(user=org.alice, first_name="Ánh", last_name="Nguyễn Thị", language="en")
    assert (user.language, user.role, user.branch) == ("en", org.roles["own"], org.hn)


def test_time_zones_are_region_names():
    names = time_zone_names()
    assert "Asia/Ho_Chi_Minh" in names and "UTC" in names
    assert "posixrules" not in names and "Factory" not in names


def test_tokens(org):
    token, key = api_token_create(user=org.alice, name="  Máy chủ web  ")
    assert token.name == "Máy chủ web"
    assert ApiToken.objects.get(key_hash=ApiToken.hash(key)) == token
    with pytest.raises(ValidationError):
        api_token_create(user=org.alice, name="")
    with pytest.raises(ValidationError):
        api_token_create(user=org.alice, name="x" * 101)
    assert api_token_revoke(user=org.bob, token_id=token.pk) is False
    assert api_token_revoke(user=org.alice, token_id=token.pk) is True
    assert not ApiToken.objects.exists()


def test_token_limit(org):
    for i in range(MAX_TOKENS):
        ApiToken.issue(user=org.alice, name=f"t{i}")
    with pytest.raises(ValidationError):
        api_token_create(user=org.alice, name="one too many")
