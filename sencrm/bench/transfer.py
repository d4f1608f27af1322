"""Build the PostgreSQL data set from the SQLite one: the same rows, without generating them again.

Generating millions of rows is Python work; reading them back from the cached SQLite file and
streaming them into COPY is several times cheaper, and guarantees both engines measure the very
same data. The organisation (users, teams, tags, the pipeline, the API token) is created by the
builder with the same seed, so its ids match the ids the rows point at; the transfer checks that
before copying anything and refuses otherwise (then the data set is generated instead).
"""

import sqlite3
import time

from django.db import connection, transaction

from sencrm.bench.generate import BenchBuilder, Table, Writer
from sencrm.core.models import Tag, Team, User
from sencrm.core.search import search_reindex
from sencrm.crm.models import Account, Activity, Contact, Lead, Opportunity, Pipeline, Stage, StageChange

ROWS = [Account, Contact, Opportunity, StageChange, Lead, Activity]
TAGGED = [Account, Contact, Lead]
#: Organisation rows whose ids the copied rows refer to: they must be the same on both sides.
SAME_IDS = [(User, "username"), (Team, "name"), (Tag, "name"), (Pipeline, "name"), (Stage, "name")]
FETCH = 20_000


class OrganisationMismatch(RuntimeError):
    pass


def _rows(source: sqlite3.Connection, table: Table):
    columns = ", ".join(f'"{c}"' for c in table.columns)
    cursor = source.execute(f'SELECT {columns} FROM "{table.name}" ORDER BY id')
    while batch := cursor.fetchmany(FETCH):
        yield from batch


def vacuum_analyze() -> float:
    """VACUUM ANALYZE (outside any transaction); returns the seconds it took."""
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return round(time.monotonic() - started, 1)


def transfer_from_sqlite(path: str, factor: float, log=None, *, analyze: bool = True) -> dict:
    """Write the data set of ``path`` (a built SQLite data set of size ``factor``) into this database.

    Raises ``OrganisationMismatch`` (before copying any row) when the ids cannot match.
    """
    log = log or (lambda message: None)
    if Contact.objects.exists() or Account.objects.exists():
        raise RuntimeError("The benchmark data set is built into an empty database.")
    began = started = time.monotonic()
    builder = BenchBuilder(factor=factor, log=log)
    writer = Writer(log=log)
    writer.prepare()
    with transaction.atomic():
        builder.ensure_admin_units()
        builder.build_users()
        builder.load_pipeline()
    builder.step("organisation", started)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for model, field in SAME_IDS:
            mine = list(model.objects.order_by("id").values_list("id", field))
            table = model._meta.db_table
            theirs = [tuple(r) for r in source.execute(f'SELECT id, "{field}" FROM "{table}" ORDER BY id')]
            if mine != theirs:
                raise OrganisationMismatch(f"{table}: the ids differ from the SQLite data set's")
        tables = [Table(m) for m in ROWS] + [Table(m.tags.through) for m in TAGGED]
        writer.drop_indexes([t.name for t in tables])
        started = time.monotonic()
        counts = {}
        for table in tables:
            with transaction.atomic():
                counts[table.name] = writer.insert(table, _rows(source, table))
        builder.step("rows (copied from SQLite)", started)
    finally:
        source.close()
    started = time.monotonic()
    writer.create_indexes()
    builder.step("indexes", started)
    started = time.monotonic()
    builder.finish(ROWS + [m.tags.through for m in TAGGED], derive=False)  # the rows carry them
    writer.finish()
    builder.step("sequences", started)
    started = time.monotonic()
    indexed = search_reindex()
    builder.step("search_reindex", started)
    if analyze:
        builder.timings["vacuum analyze"] = vacuum_analyze()
    names = {
        "accounts": Account,
        "contacts": Contact,
        "opportunities": Opportunity,
        "stage changes": StageChange,
        "leads": Lead,
        "activities": Activity,
    }
    summary = {"users": User.objects.count()}
    summary.update({k: counts[m._meta.db_table] for k, m in names.items()})
    summary["search index"] = indexed
    return {
        "counts": summary,
        "timings": builder.timings,
        "seconds": round(time.monotonic() - began, 1),
        "copied_from": path,
    }
