"""Export of any record list (an ``ObjectListView``) to CSV, XLSX and, for contacts, vCard 3.0.

An export is the list the user is looking at: the same search, filters and sort (the list's own
``ListState`` machinery reads the query string, there is no second filter parser) and the same
columns (the user's column choice, or ``columns=`` given explicitly), but only the rows
``visible_to(user, "export")``. Values are written for people: choices as their labels in the
user's language, dates dd/mm/yyyy, money as integers, tags as a comma-separated list.

Rows are read as plain values in chunks of 2,000 (``read_chunks``: a server-side cursor on
PostgreSQL), each column turned into cells a chunk at a time, so memory stays flat whatever the
size; XLSX is written directly as streamed XML parts. Small exports stream straight to the browser;
larger ones run as a ``core.Job`` (``sencrm.core.tasks_jobs.export_run``) and the file is
downloaded from the job page. Every export, streamed or not, leaves a ``Job`` row: who, when, which
kind, the query string and columns in ``params`` and the row count in ``counts`` — that is the
export audit (``/settings/exports/``).

Spreadsheet formula injection (OWASP "CSV Injection"): a text cell starting with ``= + - @``, a tab
or a carriage return gets a leading ``'`` so Excel and LibreOffice show it as text instead of
running it (``=HYPERLINK(…)`` in a contact's name must not become a link when exported back).
"""

import csv
import datetime
import io
import itertools
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.conf import settings
from django.db import OperationalError, connections
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.html import escape, strip_tags
from django.utils.module_loading import import_string
from django.utils.text import slugify
from openpyxl.utils.datetime import to_excel

from sencrm.common import display, lists
from sencrm.common.access import require_right
from sencrm.common.models import Action
from sencrm.common.phones import format_phone

CHUNK_SIZE = 2000
FORMATS = ("csv", "xlsx", "vcard")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "vcard": "text/vcard; charset=utf-8",
}
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "vcard": "vcf"}
DATE_FORMAT = "%d/%m/%Y"
DATETIME_FORMAT = "%d/%m/%Y %H:%M"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# List parameters that shape the page, not the rows: never part of an export's identity.
PAGE_PARAMS = {"page", "format", "columns", "picker"}


def inline_limit() -> int:
    """Exports up to this many rows stream at once; larger ones run as a background job."""
    return int(getattr(settings, "SENCRM_EXPORT_INLINE_ROWS", 5000))


def safe_text(value: str) -> str:
    """Neutralise spreadsheet formulas (OWASP CSV injection): prefix ``'`` to risky first chars."""
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# --------------------------------------------------------------------------------------------------
# What to export: the list's rows and columns
# --------------------------------------------------------------------------------------------------
def view_path(view_class) -> str:
    return f"{view_class.__module__}.{view_class.__qualname__}"


@dataclass
class ExportPlan:
    """The rows (an ordered queryset, not evaluated) and columns of one export."""

    view_class: type
    model: type
    user: object
    columns: list
    queryset: object
    query: str  # the list's query string, without page/format/columns
    users: dict = field(default_factory=dict)  # names for user-type custom fields

    @property
    def entity(self) -> str:
        return self.model.entity()

    def filename(self, fmt: str) -> str:
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        name = slugify(str(self.model._meta.verbose_name_plural)) or self.model._meta.model_name
        return f"{name}-{stamp}.{EXTENSIONS[fmt]}"

    def header(self) -> list[str]:
        return [str(c.label) for c in self.columns]

    def rows(self) -> Iterator[list]:
        """Typed cell values (str, int, date, datetime, None) of every row, read in chunks."""
        for chunk in self.typed_chunks():
            yield from chunk

    def typed_chunks(self) -> Iterator[list[tuple]]:
        """Rows of typed cells, a chunk at a time (``cell_value`` of each column, read fast)."""
        for readers, chunk in read_chunks(self):
            yield list(zip(*(r.typed(chunk) for r in readers), strict=True))

    def text_chunks(self) -> Iterator[list[tuple]]:
        """Rows of CSV text cells (``text_value`` of each typed cell), a chunk at a time."""
        for readers, chunk in read_chunks(self):
            yield list(zip(*(r.texts(chunk) for r in readers), strict=True))


