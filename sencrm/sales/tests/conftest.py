import pytest


@pytest.fixture(autouse=True)
def _currencies(request):
    """The currencies migration 0002 seeds: a transactional test elsewhere in the suite flushes
    them (TransactionTestCase empties every table), so database tests put them back."""
    names = set(request.fixturenames)
    if "django_db" not in request.keywords and not names & {"db", "org", "transactional_db"}:
        return
    if "transactional_db" not in names:
        request.getfixturevalue("db")
    from sencrm.sales.services.pricing import currencies_ensure

    currencies_ensure()
