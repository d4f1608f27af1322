"""Export of any record list (an ``ObjectListView``) to CSV, XLSX and, for contacts, vCard 3.0.

An export is the list the user is looking at: the same search, filters and sort (the list's own
``ListState`` machinery reads the query string, there is no second filter parser) and the same
columns (the user's column choice, or ``columns=`` given explicitly), but only the rows
``visible_to(user, "export")``. Values are written for people: choices as their labels in the
user's language, dates dd/mm/yyyy, money as integers, tags as a comma-separated list.

Rows are read with ``iterator(chunk_size=2000)`` (related rows joined, tags prefetched per chunk),
so memory stays flat whatever the size. Small exports stream straight to the browser; larger ones
run as a ``core.Job`` (``sencrm.core.tasks_jobs.export_run``) and the file is downloaded from the
job page. Every export, streamed or not, leaves a ``Job`` row: who, when, which kind, the query
string and columns in ``params`` and the row count in ``counts`` — that is the export audit
(``/settings/exports/``).

Spreadsheet formula injection (OWASP "CSV Injection"): a text cell starting with ``= + - @``, a tab
or a carriage return gets a leading ``'`` so Excel and LibreOffice show it as text instead of
running it (``=HYPERLINK(…)`` in a contact's name must not become a link when exported back).
"""

import csv
import datetime
import io
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.module_loading import import_string
from django.utils.text import slugify

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
        for obj in self.queryset.iterator(chunk_size=CHUNK_SIZE):
            yield [cell_value(c, obj, self.users) for c in self.columns]

    def objects(self) -> Iterator:
        return self.queryset.iterator(chunk_size=CHUNK_SIZE)


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

    params = _query_dict(params)
    request = SimpleNamespace(user=user, GET=params)
    view = view_class()
    # Rows the user may ``action`` (the role's right, then its data scope), not merely view.
    view.get_queryset = lambda req: view.get_base_queryset().visible_to(req.user, action)
    custom_fields = custom_fields_for(view.entity())
    bound = view.bound_columns(custom_fields)
    filters = view.bound_filters(custom_fields)
    chosen = [c for c in (columns or []) if c] or view.chosen_columns(request)
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
    cf = column.custom_field
    if cf is not None:
        value = (obj.custom or {}).get(cf.key)
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
# Writers
# --------------------------------------------------------------------------------------------------
class _Line:
    """A file-like sink for ``csv.writer`` that hands back what was written."""

    def write(self, value: str) -> str:
        return value


def write_csv(plan: ExportPlan, progress=None) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM (so Excel opens Vietnamese text correctly), yielded in chunks."""
    writer = csv.writer(_Line())
    yield ("\ufeff" + writer.writerow([safe_text(h) for h in plan.header()])).encode()
    batch: list[str] = []
    done = 0
    for row in plan.rows():
        batch.append(writer.writerow([text_value(v) for v in row]))
        if len(batch) >= CHUNK_SIZE:
            done += len(batch)
            yield "".join(batch).encode()
            batch = []
            if progress:
                progress(done)
    if batch:
        done += len(batch)
        yield "".join(batch).encode()
    if progress:
        progress(done)


def write_xlsx(plan: ExportPlan, out, progress=None) -> int:
    """Write an XLSX workbook (openpyxl write-only mode: rows are not kept) to ``out``; rows count."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=str(plan.model._meta.verbose_name_plural)[:31] or "Export")
    ws.append([safe_text(h) for h in plan.header()])

    def cell(value):
        if isinstance(value, datetime.datetime):
            c = WriteOnlyCell(ws, value=value)
            c.number_format = "dd/mm/yyyy hh:mm"
            return c
        if isinstance(value, datetime.date):
            c = WriteOnlyCell(ws, value=value)
            c.number_format = "dd/mm/yyyy"
            return c
        if isinstance(value, str):
            return safe_text(value)
        return value

    done = 0
    for row in plan.rows():
        ws.append([cell(v) for v in row])
        done += 1
        if progress and done % CHUNK_SIZE == 0:
            progress(done)
    wb.save(out)
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
                job_progress(job_id, done=done)

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