def _query_dict(params) -> QueryDict:
    if isinstance(params, QueryDict):
        return params
    if isinstance(params, str):
        return QueryDict(params.lstrip("?"))
    qd = QueryDict(mutable=True)
    for key, values in dict(params or {}).items():
        qd.setlist(key, values if isinstance(values, list) else [values])
    return qd


def list_queryset(view_class, user, params, action: str = Action.VIEW, columns: Iterable[str] | None = None):
    """The rows of ``view_class``'s list for query string ``params``, limited to ``action``.

    Returns ``(queryset, state)``: the ordered queryset (joins of the shown columns included) and
    the ``ListState`` (shown columns). This is the list page's own machinery, run outside a page:
    exports and "all N matching" bulk actions see exactly what the list shows.
    """
    from sencrm.core.services.custom_fields import custom_fields_for
    from sencrm.core.views.segments import saved_view_from_request

    params = _query_dict(params).copy()
    for key in PAGE_PARAMS:  # the export's own parameters are not filters (nor a change to a view)
        params.pop(key, None)
    request = SimpleNamespace(user=user, GET=params)
    view = view_class()
    # Rows the user may ``action`` (the role's right, then its data scope), not merely view.
    view.get_queryset = lambda req: view.get_base_queryset().visible_to(req.user, action)
    custom_fields = custom_fields_for(view.entity())
    bound = view.bound_columns(custom_fields)
    filters = view.bound_filters(custom_fields)
    # A bare ``?view=<id>`` (a saved view just opened) stands for that view's filters and columns.
    saved_view = saved_view_from_request(view, request)
    chosen = (
        [c for c in (columns or []) if c]
        or (saved_view.columns if saved_view else None)
        or view.chosen_columns(request)
    )
    state = lists.parse_state(request, bound, filters, chosen)
    qs = view.filtered(request, state).order_by(*state.order_by(view.default_sort))
    return qs, state


def export_plan(view_class, user, params, columns: Iterable[str] | None = None) -> ExportPlan:
    """Build the export of ``view_class``'s list as ``user`` sees it with query string ``params``.

    Raises ``RightDenied`` when the role lacks the export right. ``columns`` (names) overrides the
    user's column choice; unknown names are ignored, and none at all means the list's choice.
    """
    model = view_class.model
    require_right(user, model, Action.EXPORT)
    params = _query_dict(params)
    qs, state = list_queryset(view_class, user, params, Action.EXPORT, columns)
    related = sorted({r for c in state.shown for r in c.select_related})
    prefetch = sorted({r for c in state.shown for r in c.prefetch_related})
    qs = qs.select_related(*related).prefetch_related(*prefetch)
    users = {}
    if any(c.custom_field is not None and c.custom_field.type == "user" for c in state.shown):
        from django.contrib.auth import get_user_model

        users = {u.pk: str(u) for u in get_user_model().objects.all()}
    query = params.copy()
    for key in PAGE_PARAMS:
        query.pop(key, None)
    return ExportPlan(
        view_class=view_class,
        model=model,
        user=user,
        columns=list(state.shown),
        queryset=qs,
        query=query.urlencode(),
        users=users,
    )


