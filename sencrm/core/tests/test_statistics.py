"""The planner's statistics are gathered again on SQLite (nightly and after the demo)."""

import pytest
from django.db import connection

from sencrm.core.services.statistics import statistics_refresh
from sencrm.core.tasks import refresh_statistics


@pytest.mark.django_db
def test_refresh_gathers_sqlite_statistics_for_the_current_data(org):
    if connection.vendor != "sqlite":
        assert statistics_refresh() is False
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'core_user'")
    assert refresh_statistics.call_local() is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'core_user'")
        rows = cursor.fetchall()
    # Each row starts with the table's row count: the nine personas are there now.
    assert rows
    assert all(int(stat.split()[0]) >= 9 for (stat,) in rows)
