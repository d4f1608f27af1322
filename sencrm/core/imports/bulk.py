"""Multi-row INSERTs for imports: what ``bulk_create`` writes, without its per-value SQL compilation.

``bulk_create`` compiles every value of every row through the field's ``get_db_prep_save`` and an
SQL placeholder object, and on SQLite sends at most 999 values per statement: for a contact (about
40 columns) that is 24 rows a statement and most of an import's time. Here each column gets one
converter, chosen once: none for text, numbers, booleans and foreign keys (the driver takes them as
they are), the field's own ``get_db_prep_save`` for the others (dates, JSON…). SQLite gets
statements of as many rows as its parameter limit allows (ids by ``RETURNING``); PostgreSQL
``COPY`` (ids taken from the sequence first). Only for new rows of
one model, no signals (like ``bulk_create``); ``auto_now`` fields are filled as ``save`` would.
"""

from collections.abc import Callable

from django.db import connection, models
from django.utils import timezone

_AS_IS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
)


def _param_limit() -> int:
    if connection.vendor == "sqlite":
        import sqlite3

        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return 65_535  # PostgreSQL's wire protocol


def _converter(field) -> Callable | None:
    if isinstance(field, _AS_IS) and not isinstance(field, models.JSONField):
        return None
    if isinstance(field, models.JSONField):  # mostly {}: converted once
        empty = field.get_db_prep_save({}, connection)
        return lambda value: empty if value == {} else field.get_db_prep_save(value, connection)
    if isinstance(field, models.DateField):  # DateTimeField too: a batch shares its timestamps
        seen: dict = {}

        def convert(value):
            if value not in seen:
                if len(seen) > 4096:
                    seen.clear()
                seen[value] = field.get_db_prep_save(value, connection)
            return seen[value]

        return convert
    return lambda value: field.get_db_prep_save(value, connection)


def _rows_sql(model, columns: list[str], count: int) -> str:
    quote = connection.ops.quote_name
    # SQLite's own placeholder: Django rewrites every "%s" of a statement into "?" on each call,
    # and a statement of 500 rows holds 20,000 of them.
    mark = "?" if connection.vendor == "sqlite" else "%s"
    marks = "(" + ", ".join([mark] * len(columns)) + ")"
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) VALUES "
        + ", ".join([marks] * count)
    )


def _chunks(count: int, limit: int):
    """``(start, size)`` pieces of ``count`` rows, sizes powers of two up to ``limit``: a dozen
    distinct statements a table at most, so the driver's statement cache (128 on SQLite) does not
    fill up with one large prepared statement per remainder size."""
    start = 0
    while start < count:
        size = 1 << (min(limit, count - start).bit_length() - 1)
        yield start, size
        start += size


def _write(cursor, model, columns: list[str], rows: list[list]) -> None:
    """INSERT ``rows`` (lists of column values). SQLite: statements of as many rows as its
    parameter limit allows. PostgreSQL: ``COPY … FROM STDIN`` (a row costs the server a few
    microseconds, against some 100 for one INSERT statement each, even pipelined)."""
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
        return
    per_statement = max(1, min(2000, _param_limit() // len(columns)))
    for start, size in _chunks(len(rows), per_statement):
        chunk = rows[start : start + size]
        cursor.execute(_rows_sql(model, columns, size), [v for row in chunk for v in row])


def insert_values(model, fixed: dict, names, rows: list) -> None:
    """INSERT one row of ``model`` per item of ``rows`` (a value, or a tuple for several ``names``),
    with the same ``fixed`` values (field name → value; a relation by its id) and every other
    column at its default. For link tables and log rows: no model instance per row."""
    if not rows:
        return
    names = (names,) if isinstance(names, str) else tuple(names)
    pk = model._meta.pk
    fields = [f for f in model._meta.local_concrete_fields if f is not pk]
    by_name = {f.name: f for f in fields}
    constant = {}
    for f in fields:
        if f.name in names:
            continue
        value = fixed[f.name] if f.name in fixed else f.get_default()
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = timezone.now()
        convert = _converter(f)
        constant[f.name] = value if convert is None or value is None else convert(value)
    converters = [_converter(by_name[n]) for n in names]
    head = list(constant.values())
    values = [
        [*head, *(v if c is None or v is None else c(v) for v, c in zip(row, converters, strict=True))]
        for row in (((r,) if len(names) == 1 else r) for r in rows)
    ]
    with connection.cursor() as cursor:
        _write(cursor, model, [by_name[n].column for n in (*constant, *names)], values)


def _new_ids(cursor, model, count: int) -> list[int]:
    """``count`` primary keys from the table's PostgreSQL sequence (identity column)."""
    table, column = model._meta.db_table, model._meta.pk.column
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
    )
    return [row[0] for row in cursor.fetchall()]


def insert(model, objs: list, *, returning: bool = True) -> None:
    """INSERT ``objs`` (new instances of ``model``); with ``returning`` set their primary keys."""
    if not objs:
        return
    pk = model._meta.pk
    fields = [f for f in model._meta.local_concrete_fields if f is not pk]
    stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if returning and postgres:  # ids first, then inserted with the rows
            for obj, new_id in zip(objs, _new_ids(cursor, model, len(objs)), strict=True):
                obj.pk = new_id
            fields = [pk, *fields]
        converters = [(f.attname, _converter(f)) for f in fields]
        now = timezone.now()  # what pre_save() gives auto_now fields
        rows = []
        for obj in objs:
            for f in stamped:
                setattr(obj, f.attname, now)
            rows.append(
                [
                    value if convert is None or value is None else convert(value)
                    for value, convert in ((getattr(obj, a), c) for a, c in converters)
                ]
            )
        columns = [f.column for f in fields]
        if not returning or postgres:
            _write(cursor, model, columns, rows)
        else:  # SQLite: RETURNING, one statement at a time
            per_statement = max(1, min(2000, _param_limit() // len(columns)))
            for start, size in _chunks(len(objs), per_statement):
                chunk = rows[start : start + size]
                cursor.execute(
                    _rows_sql(model, columns, len(chunk))
                    + f" RETURNING {connection.ops.quote_name(pk.column)}",
                    [v for row in chunk for v in row],
                )
                # One statement takes its ids in the order of its rows (one sequence, increasing).
                ids = sorted(row[0] for row in cursor.fetchall())
                for obj, new_id in zip(objs[start : start + size], ids, strict=True):
                    obj.pk = new_id
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias
