"""API authentication (bearer tokens, session + CSRF), the ``token`` command, the error shape for
requests that never reach a handler, and the OpenAPI document and docs page."""

import datetime
import io
import json

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from django.test import Client
from django.utils import timezone, translation

from sencrm.core.models import ApiToken, User
from sencrm.core.services.records import record_create
from sencrm.crm.models import Account, Lead

API = "/api/v1"
UNAUTHENTICATED = {
    "detail": "Authentication required: log in, or send an API token as 'Authorization: Bearer <key>'.",
    "errors": {},
}


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def english(*users) -> None:
    User.objects.filter(pk__in=[u.pk for u in users]).update(language="en")


# ---------------------------------------------------------------------------------------------------
# No credentials
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/accounts"), ("post", "/accounts"), ("get", "/me"), ("delete", "/leads/1"), ("get", "/users")],
)
def test_without_credentials_it_is_401_json(db, method, path):
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # nobody is logged in: the cookie decides

    response = getattr(client, method)(API + path)

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response["Content-Type"] == "application/json; charset=utf-8"


def test_a_write_without_credentials_stores_nothing(db):
    response = Client().post(f"{API}/accounts", json.dumps({"name": "Sen"}), content_type="application/json")

    assert response.status_code == 401
    assert Account.objects.count() == 0


# ---------------------------------------------------------------------------------------------------
# Bearer tokens
# ---------------------------------------------------------------------------------------------------


def test_a_bearer_token_authenticates_as_its_user(org):
    mine = record_create(Account, by=org.alice, data={"name": "Của Ánh"})
    record_create(Account, by=org.mallory, data={"name": "Của Mai"})
    _token, key = ApiToken.issue(user=org.alice, name="Zapier")

    response = Client().get(f"{API}/accounts", headers=bearer(key))

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [mine.pk]
    assert Client().get(f"{API}/me", headers=bearer(key)).json()["username"] == "alice"


def test_a_bearer_write_needs_no_csrf_token(org):
    _token, key = ApiToken.issue(user=org.alice, name="script")
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        f"{API}/leads",
        json.dumps({"full_name": "Võ Văn Kiệt"}),
        content_type="application/json",
        headers=bearer(key),
    )

    assert response.status_code == 201, response.json()
    lead = Lead.objects.get()
    assert (lead.owner_id, lead.created_by_id) == (org.alice.pk, org.alice.pk)


@pytest.mark.parametrize("header", ["Bearer sen_wrong", "Bearer ", "bearer sen_wrong"])
def test_a_bad_token_is_401(org, header):
    ApiToken.issue(user=org.alice, name="real")

    response = Client().get(f"{API}/accounts", headers={"Authorization": header})

    assert response.status_code == 401
    assert set(response.json()) == {"detail", "errors"}


def test_a_bad_token_is_401_even_with_a_valid_session(org):
    client = Client()
    client.force_login(org.alice)

    response = client.get(f"{API}/accounts", headers=bearer("sen_revoked"))

    assert response.status_code == 401


def test_a_deactivated_users_token_is_401(org):
    _token, key = ApiToken.issue(user=org.alice, name="old")
    User.objects.filter(pk=org.alice.pk).update(is_active=False)

    assert Client().get(f"{API}/accounts", headers=bearer(key)).status_code == 401


def test_last_used_at_is_written_at_most_once_a_minute(org):
    token, key = ApiToken.issue(user=org.alice, name="busy")
    client = Client()

    client.get(f"{API}/me", headers=bearer(key))
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None and timezone.now() - first < datetime.timedelta(seconds=10)

    recent = timezone.now() - datetime.timedelta(seconds=30)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    client.get(f"{API}/me", headers=bearer(key))
    token.refresh_from_db()
    assert token.last_used_at == recent  # under a minute: not written

    old = timezone.now() - datetime.timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=old)
    client.get(f"{API}/me", headers=bearer(key))
    token.refresh_from_db()
    assert token.last_used_at > old


