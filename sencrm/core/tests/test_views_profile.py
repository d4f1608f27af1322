"""The profile page: details, language and time zone, and API tokens shown once and stored hashed."""

import hashlib

from django.conf import settings
from django.urls import reverse

from sencrm.core.models import ApiToken, AuditEntry


def profile_data(**overrides):
    data = {
        "last_name": "Nguyễn Thị",
        "first_name": "Ánh",
        "email": "alice@example.vn",
        "phone": "0912 345 678",
        "job_title": "Nhân viên kinh doanh",
        "language": "vi",
        "time_zone": "Asia/Ho_Chi_Minh",
    }
    return {**data, **overrides}


def test_profile_shows_the_users_details(client, org):
    client.force_login(org.alice)
    response = client.get(reverse("profile"))
    assert response.status_code == 200
    assert response.context["form"]["first_name"].value() == "Ánh"
    assert "Asia/Ho_Chi_Minh" in dict(response.context["form"].fields["time_zone"].choices)


def test_switching_the_language_makes_the_next_page_english_then_vietnamese(client, org):
    client.force_login(org.alice)
    assert client.get(reverse("profile"))["Content-Language"] == "vi"
    # when alice switches to English
    response = client.post(reverse("profile"), profile_data(language="en"))
    assert response.status_code == 302
    # then the next response is in English, and the cookie follows for the login page
    response = client.get(reverse("profile"))
    assert response["Content-Language"] == "en"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    org.alice.refresh_from_db()
    assert org.alice.language == "en"
    # and back to Vietnamese
    client.post(reverse("profile"), profile_data(language="vi"))
    assert client.get(reverse("profile"))["Content-Language"] == "vi"


def test_profile_saves_phone_as_e164_time_zone_and_audits(client, org):
    client.force_login(org.alice)
    response = client.post(
        reverse("profile"), profile_data(time_zone="Europe/Paris", job_title="Trưởng nhóm")
    )
    assert response.status_code == 302
    org.alice.refresh_from_db()
    assert org.alice.phone == "+84912345678"
    assert org.alice.time_zone == "Europe/Paris"
    assert org.alice.job_title == "Trưởng nhóm"
    entry = AuditEntry.objects.get(entity="core.user", object_id=org.alice.pk)
    assert entry.changes["time_zone"] == ["Asia/Ho_Chi_Minh", "Europe/Paris"]
    assert "password" not in entry.changes


def test_bad_profile_input_shows_errors_beside_fields_and_stores_nothing(client, org):
    client.force_login(org.alice)
    response = client.post(
        reverse("profile"),
        profile_data(
            first_name="", phone="12", email="not-an-email", time_zone="Mars/Olympus", language="fr"
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"first_name", "phone", "email", "time_zone", "language"}
    assert b"invalid-feedback" in response.content
    org.alice.refresh_from_db()
    assert (org.alice.first_name, org.alice.phone, org.alice.language) == ("Ánh", "", "vi")
    assert not AuditEntry.objects.filter(entity="core.user").exists()


def test_profile_rejects_an_email_another_user_has(client, org):
    client.force_login(org.alice)
    response = client.post(reverse("profile"), profile_data(email="BOB@example.vn"))
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    org.alice.refresh_from_db()
    assert org.alice.email == "alice@example.vn"


def test_token_is_shown_once_and_stored_hashed(client, org):
    client.force_login(org.alice)
    # when alice creates a token (htmx, as the page does)
    response = client.post(reverse("profile_token_create"), {"name": "Website form"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = response.context["new_key"]
    assert key.startswith("sen_")
    assert key in response.content.decode()
    # then only its SHA-256 and a short prefix are stored
    token = ApiToken.objects.get(user=org.alice)
    assert token.name == "Website form"
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:10]
    assert key not in (token.key_hash, token.prefix)
    # and the key never shows again: the next page lists the token by its prefix only
    page = client.get(reverse("profile")).content.decode()
    assert key not in page
    assert token.prefix in page


def test_token_without_name_is_refused(client, org):
    client.force_login(org.alice)
    response = client.post(reverse("profile_token_create"), {"name": "  "}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.context["token_form"].errors["name"]
    assert not ApiToken.objects.exists()


def test_token_create_without_htmx_renders_the_whole_page(client, org):
    client.force_login(org.alice)
    response = client.post(reverse("profile_token_create"), {"name": "Sync"})
    assert response.status_code == 200
    assert "core/profile.html" in [t.name for t in response.templates]
    assert response.context["new_key"] in response.content.decode()


def test_revoke_deletes_only_ones_own_token(client, org):
    mine, _ = ApiToken.issue(user=org.alice, name="mine")
    bobs, _ = ApiToken.issue(user=org.bob, name="bob's")
    client.force_login(org.alice)
    # another user's token: 404, still there
    assert client.post(reverse("profile_token_revoke", args=[bobs.pk])).status_code == 404
    assert ApiToken.objects.filter(pk=bobs.pk).exists()
    # her own: gone
    response = client.post(reverse("profile_token_revoke", args=[mine.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert not ApiToken.objects.filter(pk=mine.pk).exists()
    assert list(ApiToken.objects.values_list("pk", flat=True)) == [bobs.pk]


def test_revoke_needs_post(client, org):
    token, _ = ApiToken.issue(user=org.alice, name="mine")
    client.force_login(org.alice)
    assert client.get(reverse("profile_token_revoke", args=[token.pk])).status_code == 405
    assert ApiToken.objects.filter(pk=token.pk).exists()
