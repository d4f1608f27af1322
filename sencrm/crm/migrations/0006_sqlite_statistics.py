"""SQLite: gather the query planner's statistics (``ANALYZE``), sampled so it stays fast.

Without ``sqlite_stat1`` SQLite guesses that every indexed equality is as selective as any other.
A sales rep's account page then walks the rep's 100,000 contacts in name order looking for the
account's five, rather than reading those five and sorting them. ``analysis_limit`` samples each
index (well under a second for a million contacts). Statistics describe the data as it was: a
database filled much later (an import of a whole customer base) is best analyzed again with
``ANALYZE`` (sencrm dbshell). PostgreSQL keeps its own statistics (autovacuum).
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("PRAGMA analysis_limit=1000")
    schema_editor.execute("ANALYZE")


class Migration(migrations.Migration):
    dependencies = [("crm", "0005_pg_live_row_indexes")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