def test_a_token_request_speaks_the_token_users_language(org):
    _token, key = ApiToken.issue(user=org.alice, name="script")
    body = json.dumps({"name": "Sen", "employees": "nhiều"})

    User.objects.filter(pk=org.alice.pk).update(language="en")
    in_english = Client().post(f"{API}/accounts", body, content_type="application/json", headers=bearer(key))
    User.objects.filter(pk=org.alice.pk).update(language="vi")
    in_vietnamese = Client().post(
        f"{API}/accounts", body, content_type="application/json", headers=bearer(key)
    )

    with translation.override("vi"):
        expected = translation.gettext("Enter a whole number.")
    assert in_english.json()["errors"] == {"employees": ["Enter a whole number."]}
    assert in_vietnamese.json()["errors"] == {"employees": [expected]}
    assert expected != "Enter a whole number."


# ---------------------------------------------------------------------------------------------------
# Session + CSRF
# ---------------------------------------------------------------------------------------------------


def test_a_session_write_needs_the_csrf_token(org):
    english(org.alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.alice)
    body = json.dumps({"name": "Sen"})

    assert client.get(f"{API}/accounts").status_code == 200  # reads need no token
    refused = client.post(f"{API}/accounts", body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "CSRF check failed: send the X-CSRFToken header with the csrftoken cookie's value.",
        "errors": {},
    }
    assert Account.objects.count() == 0

    client.get("/login/")  # any page that sets the CSRF cookie
    csrf = client.cookies.get(settings.CSRF_COOKIE_NAME)
    if csrf is None:  # the login page may not exist yet; set the cookie as the browser would
        from django.middleware.csrf import _get_new_csrf_string

        client.cookies[settings.CSRF_COOKIE_NAME] = _get_new_csrf_string()
        csrf = client.cookies[settings.CSRF_COOKIE_NAME]
    accepted = client.post(
        f"{API}/accounts", body, content_type="application/json", headers={"X-CSRFToken": csrf.value}
    )
    assert accepted.status_code == 201, accepted.json()
    assert Account.objects.get().owner_id == org.alice.pk


# ---------------------------------------------------------------------------------------------------
# The token command
# ---------------------------------------------------------------------------------------------------


def test_token_create_prints_a_working_key_once(org):
    out, err = io.StringIO(), io.StringIO()

    call_command("token", "create", "bob", "--name", "Zalo bot", stdout=out, stderr=err)

    key = out.getvalue().strip()
    token = ApiToken.objects.get(user=org.bob)
    assert key.startswith("sen_")
    assert token.name == "Zalo bot"
    assert token.key_hash == ApiToken.hash(key)
    assert key not in {token.key_hash, token.prefix}  # only the hash is kept
    assert Client().get(f"{API}/me", headers=bearer(key)).json()["username"] == "bob"


def test_token_list_and_revoke(org):
    call_command("token", "create", "bob", stdout=io.StringIO(), stderr=io.StringIO())
    token = ApiToken.objects.get(user=org.bob)
    listing = io.StringIO()

    call_command("token", "list", "bob", stdout=listing)
    call_command("token", "revoke", "bob", token.prefix, stdout=io.StringIO())

    assert listing.getvalue().startswith(f"{token.prefix}\t")
    assert not ApiToken.objects.exists()


def test_token_create_for_an_unknown_user_fails_clearly(db):
    with translation.override("en"), pytest.raises(CommandError, match="Unknown user: nobody"):
        call_command("token", "create", "nobody", stdout=io.StringIO())
    assert not ApiToken.objects.exists()


def test_token_create_for_a_deactivated_user_fails(org):
    User.objects.filter(pk=org.bob.pk).update(is_active=False)

    with translation.override("en"), pytest.raises(CommandError, match="bob is deactivated"):
        call_command("token", "create", "bob", stdout=io.StringIO())


