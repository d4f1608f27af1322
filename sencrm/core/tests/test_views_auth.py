"""Sign-in, lockout, sign-out, language before sign-in, password change and reset by email."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from sencrm.common.testing import PASSWORD

User = get_user_model()
NEW_PASSWORD = "Hoa-sen-nở-2026!"
ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"


def login(client, username, password, ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_login_page_is_vietnamese_by_default_and_the_switch_sets_the_cookie(client, db):
    # given a visitor who never chose a language
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert response["Content-Language"] == "vi"
    assert b'data-testid="language-switch"' in response.content
    # when they pick English
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    # then the cookie the middleware reads is set and the next page is in English
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert client.get(reverse("login"))["Content-Language"] == "en"


def test_login_with_the_right_password_goes_home(client, org):
    response = login(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("crm:home")
    assert client.session["_auth_user_id"] == str(org.alice.pk)


def test_wrong_password_shows_an_error_and_logs_nobody_in(client, org):
    response = login(client, "alice", "wrong")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert b"alert-danger" in response.content


def test_five_failures_lock_the_account_for_that_address(client, org):
    # given five wrong passwords from one address
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "alice", "wrong", ip="10.0.0.7")
    # when alice then types the right password from there
    response = login(client, "alice", PASSWORD, ip="10.0.0.7")
    # then she is locked out and told when to try again
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert b'data-testid="locked-out"' in response.content
    assert "_auth_user_id" not in client.session
    content = response.content.decode()
    assert re.search(r"\b15\b", content), "the page says how many minutes to wait"
    # and the lock is for that address only: from another one she gets in
    response = login(client, "alice", PASSWORD, ip="10.0.0.8")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(org.alice.pk)


def test_four_failures_do_not_lock(client, org):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "alice", "wrong")
    assert login(client, "alice", PASSWORD).status_code == 302


def test_logout_needs_post(client, org):
    client.force_login(org.alice)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_pages_need_login(client, db):
    for name in ("profile", "notification_list", "trash", "settings_index", "password_change"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_password_change_requires_the_old_password(client, org, settings):
    # Production hashing (conftest.py swaps in MD5 for speed); MD5 stays to read the personas' hashes.
    settings.PASSWORD_HASHERS = [ARGON2, "django.contrib.auth.hashers.MD5PasswordHasher"]
    client.force_login(org.alice)
    before = org.alice.password
    # wrong old password: error beside the field, nothing changed
    response = client.post(
        reverse("password_change"),
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]
    org.alice.refresh_from_db()
    assert org.alice.password == before  # (check_password would re-hash it and end the session)
    # right old password: changed, hashed with Argon2, still logged in
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("profile")
    org.alice.refresh_from_db()
    assert org.alice.check_password(NEW_PASSWORD)
    assert org.alice.password.startswith("argon2")
    assert client.get(reverse("profile")).status_code == 200


def test_password_reset_by_email(client, org, mailoutbox):
    # when alice asks for a reset link
    response = client.post(reverse("password_reset"), {"email": "ALICE@example.vn"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    # then one email reaches her, with a link
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["alice@example.vn"]
    assert "alice" in message.body
    link = re.search(r"https?://[^/\s]+(/password/reset/\S+/)", message.body).group(1)
    # the link leads to the form (Django swaps the token for a session marker first)
    response = client.get(link)
    assert response.status_code == 302
    form_url = response["Location"]
    response = client.get(form_url)
    assert response.status_code == 200
    assert response.context["validlink"] is True
    # and setting the new password there works
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_complete")
    org.alice.refresh_from_db()
    assert org.alice.check_password(NEW_PASSWORD)
    # the link is single-use
    assert client.get(link, follow=True).context["validlink"] is False


def test_password_reset_email_is_in_the_users_language(client, org, mailoutbox):
    User.objects.filter(pk=org.bob.pk).update(language="en")
    client.post(reverse("password_reset"), {"email": "bob@example.vn"})
    assert len(mailoutbox) == 1
    assert "Hello" in mailoutbox[0].body


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client, org, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.vn"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert mailoutbox == []


def test_password_reset_skips_deactivated_users(client, org, mailoutbox):
    User.objects.filter(pk=org.alice.pk).update(is_active=False)
    client.post(reverse("password_reset"), {"email": "alice@example.vn"})
    assert mailoutbox == []


@pytest.mark.parametrize(
    "name",
    ["login", "password_reset", "password_reset_done", "password_reset_complete"],
)
def test_anonymous_pages_render(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert b"Sen CRM" in response.content
