import pytest

from sencrm.common.testing import make_org


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 is deliberately slow; tests create many users. Production keeps Argon2 (settings.py)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org(db):
    """The personas of sencrm.common.testing, fresh for each test."""
    return make_org()