def _local(value: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


def cell_value(column, obj, users: dict):
    """The value of ``column`` for ``obj`` as a person reads it; numbers and dates stay typed."""
    if column.custom_field is not None:
        return custom_cell(column.custom_field, obj.custom, users)
    name, kind = column.name, column.kind
    if kind == "m2m":
        return ", ".join(t.name for t in getattr(obj, name).all()) or None
    if kind == "choice":
        value = getattr(obj, name)
        return str(getattr(obj, f"get_{name}_display")()) if value not in ("", None) else None
    if not hasattr(obj, name):  # a computed column (e.g. weighted amount): its text on the page
        return strip_tags(str(column.cell(obj, {}))).strip() if column.render else None
    value = getattr(obj, name)
    if value is None or value == "":
        return None
    if kind == "fk":
        return str(value)
    if kind == "bool":
        return display.yes_no(value)
    if kind == "phone":
        return format_phone(value)
    if isinstance(value, datetime.datetime):
        return _local(value)
    if isinstance(value, int | float | datetime.date):
        return value
    return str(value)


def custom_cell(cf, custom: dict | None, users: dict):
    """The value of custom field ``cf`` in a record's ``custom`` data, as a person reads it."""
    value = (custom or {}).get(cf.key)
    if value is None or value == "" or value == []:
        return None
    if cf.type in ("money", "number"):
        return value if isinstance(value, int | float) else str(value)
    if cf.type == "date":
        return datetime.date.fromisoformat(value) if isinstance(value, str) else value
    if cf.type == "bool":
        return display.yes_no(value)
    if cf.type == "multi":
        return ", ".join(str(v) for v in value)
    if cf.type == "user":
        return users.get(value, str(value))
    return str(value)


def text_value(value) -> str:
    """A cell as CSV text: dates dd/mm/yyyy, integers without grouping, formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, datetime.date):
        return value.strftime(DATE_FORMAT)
    if isinstance(value, bool):
        return display.yes_no(value)
    if isinstance(value, int | float):
        return str(value)
    return safe_text(str(value))


# --------------------------------------------------------------------------------------------------
# Reading rows fast: plain values in chunks, each column turned into cells column by column
# --------------------------------------------------------------------------------------------------
# Model instances cost more than everything else in an export (about 1,000 rows/s). Rows are read as
# ``values_list`` tuples instead (a server-side cursor on PostgreSQL, chunked fetches on SQLite) and
# every column has a reader that turns a chunk of tuples into that column's cells: choice labels and
# yes/no are looked up once, related records' names are cached by id, tags are read for a chunk in
# one query, and phones are formatted from a per-prefix template. A column that is not a model field
# (a computed one, e.g. weighted amount) is read from the chunk's instances with ``cell_value``, the
# reference every reader must agree with (tests check they do).
RELATED_CACHE = 20_000  # names of related records kept by id, then forgotten (memory stays bounded)
# Related kinds whose name (``str()``) is one of their fields: read in the same query (a join), so
# 200,000 accounts are not loaded one by one. Others are loaded by id and cached. Modules add theirs
# with ``label_field_register``; a test checks ``str()`` still answers that field.
LABEL_FIELDS = {
    "crm.account": "name",
    "crm.contact": "full_name",
    "crm.opportunity": "name",
    "crm.activity": "subject",
}


def label_field_register(label: str, field_name: str) -> None:
    LABEL_FIELDS[label] = field_name


_PHONE_TEMPLATES: dict[str, str | None] = {}


def _phone_template(e164: str) -> str | None:
    """How ``format_phone`` lays out numbers that share all but the last 4 digits of ``e164``: a
    ``str.format`` template for those 4 digits; None when the layout does not keep them in order.

    A number's layout depends only on its country, its length and its leading digits; Vietnam's
    formats look at the first 4 national digits at most, and its numbers have 8 or more, so for
    them one template serves every number sharing the prefix.
    """
    formatted = format_phone(e164)
    digits = [i for i, ch in enumerate(formatted) if ch.isdigit()]
    if len(digits) < 4 or "".join(formatted[i] for i in digits[-4:]) != e164[-4:]:
        return None
    slots = {i: n for n, i in enumerate(digits[-4:])}
    return "".join(
        "{%d}" % slots[i] if i in slots else ch.replace("{", "{{").replace("}", "}}")  # noqa: UP031
        for i, ch in enumerate(formatted)
    )


def fast_format_phone(value: str) -> str:
    """``format_phone`` for stored E.164 numbers: Vietnamese ones from a cached template per prefix."""
    template = _PHONE_TEMPLATES.get(value[:-4], False)
    if template is False:
        if not value.startswith("+84") or not value[1:].isdigit() or len(value) < 11:
            return format_phone(value)  # other countries' layouts may look further: ask each time
        if len(_PHONE_TEMPLATES) > 50_000:
            _PHONE_TEMPLATES.clear()
        template = _PHONE_TEMPLATES[value[:-4]] = _phone_template(value)
    if template is None or not value[-4:].isdigit():
        return format_phone(value)
    return template.format(*value[-4:])


def _safe_texts(values) -> list[str]:
    return ["" if not v else "'" + v if v.startswith(FORMULA_STARTS) else v for v in values]


class _Reader:
    """Turns one column of a chunk of ``values_list`` rows into cells (typed, or CSV text)."""

    fields: tuple[str, ...] = ()

    def __init__(self, column, index: int = 0):
        self.column = column
        self.index = index

    def prepare(self, chunk: list[tuple], pks: list) -> None:
        """Read what the chunk needs from elsewhere (related names, tags, instances)."""

    def values(self, chunk):
        i = self.index
        return [r[i] for r in chunk]

    def typed(self, chunk) -> list:
        return [_plain(v) for v in self.values(chunk)]

    def texts(self, chunk) -> list[str]:
        return [text_value(v) for v in self.typed(chunk)]


def _plain(value):
    """``cell_value`` of a plain field's stored value."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return _local(value)
    if isinstance(value, int | float | datetime.date):
        return value
    return str(value)


class _TextReader(_Reader):
    def typed(self, chunk):
        return [v or None for v in self.values(chunk)]

    def texts(self, chunk):
        return _safe_texts(self.values(chunk))


class _NumberReader(_Reader):
    def texts(self, chunk):
        return ["" if v is None else str(v) for v in self.values(chunk)]


class _DateReader(_Reader):
    fmt = DATE_FORMAT

    def texts(self, chunk):
        fmt = self.fmt
        return ["" if v is None else v.strftime(fmt) for v in self.typed(chunk)]


class _DateTimeReader(_DateReader):
    """Date-times in the current time zone, without it (as ``_local``)."""

    fmt = DATETIME_FORMAT

    def typed(self, chunk):
        tz = timezone.get_current_timezone()
        return [
            None if v is None else v.astimezone(tz).replace(tzinfo=None) if v.tzinfo is not None else v
            for v in self.values(chunk)
        ]

    def texts(self, chunk):
        tz, fmt = timezone.get_current_timezone(), self.fmt
        return [
            "" if v is None else (v.astimezone(tz) if v.tzinfo is not None else v).strftime(fmt)
            for v in self.values(chunk)
        ]


class _LabelReader(_Reader):
    """Choices and yes/no: one label per stored value, looked up in the current language."""

    def __init__(self, column, index, labels):
        super().__init__(column, index)
        self.labels = labels  # value -> label, or a function building it

    def typed(self, chunk):
        labels = self.labels
        if callable(labels):
            labels = self.labels = labels()
        return [None if v in ("", None) else str(labels.get(v, v)) for v in self.values(chunk)]

    def texts(self, chunk):
        return _safe_texts([str(v) if v is not None else "" for v in self.typed(chunk)])


class _PhoneReader(_Reader):
    def typed(self, chunk):
        return [fast_format_phone(v) if v else None for v in self.values(chunk)]

    def texts(self, chunk):
        return _safe_texts(self.typed(chunk))


class _RelatedReader(_Reader):
    """A foreign key: the related record's name, read once per record and cached by id."""

    def __init__(self, column, index, field):
        super().__init__(column, index)
        self.manager = field.related_model._base_manager  # what select_related would have joined
        self.target = field.target_field.attname
        self.names: dict = {}

    def prepare(self, chunk, pks):
        missing = {v for v in self.values(chunk) if v is not None and v not in self.names}
        if not missing:
            return
        if len(self.names) + len(missing) > RELATED_CACHE:
            self.names = {}
        for obj in self.manager.filter(**{f"{self.target}__in": missing}):
            self.names[getattr(obj, self.target)] = str(obj)

    def typed(self, chunk):
        names = self.names
        return [None if v is None else names.get(v) for v in self.values(chunk)]

    def texts(self, chunk):
        return _safe_texts(self.typed(chunk))


class _JoinedReader(_Reader):
    """A foreign key whose name is a field of the related record, read by a join."""

    def __init__(self, column, index, label_index):
        super().__init__(column, index)
        self.label_index = label_index

    def typed(self, chunk):
        i, j = self.index, self.label_index
        return [None if r[i] is None else str(r[j]) for r in chunk]

    def texts(self, chunk):
        return _safe_texts(self.typed(chunk))


class _ManyReader(_Reader):
    """Tags and other many-to-many fields: names in the related model's order, one query a chunk."""

    def __init__(self, column, field):
        super().__init__(column)
        self.through = field.remote_field.through
        self.source = field.m2m_field_name() + "_id"
        self.target = field.m2m_reverse_field_name() + "_id"
        self.related = field.related_model._default_manager
        self.names: dict = {}

    def prepare(self, chunk, pks):
        links = self._links(pks)
        order = {
            obj.pk: (n, str(getattr(obj, "name", obj)))
            for n, obj in enumerate(self.related.filter(pk__in={t for _s, t in links}))
        }
        names: dict = {}
        for source, target in sorted(links, key=lambda link: order.get(link[1], (0, ""))[0]):
            if target in order:
                names.setdefault(source, []).append(order[target][1])
        self.names = names
        self.pks = pks

    def _links(self, pks) -> list[tuple]:
        """(record, related) id pairs of the chunk; plain SQL, as ``pk__in`` of 2,000 ids costs more
        in the ORM than the query itself."""
        if not all(type(pk) is int for pk in pks):
            return list(
                self.through.objects.filter(**{f"{self.source}__in": pks}).values_list(
                    self.source, self.target
                )
            )
        db = self.through.objects.db
        qn = connections[db].ops.quote_name
        meta = self.through._meta
        source, target = (qn(meta.get_field(n).column) for n in (self.source, self.target))
        ids = ",".join(str(pk) for pk in pks)
        with connections[db].cursor() as cursor:
            cursor.execute(f"SELECT {source}, {target} FROM {qn(meta.db_table)} WHERE {source} IN ({ids})")  # noqa: S608 - ids are ints
            return cursor.fetchall()

    def typed(self, chunk):
        names = self.names
        return [", ".join(names[pk]) if pk in names else None for pk in self.pks]

    def texts(self, chunk):
        return _safe_texts([v or "" for v in self.typed(chunk)])


class _CustomReader(_Reader):
    def __init__(self, column, index, users):
        super().__init__(column, index)
        self.users = users

    def typed(self, chunk):
        cf, users = self.column.custom_field, self.users
        return [custom_cell(cf, v, users) for v in self.values(chunk)]


class _InstanceReader(_Reader):
    """A computed column: the chunk's records as instances, cells as the list page shows them."""

    def __init__(self, column, model, users):
        super().__init__(column)
        self.model = model
        self.users = users
        self.objects: dict = {}

    def prepare(self, chunk, pks):
        qs = self.model._base_manager.filter(pk__in=pks)
        if self.column.select_related:
            qs = qs.select_related(*self.column.select_related)
        if self.column.prefetch_related:
            qs = qs.prefetch_related(*self.column.prefetch_related)
        self.objects = {obj.pk: obj for obj in qs}
        self.pks = pks

    def typed(self, chunk):
        return [cell_value(self.column, self.objects[pk], self.users) for pk in self.pks]


def _readers(plan) -> tuple[list[str], list[_Reader]]:
    """The ``values_list`` names to read (the pk first) and a reader per column."""
    from django.core.exceptions import FieldDoesNotExist

    names = ["pk"]

    def index(name: str) -> int:
        if name not in names:
            names.append(name)
        return names.index(name)

    model = plan.model
    readers: list[_Reader] = []
    for column in plan.columns:
        kind = column.kind
        if column.custom_field is not None:
            readers.append(_CustomReader(column, index("custom"), plan.users))
            continue
        try:
            field = model._meta.get_field(column.name)
        except FieldDoesNotExist:
            field = None
        if field is None or not (field.concrete or field.many_to_many):
            readers.append(_InstanceReader(column, model, plan.users))
        elif kind == "m2m":
            readers.append(_ManyReader(column, field))
        elif kind == "fk" and field.related_model._meta.label_lower in LABEL_FIELDS:
            label = LABEL_FIELDS[field.related_model._meta.label_lower]
            readers.append(_JoinedReader(column, index(field.attname), index(f"{field.name}__{label}")))
        elif kind == "fk":
            readers.append(_RelatedReader(column, index(field.attname), field))
        elif kind == "choice":
            readers.append(
                _LabelReader(
                    column, index(field.attname), lambda f=field: {k: str(v) for k, v in f.flatchoices}
                )
            )
        elif kind == "bool":
            readers.append(
                _LabelReader(
                    column,
                    index(field.attname),
                    lambda: {True: display.yes_no(True), False: display.yes_no(False)},
                )
            )
        elif kind == "phone":
            readers.append(_PhoneReader(column, index(field.attname)))
        elif kind == "datetime":
            readers.append(_DateTimeReader(column, index(field.attname)))
        elif kind == "date":
            readers.append(_DateReader(column, index(field.attname)))
        elif kind in ("int", "money"):
            readers.append(_NumberReader(column, index(field.attname)))
        elif kind in ("text", "email", "url") and field.get_internal_type() in (
            "CharField",
            "TextField",
            "EmailField",
            "URLField",
        ):
            readers.append(_TextReader(column, index(field.attname)))
        else:
            readers.append(_Reader(column, index(field.attname)))
    return names, readers


def read_chunks(plan) -> Iterator[tuple[list[_Reader], list[tuple]]]:
    """The plan's rows as chunks of ``values_list`` tuples, each chunk prepared by every reader."""
    names, readers = _readers(plan)
    qs = plan.queryset.select_related(None).prefetch_related(None).values_list(*names)
    rows = qs.iterator(chunk_size=CHUNK_SIZE)
    while chunk := list(itertools.islice(rows, CHUNK_SIZE)):
        pks = [r[0] for r in chunk]
        for reader in readers:
            reader.prepare(chunk, pks)
        yield readers, chunk


# --------------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------------
def write_csv(plan: ExportPlan, progress=None) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM (so Excel opens Vietnamese text correctly), yielded in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_text(h) for h in plan.header()])
    yield ("\ufeff" + buffer.getvalue()).encode()
    done = 0
    for rows in plan.text_chunks():
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(rows)
        done += len(rows)
        yield buffer.getvalue().encode()
        if progress:
            progress(done)
    if progress:
        progress(done)


