"""Trigram indexes behind the diacritic-insensitive ``?q=`` search on PostgreSQL.

``search_text`` holds folded words; lists filter it with ``LIKE '%word%'``, which a GIN trigram
index serves on PostgreSQL. SQLite has no such index type: there the filter scans, and the full-text
engine of the search issue takes over. Nothing runs on SQLite.
"""

from django.db import migrations

TABLES = ["crm_account", "crm_contact", "crm_lead", "crm_opportunity", "crm_activity"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table in TABLES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_search_trgm ON {table} USING gin (search_text gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