# ---------------------------------------------------------------------------------------------------
# Errors that never reach a handler, and errors the handlers did not expect
# ---------------------------------------------------------------------------------------------------


@pytest.fixture
def alice_client(org):
    english(org.alice)
    client = Client()
    client.force_login(org.alice)
    return client


def test_an_unknown_api_path_is_404_json(alice_client):
    for path in ("/nothing", "/accounts/1/nothing", "/accounts/"):
        response = alice_client.get(API + path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not found.", "errors": {}}


def test_a_path_id_of_the_wrong_type_is_422(alice_client):
    response = alice_client.get(f"{API}/accounts/abc")

    assert response.status_code == 422
    assert response.json()["errors"] == {"record_id": ["Enter a whole number."]}


def test_a_body_that_is_not_an_object_is_422(alice_client):
    for raw in ("[1, 2]", '"Sen"', "null"):
        response = alice_client.post(f"{API}/accounts", raw, content_type="application/json")
        assert response.status_code == 422, raw
        assert list(response.json()["errors"]) == ["body"], raw
    assert Account.objects.count() == 0


def test_an_empty_create_body_is_422(alice_client):
    response = alice_client.post(f"{API}/accounts", "", content_type="application/json")

    assert response.status_code == 422
    assert response.json()["errors"] == {"body": ["This field is required."]}


def test_an_unexpected_error_is_500_json(alice_client, org, monkeypatch):
    lead = record_create(Lead, by=org.alice, data={"full_name": "Sen"})

    def boom(**kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr("sencrm.crm.api.lead_verify", boom)
    response = alice_client.get(f"{API}/leads/{lead.pk}/warnings")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error.", "errors": {}}


def test_a_database_conflict_is_409_json(alice_client, org, monkeypatch):
    lead = record_create(Lead, by=org.alice, data={"full_name": "Sen"})

    def clash(**kwargs):
        raise IntegrityError("duplicate key")

    monkeypatch.setattr("sencrm.crm.api.lead_verify", clash)
    response = alice_client.get(f"{API}/leads/{lead.pk}/warnings")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This conflicts with existing data (a duplicate, or a record in use). Nothing was saved.",
        "errors": {},
    }


def test_a_role_without_the_view_right_gets_403_on_lists(org):
    english(org.noright)
    client = Client()
    client.force_login(org.noright)

    response = client.get(f"{API}/contacts")

    assert response.status_code == 403
    assert response.json() == {"detail": "Your role does not allow this: View Contacts.", "errors": {}}


# ---------------------------------------------------------------------------------------------------
# OpenAPI and docs
# ---------------------------------------------------------------------------------------------------


def test_the_openapi_document_describes_the_api(db):
    response = Client().get(f"{API}/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Sen CRM API"
    for path in (
        "/api/v1/accounts",
        "/api/v1/contacts/{record_id}",
        "/api/v1/leads/{record_id}/convert",
        "/api/v1/opportunities/{record_id}/move",
        "/api/v1/activities/{record_id}/complete",
        "/api/v1/users",
        "/api/v1/branches",
        "/api/v1/roles",
        "/api/v1/teams",
        "/api/v1/custom-fields",
        "/api/v1/me",
    ):
        assert path in schema["paths"], path
    assert not any("{path}" in p or "rest" in p for p in schema["paths"])  # the 404 fallback is hidden
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    create = schema["paths"]["/api/v1/accounts"]["post"]
    assert set(create["responses"]) >= {"201", "401", "403", "422"}
    assert create["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")


def test_the_docs_page_is_served(db):
    response = Client().get(f"{API}/docs")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_the_docs_page_loads_nothing_from_a_cdn(db):
    # Ninja serves its vendored Swagger UI only while "ninja" is in INSTALLED_APPS.
    response = Client().get(f"{API}/docs")

    assert b"cdn.jsdelivr" not in response.content
    assert b"/static/ninja/swagger-ui-bundle" in response.content