# XLSX written directly (a zip of a few XML parts), rows streamed into the sheet part chunk by chunk:
# openpyxl's write-only mode builds an object per cell and managed ~7,000 rows/s. Text goes in as
# inline strings (no shared-string table to hold in memory), dates as Excel serial numbers with a
# dd/mm/yyyy style. Without ``r`` references, cells and rows take the next position (ECMA-376
# §18.3.1.4/§18.3.1.73), so every cell is written, empty ones as ``<c/>``.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SHEET_ILLEGAL = re.compile(r"[\[\]:*?/\\]")
_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="xl/workbook.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
        "</Relationships>"
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
        '<Relationship Id="rId2" Target="styles.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"/>'
        "</Relationships>"
    ),
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>'
        '<numFmt numFmtId="165" formatCode="dd/mm/yyyy hh:mm"/></numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}


def _xml_text(value: str) -> str:
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _XML_ILLEGAL.sub("", value) if _XML_ILLEGAL.search(value) else value


_EPOCH = datetime.date(1899, 12, 30)


def _xlsx_cell(value) -> str:
    if value is None:
        return "<c/>"
    if isinstance(value, str):
        return f'<c t="inlineStr"><is><t xml:space="preserve">{_xml_text(safe_text(value))}</t></is></c>'
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f"<c><v>{value!r}</v></c>"
    if isinstance(value, datetime.datetime):
        return f'<c s="2"><v>{to_excel(value)!r}</v></c>'
    if isinstance(value, datetime.date):
        return f'<c s="1"><v>{to_excel(value)!r}</v></c>'
    return _xlsx_cell(str(value))


