"""Quote numbers under concurrency: many quotes saved at once in one branch get distinct,
consecutive numbers (the counter row is locked with select_for_update; SQLite serialises writers)."""

import datetime
import threading
from decimal import Decimal as D

import pytest
from django.db import connection

from sencrm.common.testing import make_org
from sencrm.sales.models import Quote, QuoteCounter
from sencrm.sales.services.quotes import quote_create
from sencrm.sales.tests import factories as f
from sencrm.tests_browser.conftest import _reload_admin_units  # noqa: F401 - an autouse fixture

# A transactional test ends with a flush of every table: the conftest puts the currencies back
# before each test, and the browser tests' fixture reloads the provinces and wards after this module.
pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6
EACH = 3


def test_concurrent_quotes_get_distinct_consecutive_numbers():
    org = make_org()
    opp = f.opportunity(org.alice)
    nen = f.product(org.admin)
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def work():
        try:
            start.wait()
            for _ in range(EACH):
                quote_create(
                    by=org.alice,
                    data={"opportunity": opp, "quote_date": datetime.date(2026, 5, 1)},
                    lines=[{"product": nen, "quantity": D(1)}],
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    numbers = sorted(Quote.objects.values_list("number", flat=True))
    assert numbers == [f"BG-HN-2026-{n:04d}" for n in range(1, THREADS * EACH + 1)]
    assert QuoteCounter.objects.get(branch=org.hn, year=2026).last == THREADS * EACH
