import pytest

from sencrm.common.testing import make_org


@pytest.fixture
def org(db):
    """The personas of sencrm.common.testing, fresh for each test."""
    return make_org()