def _xlsx_column(values: list) -> list[str]:
    """One column's cells; the common cases (text, empty, numbers) without a call per cell."""
    cells = []
    for v in values:
        if v is None:
            cells.append("<c/>")
        elif type(v) is str and not v.startswith(FORMULA_STARTS) and not _XML_ILLEGAL.search(v):
            if "&" in v or "<" in v or ">" in v:
                v = v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            cells.append(f'<c t="inlineStr"><is><t xml:space="preserve">{v}</t></is></c>')
        elif type(v) is int:
            cells.append(f"<c><v>{v}</v></c>")
        else:
            cells.append(_xlsx_cell(v))
    return cells


def write_xlsx(plan: ExportPlan, out, progress=None) -> int:
    """Write an XLSX workbook to ``out`` (a binary file), streaming the rows; returns the row count."""
    import zipfile

    title = _SHEET_ILLEGAL.sub("", str(plan.model._meta.verbose_name_plural))[:31].strip("'") or "Export"
    done = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=3) as book:
        for name, text in _XLSX_PARTS.items():
            book.writestr(name, text)
        book.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{escape(title)}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            header = "".join(
                f'<c t="inlineStr" s="3"><is><t xml:space="preserve">{_xml_text(safe_text(h))}</t></is></c>'
                for h in plan.header()
            )
            sheet.write(
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                f'<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                f'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
                f"<sheetData><row>{header}</row>".encode()
            )
            for readers, chunk in read_chunks(plan):
                columns = [_xlsx_column(r.typed(chunk)) for r in readers]
                rows = ["<row>" + "".join(cells) + "</row>" for cells in zip(*columns, strict=True)]
                sheet.write("".join(rows).encode())
                done += len(chunk)
                if progress:
                    progress(done)
            sheet.write(b"</sheetData></worksheet>")
    if progress:
        progress(done)
    return done


