"""Security settings users rely on: Argon2 password hashes, hashed API tokens, safe cookies."""

from sencrm import settings as production


def test_passwords_are_hashed_with_argon2(db, settings):
    from sencrm.core.models import User

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    user = User.objects.create_user(username="hoa", password="Mật-khẩu-dài-2026")
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("Mật-khẩu-dài-2026")


def test_api_tokens_are_stored_hashed(db):
    from sencrm.core.models import ApiToken, User

    user = User.objects.create_user(username="bot")
    token, key = ApiToken.issue(user=user, name="ERP")
    token.refresh_from_db()
    assert key not in (token.key_hash, token.prefix) and len(token.key_hash) == 64
    assert token.key_hash == ApiToken.hash(key) and key.startswith(token.prefix)


def test_cookies_and_headers():
    assert production.SESSION_COOKIE_HTTPONLY is True
    assert production.SESSION_COOKIE_SAMESITE == "Lax"
    assert production.X_FRAME_OPTIONS == "DENY"
    assert "django.middleware.csrf.CsrfViewMiddleware" in production.MIDDLEWARE
    assert "axes.middleware.AxesMiddleware" in production.MIDDLEWARE
