"""The query planner's statistics: kept fresh on SQLite, left to autovacuum on PostgreSQL.

Without ``sqlite_stat1`` SQLite guesses that every indexed equality is as selective as any other
and can walk a rep's 100,000 contacts in name order to find an account's five (crm migration
0006). Statistics describe the data as it was when gathered, so they are gathered again after a
bulk load (the demo) and every night (``core.tasks.refresh_statistics``). ``analysis_limit``
samples each index: well under a second for a million contacts.
"""

from django.db import connection

ANALYSIS_LIMIT = 1000


def statistics_refresh() -> bool:
    """Re-gather SQLite's planner statistics; False (nothing done) on other databases."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
    return True