def _vcard_escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n")
        .replace("\n", "\\n").replace("\r", "\\n")
    )  # fmt: skip


def _vcard_fold(line: str) -> str:
    """Fold at 75 octets (RFC 2425 §5.8.1) without splitting a UTF-8 character."""
    data = line.encode()
    if len(data) <= 75:
        return line + "\r\n"
    parts, current, size = [], [], 0
    for ch in line:
        n = len(ch.encode())
        limit = 75 if not parts else 74  # continuation lines start with a space
        if size + n > limit:
            parts.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += n
    parts.append("".join(current))
    return "\r\n ".join(parts) + "\r\n"


def vcard(contact) -> str:
    """One contact as a vCard 3.0 (names in Vietnamese parts, E.164 phones, work address)."""
    e = _vcard_escape
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"N:{e(contact.family_name)};{e(contact.given_name)};{e(contact.middle_name)};"
        f"{e(contact.get_salutation_display() if contact.salutation else '')};",
        f"FN:{e(contact.full_name or str(contact))}",
    ]
    if contact.account_id:
        lines.append(f"ORG:{e(str(contact.account))}")
    if contact.job_title:
        lines.append(f"TITLE:{e(contact.job_title)}")
    if contact.mobile:
        lines.append(f"TEL;TYPE=CELL:{e(contact.mobile)}")
    if contact.phone:
        lines.append(f"TEL;TYPE=WORK,VOICE:{e(contact.phone)}")
    for email in (contact.email, contact.email2):
        if email:
            lines.append(f"EMAIL;TYPE=INTERNET:{e(email)}")
    if contact.birthday:
        lines.append(f"BDAY:{contact.birthday.isoformat()}")
    if contact.street or contact.ward_id or contact.province_id:
        ward = str(contact.ward) if contact.ward_id else ""
        province = str(contact.province) if contact.province_id else ""
        lines.append(f"ADR;TYPE=WORK:;;{e(contact.street)};{e(ward)};{e(province)};;{e('Việt Nam')}")
    tags = [t.name for t in contact.tags.all()]
    if tags:
        lines.append("CATEGORIES:" + ",".join(e(t) for t in tags))
    if contact.description:
        lines.append(f"NOTE:{e(contact.description)}")
    lines.append(f"UID:sencrm-contact-{contact.pk}")
    lines.append("END:VCARD")
    return "".join(_vcard_fold(line) for line in lines)


