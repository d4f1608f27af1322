"""The global search index (core.search): an FTS5 table on SQLite, a GIN-indexed tsvector on PostgreSQL.

Raw SQL, no model: the table is written and read only by ``sencrm.core.search.engines``. It starts
empty; ``sencrm search_reindex`` fills it from existing records (the demo command calls it).
"""

from django.db import migrations

SQLITE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS core_search USING fts5("
    "title, body, meta, tokenize = 'unicode61 remove_diacritics 0', prefix = '1 2 3', detail = column)"
)
POSTGRES = [
    "CREATE TABLE IF NOT EXISTS core_search (id bigint PRIMARY KEY, doc tsvector NOT NULL)",
    "CREATE INDEX IF NOT EXISTS core_search_doc ON core_search USING gin (doc)",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE)
    elif vendor == "postgresql":
        for sql in POSTGRES:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor in ("sqlite", "postgresql"):
        schema_editor.execute("DROP TABLE IF EXISTS core_search")


class Migration(migrations.Migration):
    dependencies = [("core", "0003_jobs")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
