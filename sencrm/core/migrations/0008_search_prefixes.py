"""SQLite search index: prefix indexes of 1 to 6 characters (were 1 to 3).

FTS5 answers a prefix query longer than its longest prefix index by first merging the posting
lists of every matching word: 'nguy' or 'nguyen' meant reading 400,000 postings per keystroke
over a million contacts (60–270 ms). Vietnamese syllables have at most 7 letters, so with prefix
indexes up to 6 characters every as-you-type prefix of a name is one posting list, read lazily
up to the ``LIMIT``. The rows are copied over (FTS5 keeps its text): no reindex is needed.
PostgreSQL's GIN index is unchanged.
"""

from django.db import migrations

NEW = (
    "CREATE VIRTUAL TABLE core_search_new USING fts5("
    "title, body, meta, tokenize = 'unicode61 remove_diacritics 0', prefix = '{}', detail = column)"
)


def _rebuild(schema_editor, prefixes: str) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("DROP TABLE IF EXISTS core_search_new")
    schema_editor.execute(NEW.format(prefixes))
    schema_editor.execute(
        "INSERT INTO core_search_new (rowid, title, body, meta) "
        "SELECT rowid, title, body, meta FROM core_search"
    )
    schema_editor.execute("DROP TABLE core_search")
    schema_editor.execute("ALTER TABLE core_search_new RENAME TO core_search")


def forwards(apps, schema_editor):
    _rebuild(schema_editor, "1 2 3 4 5 6")


def backwards(apps, schema_editor):
    _rebuild(schema_editor, "1 2 3")


class Migration(migrations.Migration):
    dependencies = [("core", "0007_imports_undo_kind")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