def write_vcard(plan: ExportPlan, progress=None) -> Iterator[bytes]:
    """Contacts as vCard 3.0, UTF-8, CRLF line ends (the list's filters and sort, every field)."""
    qs = plan.queryset.select_related("account", "province", "ward").prefetch_related("tags")
    batch: list[str] = []
    done = 0
    for contact in qs.iterator(chunk_size=CHUNK_SIZE):
        batch.append(vcard(contact))
        if len(batch) >= 500:
            done += len(batch)
            yield "".join(batch).encode()
            batch = []
            if progress and done % CHUNK_SIZE == 0:
                progress(done)
    done += len(batch)
    yield "".join(batch).encode()
    if progress:
        progress(done)


def supports_vcard(model) -> bool:
    return model._meta.label_lower == "crm.contact"


def write_to_file(plan: ExportPlan, fmt: str, progress=None):
    """The whole export in a temporary file (rewound), for XLSX and background jobs."""
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - the caller closes it
    if fmt == "xlsx":
        write_xlsx(plan, out, progress)
    else:
        chunks = write_vcard(plan, progress) if fmt == "vcard" else write_csv(plan, progress)
        for chunk in chunks:
            out.write(chunk)
    out.seek(0)
    return out


# --------------------------------------------------------------------------------------------------
# The export as a job (the audit record) and the background run
# --------------------------------------------------------------------------------------------------
def export_record(plan: ExportPlan, fmt: str, *, rows: int, inline: bool):
    """The ``Job`` that records an export: done at once for a streamed one, pending otherwise."""
    from sencrm.core.models import Job
    from sencrm.core.services.jobs import job_create

    job = job_create(
        user=plan.user,
        kind=Job.Kind.EXPORT,
        entity=plan.entity,
        params={
            "view": view_path(plan.view_class),
            "query": plan.query,
            "columns": [c.name for c in plan.columns],
            "format": fmt,
            "inline": inline,
        },
        total=rows,
    )
    if inline:
        now = timezone.now()
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.DONE, done=rows, counts={"rows": rows}, started_at=now, finished_at=now
        )
    return job


def export_job_run(job_id: int) -> None:
    """Run a queued export: rebuild the plan as its user, write the file, attach it to the job."""
    from django.contrib.auth import get_user_model
    from django.core.files import File

    from sencrm.common.access import RightDenied
    from sencrm.core.models import Job
    from sencrm.core.services.jobs import job_fail, job_finish, job_progress, job_start

    job = job_start(job_id)
    if job is None:
        return
    user = get_user_model().objects.get(pk=job.user_id)
    params = job.params
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    try:
        with translation.override(language):
            plan = export_plan(
                import_string(params["view"]), user, QueryDict(params.get("query", "")), params.get("columns")
            )
            fmt = params.get("format", "csv")
            counter = {"rows": 0}

            def progress(done: int) -> None:
                counter["rows"] = done
                try:
                    job_progress(job_id, done=done)
                except OperationalError:
                    # SQLite: this connection is still reading the export (an open statement is a
                    # read transaction), and once another connection has written it cannot write
                    # before that read ends ("database is locked" at once). The bar then moves at
                    # a later chunk; the outcome is written after the read.
                    if connections["default"].vendor != "sqlite":
                        raise

            out = write_to_file(plan, fmt, progress)
            with out:
                Job.objects.get(pk=job_id).result_file.save(plan.filename(fmt), File(out), save=True)
            job_finish(job_id, counts={"rows": counter["rows"]})
    except RightDenied:
        job_fail(job_id, translation.gettext("Your role no longer has the right to export these records."))
    except Exception as exc:  # the job must end, and say why
        job_fail(job_id, str(exc)[:500])
        raise


def io_bytes(chunks: Iterable[bytes]) -> bytes:
    """All chunks joined (tests and small callers)."""
    buf = io.BytesIO()
    for chunk in chunks:
        buf.write(chunk)
    return buf.getvalue()
