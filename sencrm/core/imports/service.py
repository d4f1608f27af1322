"""Import rows into records as a background job, list what failed, and undo an import.

Each row is normalised and validated with the model's own ``clean()`` (the semantics of
``record_create``: NFC text, E.164 phones, lower-case emails, Vietnamese name parts from a full
name), then matched against existing records on the adapter's exact keys (email, E.164 phone,
tax code) and, as the user chose, skipped, used to update the match, or created anyway. New
records are written in batches (``bulk_create`` + one audit entry each), so a large file goes in
fast. Every input row is either stored or listed in the error file (row, column, value, message).

Undo removes what the import created (to the Trash when someone changed it since) and puts back
the fields it updated. A fatal error during the run undoes the partial work: the database is as
before.
"""

import contextlib
import csv
import datetime
import functools
import io
import logging
import queue
import re
import tempfile
import threading
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import connection, models, transaction
from django.db.models import ProtectedError, Q
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.common.access import require_right
from sencrm.common.models import Action, DataScope
from sencrm.common.phones import normalize_phone
from sencrm.common.text import fold, nfc
from sencrm.common.validators import PLAIN_EMAIL, validate_email
from sencrm.core.imports import CUSTOM_PREFIX, ImportAdapter, get_adapter
from sencrm.core.imports.bulk import insert, insert_values
from sencrm.core.imports.mapping import suggest_mapping
from sencrm.core.imports.readers import ImportFileError, Table, open_table
from sencrm.core.models import AuditEntry, ImportRow, Job, User
from sencrm.core.search.service import search_index_new, search_index_remove
from sencrm.core.services.jobs import job_create, job_fail, job_finish, job_progress, job_start
from sencrm.core.services.statistics import statistics_refresh

log = logging.getLogger(__name__)

MATCH_SKIP, MATCH_UPDATE, MATCH_CREATE = "skip", "update", "create"
MATCH_CHOICES = (MATCH_SKIP, MATCH_UPDATE, MATCH_CREATE)
BATCH = 2000
STATISTICS_AFTER = 10_000  # records created by one import
IMPORT_CACHE_KIB = 32 * 1024  # SQLite page cache of each of an import's two connections
ERROR_VALUE_CHARS = 200


def max_bytes() -> int:
    return int(getattr(settings, "SENCRM_IMPORT_MAX_BYTES", 256 * 1024 * 1024))


def max_cell_chars() -> int:
    return int(getattr(settings, "SENCRM_IMPORT_MAX_CELL", 100_000))


# ---------------------------------------------------------------------------------------------------
# Starting an import
# ---------------------------------------------------------------------------------------------------


def _adapter_for(entity: str) -> ImportAdapter:
    adapter = get_adapter(entity)
    if adapter is None:
        raise ImportFileError(_("Records of this kind cannot be imported."))
    return adapter


def import_check_rights(*, user, entity: str, match: str = MATCH_SKIP) -> ImportAdapter:
    """The adapter of ``entity``; raise RightDenied unless the user may create (and, to update on a
    match, change) such records."""
    adapter = _adapter_for(entity)
    require_right(user, adapter.model, Action.CREATE)
    if match == MATCH_UPDATE:
        require_right(user, adapter.model, Action.CHANGE)
    return adapter


def import_create(*, user, entity: str, upload, legacy: str = "auto") -> tuple[Job, Table]:
    """Store an upload as a pending import job after checking it can be read; suggest a mapping.

    Raises ImportFileError (too large, unreadable…) before anything is stored.
    """
    adapter = import_check_rights(user=user, entity=entity)
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes():
        raise ImportFileError(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": round(size / 1_048_576, 1), "limit": round(max_bytes() / 1_048_576, 1)}
        )
    table = open_table(upload, getattr(upload, "name", ""), legacy_choice=legacy)
    upload.seek(0)
    mapping = suggest_mapping(table.headers, adapter)
    params = {
        "filename": getattr(upload, "name", "upload")[:200],
        "format": table.format,
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "legacy": table.legacy or "none",
        "headers": table.headers,
        "mapping": {str(i): k for i, k in mapping.items()},
        "match": MATCH_SKIP,
    }
    job = job_create(
        user=user,
        kind=Job.Kind.IMPORT,
        entity=entity,
        params=params,
        source=upload,
        total=table.estimated_rows,
    )
    return job, table


def import_table(job: Job) -> Table:
    with job.source_file.open("rb") as f:
        data = f.read()
    return open_table(
        io.BytesIO(data), job.params.get("filename", ""), legacy_choice=job.params.get("legacy", "auto")
    )


def _open_job_table(job: Job):
    f = job.source_file.open("rb")
    return f, open_table(f, job.params.get("filename", ""), legacy_choice=job.params.get("legacy", "auto"))


def import_configure(job: Job, *, mapping: dict, match: str, legacy: str | None = None) -> Job:
    """Save the user's column mapping (``{column index: field key}``) and match behaviour."""
    adapter = import_check_rights(user=job.user, entity=job.entity, match=match)
    keys = {f.key for f in adapter.all_fields()}
    headers = job.params.get("headers", [])
    clean = {str(int(i)): k for i, k in mapping.items() if k in keys and 0 <= int(i) < len(headers)}
    if match not in MATCH_CHOICES:
        raise ValidationError({"match": [_("Choose skip, update or create.")]})
    job.params = {**job.params, "mapping": clean, "match": match}
    if legacy in ("none", "tcvn3", "vni"):
        job.params["legacy"] = legacy
    job.save(update_fields=["params"])
    return job


def mapping_from_headers(headers: list[str], by_name: dict[str, str]) -> dict[str, str]:
    """An API mapping ``{header: field}`` as ``{column index: field}`` (header names case-insensitive)."""
    wanted = {k.strip().casefold(): v for k, v in by_name.items()}
    return {
        str(i): wanted[h.strip().casefold()] for i, h in enumerate(headers) if h.strip().casefold() in wanted
    }


def import_enqueue(job: Job) -> None:
    """Run the import in the task queue once the current transaction commits."""
    from sencrm.core.services.jobs import job_enqueue
    from sencrm.core.tasks import import_run_task

    job_enqueue(job, import_run_task)


# ---------------------------------------------------------------------------------------------------
# Converting and validating one row
# ---------------------------------------------------------------------------------------------------


@dataclass
class RowContext:
    """What the row being imported needs: the user, caches, and the messages it produced."""

    job: Job
    user: User
    adapter: ImportAdapter
    row: int = 0
    errors: list = field(default_factory=list)  # (column, value, message)
    warnings: list = field(default_factory=list)
    cache: dict = field(default_factory=dict)
    side_created: list = field(default_factory=list)  # (row, entity, pk) of records made on the way
    columns: dict = field(default_factory=dict)  # field key -> header
    fields: dict = field(default_factory=dict)  # field key -> ImportField (with tags, custom fields)

    def __post_init__(self) -> None:
        if not self.fields:
            self.fields = {f.key: f for f in self.adapter.all_fields()}

    def error(self, key: str, value: str, message: str) -> None:
        self.errors.append((self.columns.get(key, key), value, str(message)))

    def warn(self, key: str, value: str, message: str) -> None:
        self.warnings.append((self.columns.get(key, key), value, str(message)))


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d", "%d/%m/%y", "%Y/%m/%d")
_GROUPED = re.compile(r"^-?\d{1,3}([.,\s]\d{3})+$")


@functools.lru_cache(maxsize=65_536)  # birthdays repeat: a million rows hold some 20,000 dates
def parse_date(value: str) -> datetime.date:
    text = value.strip()[:10] if re.match(r"^\d{4}-\d{2}-\d{2}T", value.strip()) else value.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
    raise ValueError(value)


def parse_int(value: str) -> int:
    text = value.strip().replace("\u00a0", "").replace("₫", "").replace("VND", "").replace("đ", "").strip()
    if _GROUPED.match(text):
        return int(re.sub(r"[.,\s]", "", text))
    return round(float(text.replace(",", ".")))


def _assignable(ctx: RowContext, value: str) -> User | None:
    """The user an owner cell names (username or email) if the importer may give them records."""
    key = value.strip().casefold()
    cache = ctx.cache.setdefault("owners", {})
    if key in cache:
        return cache[key]
    user = (
        User.objects.filter(is_active=True)
        .filter(Q(username__iexact=key) | Q(email__iexact=key))
        .select_related("team", "branch")
        .first()
    )
    me = ctx.user
    ok = user is not None and (
        user.pk == me.pk
        or me.data_scope == DataScope.ALL
        or (me.data_scope == DataScope.BRANCH and user.branch_id in me.branch_ids_below())
        or (me.data_scope == DataScope.TEAM and me.team_id and user.team_id == me.team_id)
    )
    cache[key] = user if ok else None
    return cache[key]


def _convert(ctx: RowContext, key: str, raw: str, data: dict, extra: dict) -> None:
    f = ctx.fields.get(key)
    if f is None:
        return
    value = nfc(raw)
    if not value:
        return
    limit = ctx.cache.get("max_cell") or ctx.cache.setdefault("max_cell", max_cell_chars())
    if len(value) > limit:
        ctx.error(
            key,
            value,
            _("This cell holds %(n)s characters; at most %(max)s can be imported.")
            % {"n": len(value), "max": limit},
        )
        return
    kind = f.kind
    if kind == "phone":
        try:
            data[key] = normalize_phone(value)
        except ValidationError:
            ctx.warn(key, value, _("Not a phone number; kept in the description (row imported)."))
            extra.setdefault("notes", []).append(f"{f.label}: {value}")
    elif kind == "email":
        try:
            validate_email(value.lower())
            data[key] = value.lower()
        except ValidationError:  # like phones: keep the person, flag the address (VIETNAM.md §2)
            ctx.warn(key, value, _("Not an email address; kept in the description (row imported)."))
            extra.setdefault("notes", []).append(f"{f.label}: {value}")
    elif kind == "date":
        try:
            data[key] = parse_date(value)
        except ValueError:
            ctx.error(key, value, _("Enter a valid date, e.g. 30/04/1985 or 1985-04-30."))
    elif kind == "int":
        try:
            data[key] = parse_int(value)
        except (ValueError, OverflowError):
            ctx.error(key, value, _("Enter a whole number."))
    elif kind == "choice":
        choice = f.choices.get(fold(value).strip())
        if choice is None:
            ctx.warn(key, value, _("Unknown value; the default was used (row imported)."))
        else:
            data[key] = choice
    elif kind == "owner":
        owner = _assignable(ctx, value)
        if owner is None:
            ctx.warn(
                key,
                value,
                _(
                    "No user you may assign records to has this name or email; "
                    "you own the record (row imported)."
                ),
            )
        else:
            extra["owner"] = owner
    elif kind == "url":
        data[key] = value if re.match(r"^[a-z][a-z0-9+.-]*://", value, re.I) else f"https://{value}"
    elif kind == "text":
        data[key] = value
    elif kind == "tags":
        extra["tags"] = [t for t in (nfc(part)[:60] for part in _TAG_SPLIT.split(value)) if t]
    elif kind == "custom":
        _convert_custom(ctx, key, value, extra)
    else:  # resolved by the adapter's prepare()
        extra[key] = value


_TAG_SPLIT = re.compile(r"\s*[,;]\s*")
_YES = {"1", "x", "yes", "y", "true", "co", "dung", "u", "ok"}
_NO = {"0", "no", "n", "false", "khong", "sai"}


def _custom_definitions(ctx: RowContext) -> dict:
    if "custom_defs" not in ctx.cache:
        from sencrm.core.services.custom_fields import custom_fields_for

        ctx.cache["custom_defs"] = {d.key: d for d in custom_fields_for(ctx.adapter.model._meta.label_lower)}
    return ctx.cache["custom_defs"]


def _choice(definition, text: str):
    """The choice of ``definition`` a cell names, regardless of case and diacritics (else the cell)."""
    folded = fold(text).strip()
    return next((c for c in definition.choices if fold(str(c)).strip() == folded), text)


def _convert_custom(ctx: RowContext, key: str, value: str, extra: dict) -> None:
    """A custom-field cell in the form ``clean_custom`` validates: numbers as typed in Vietnam
    (``1.500.000``), dates as for built-in fields, yes/no words, choices by name."""
    from sencrm.core.models import CustomField

    definition = _custom_definitions(ctx).get(key.removeprefix(CUSTOM_PREFIX))
    if definition is None:
        return
    t, converted = CustomField.Type, value
    if definition.type in (t.NUMBER, t.MONEY) and _GROUPED.match(value.strip()):
        converted = parse_int(value)
    elif definition.type in (t.NUMBER, t.MONEY):
        converted = value.strip().replace(",", ".") if value.count(",") == 1 and "." not in value else value
    elif definition.type == t.DATE:
        try:
            converted = parse_date(value)
        except ValueError:
            converted = value
    elif definition.type == t.BOOL:
        folded = fold(value).strip()
        converted = True if folded in _YES else False if folded in _NO else value
    elif definition.type == t.CHOICE:
        converted = _choice(definition, value)
    elif definition.type == t.MULTI:
        converted = [_choice(definition, part) for part in _TAG_SPLIT.split(value) if part]
    elif definition.type == t.USER:
        user = _assignable(ctx, value)
        converted = user.pk if user is not None else value
    extra.setdefault("custom", {})[definition.key] = converted
    extra.setdefault("custom_raw", {})[definition.key] = value


def _clean_row_custom(ctx: RowContext, extra: dict) -> dict:
    """The row's custom values validated by ``clean_custom`` (as ``record_create`` does); messages
    go to the columns they came from."""
    from sencrm.core.services.custom_fields import clean_custom

    defs = _custom_definitions(ctx)
    values = extra.get("custom") or {}
    if not values and not any(d.required for d in defs.values()):
        return {}
    try:
        return clean_custom(ctx.adapter.model._meta.label_lower, values)
    except ValidationError as exc:
        raw = extra.get("custom_raw") or {}
        for name, messages in exc.message_dict.items():
            key = name.removeprefix(CUSTOM_PREFIX)
            for message in messages:
                ctx.error(f"{CUSTOM_PREFIX}{key}", raw.get(key, ""), message)
        return {}


def _placed(ctx: RowContext, instance, owner: User) -> None:
    instance.owner_id = owner.pk
    instance.team_id = owner.team_id
    instance.branch_id = owner.branch_id or ctx.user.branch_id
    instance.created_by_id = instance.updated_by_id = ctx.user.pk


_FIELD_NAMES: dict = {}
_BLANKS: dict = {}


def _new_instance(model, data: dict):
    """``model(**data)`` for ``data`` keyed by column names (``account_id``, not ``account``), without
    ``Model.__init__``'s per-field work: defaults copied from a blank instance, callable defaults
    (``timezone.now``, ``dict``) called for each record as ``__init__`` does. Other keys: __init__."""
    if model not in _BLANKS:
        fields = model._meta.concrete_fields
        _BLANKS[model] = (
            {f.attname: f.get_default() for f in fields if not (f.has_default() and callable(f.default))},
            [(f.attname, f.default) for f in fields if f.has_default() and callable(f.default)],
            {f.attname for f in fields},
        )
    static, dynamic, attnames = _BLANKS[model]
    if not attnames.issuperset(data):
        return model(**data)
    instance = model.__new__(model)
    values = dict(static)
    for attname, default in dynamic:
        values[attname] = default()
    values.update(data)
    instance.__dict__.update(values)
    instance._state = ModelState()
    return instance


def _field_names(model) -> tuple[list[str], list[str]]:
    """The concrete fields ``clean_fields`` checks when the row sets them, and those it never
    checks: relations (the importer, the owner, looked-up records) and derived columns."""
    if model not in _FIELD_NAMES:
        never = {"custom", "search_text", "sort_name"}
        fields = model._meta.concrete_fields
        _FIELD_NAMES[model] = (
            [f.name for f in fields if not f.is_relation and f.name not in never],
            [f.name for f in fields if f.is_relation or f.name in never],
        )
    return _FIELD_NAMES[model]


_QUICK: dict = {}
_PLAIN_VALIDATORS = {MaxLengthValidator, ProhibitNullCharactersValidator}


def _quick_checks(model) -> dict:
    """For each checkable field where it can: a test that a value is one ``Field.clean`` would
    keep as it is (text within ``max_length``, no NUL, among the choices; an everyday email
    address; a date). Values that pass skip ``clean_fields`` (a third of a row's cost); any other
    value, and every other field, goes through it and gets its message from it."""
    if model not in _QUICK:
        checks = {}
        for f in model._meta.concrete_fields:
            if f.is_relation or not f.editable:
                continue
            kinds = {type(v) for v in f.validators}
            choices = frozenset(c for c, _label in f.flatchoices) if f.choices else None
            limit = f.max_length or 10**9
            if isinstance(f, models.EmailField) and kinds <= {EmailValidator, *_PLAIN_VALIDATORS}:
                checks[f.name] = lambda v, limit=limit: (
                    type(v) is str and len(v) <= limit and PLAIN_EMAIL.match(v) is not None
                )
            elif type(f) in (models.CharField, models.TextField) and kinds <= _PLAIN_VALIDATORS:
                checks[f.name] = lambda v, limit=limit, choices=choices, blank=f.blank: (
                    type(v) is str
                    and (v != "" or blank)
                    and len(v) <= limit
                    and "\x00" not in v
                    and (choices is None or v in choices)
                )
            elif type(f) is models.DateField and not kinds and choices is None:
                checks[f.name] = lambda v: type(v) is datetime.date
        _QUICK[model] = checks
    return _QUICK[model]


_NAME_PARTS = {"given_name", "family_name", "middle_name"}
# Keys of a row's ``data`` that are not model fields: custom values and tag names.
_CUSTOM, _TAGS = "__custom__", "__tags__"


def build_row(ctx: RowContext, cells: list[str], mapping: dict[int, str]):
    """Validate one row: ``(instance, data)`` or ``(None, None)`` with ``ctx.errors`` filled."""
    adapter = ctx.adapter
    values: dict[str, str] = {}
    for index, key in mapping.items():
        if index < len(cells) and cells[index] and key not in values:
            values[key] = cells[index]
    data: dict = {}
    extra: dict = {}
    for key, raw in values.items():
        _convert(ctx, key, raw, data, extra)
    if adapter.prepare is not None:
        adapter.prepare(ctx, data, extra)
    if extra.get("notes"):
        data["description"] = "\n".join(filter(None, [data.get("description", ""), *extra["notes"]]))
    custom = _clean_row_custom(ctx, extra)
    if ctx.errors:
        return None, None
    model = adapter.model
    instance = _new_instance(model, data)
    if custom:
        instance.custom = custom
    _placed(ctx, instance, extra.get("owner") or ctx.user)
    try:
        # Fields the row leaves at their default are valid: only the file's values are checked.
        checkable, relations = _field_names(model)
        quick = _quick_checks(model)
        slow = {n for n in data if (q := quick.get(n)) is None or not q(getattr(instance, n, None))}
        if slow:
            instance.clean_fields(exclude=[*relations, *(n for n in checkable if n not in slow)])
        instance.clean()
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            # A missing name part is reported on the full-name column when that is what was mapped.
            key = name if name in ctx.columns or name not in _NAME_PARTS else "full_name"
            raw = values.get(key, "")
            for message in messages:
                ctx.error(key, raw, message)
        return None, None
    instance.refresh_search()  # here, not where batches are written (``_BatchWriter``)
    data = {k: getattr(instance, k) for k in data if hasattr(instance, k)}
    if "owner" in extra:
        data["owner"] = extra["owner"]
    if custom:
        data[_CUSTOM] = custom
    if extra.get("tags"):
        data[_TAGS] = extra["tags"]
    return instance, data


# ---------------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------------


def _json_value(value):
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


class _ErrorFile:
    """The error report, spooled to disk: row, column, value, message."""

    def __init__(self) -> None:
        # Lives as long as the import run; closed (and removed) with the object.
        self.file = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="")  # noqa: SIM115
        self.file.write("\ufeff")  # BOM: Excel opens UTF-8 correctly
        self.writer = csv.writer(self.file)
        self.writer.writerow([_("row"), _("column"), _("value"), _("message")])
        self.lines = 0

    def add(self, row: int, column: str, value: str, message: str) -> None:
        value = value or ""
        if len(value) > ERROR_VALUE_CHARS:
            value = value[:ERROR_VALUE_CHARS] + "…"
        self.writer.writerow([row, column, value, message])
        self.lines += 1

    def save_to(self, job: Job) -> None:
        """Store the report as the job's result file, streamed from disk (any size)."""
        from django.core.files import File

        self.file.flush()
        self.file.seek(0)
        job.result_file.save(f"import-{job.pk}-errors.csv", File(self.file.buffer), save=False)
        Job.objects.filter(pk=job.pk).update(result_file=job.result_file.name)


def _match_index(adapter, user, instances_values: list[dict]) -> dict[tuple[int, str], int]:
    """Existing visible records matching any value of the batch: ``{(group, value): pk}``.

    Two queries per indexed column: the rows holding the values, by that column's index alone, then
    which of them the user may see (``visible_to``, by primary key). Asked in one query, SQLite
    without statistics (a new database, a table an import is filling) walks the "not deleted"
    index instead: every batch would read the whole table.
    """
    index: dict[tuple[int, str], int] = {}
    indexed = set(adapter.match_indexed or [f for group in adapter.match for f in group])
    model = adapter.model
    for gi, group in enumerate(adapter.match):
        values = {v for d in instances_values for f in group if (v := d.get(f))}
        if not values:
            continue
        for f in group:
            if f not in indexed:
                continue
            holding = dict(model._base_manager.filter(**{f"{f}__in": values}).values_list("pk", f))
            if not holding:
                continue
            visible = model.objects.visible_to(user).filter(pk__in=list(holding)).values_list("pk", flat=True)
            for pk in sorted(visible):
                index.setdefault((gi, holding[pk]), pk)
    return index


def _keys(adapter, values: dict) -> list[tuple[int, str]]:
    return [(gi, v) for gi, group in enumerate(adapter.match) for f in group if (v := values.get(f))]


def _search_remove(entity: str, pks: list[int]) -> None:
    if pks:
        search_index_remove(entity, pks)


def _flush(ctx: RowContext, batch: list, counts: dict, errors: _ErrorFile, match: str) -> None:
    adapter, user, job = ctx.adapter, ctx.user, ctx.job
    model = adapter.model
    if not batch:
        return
    index = _match_index(
        adapter, user, [{f: getattr(inst, f) for g in adapter.match for f in g} for _r, inst, _d in batch]
    )
    pending: dict[tuple[int, str], int] = {}
    now = timezone.now()
    to_create: list[tuple[int, object]] = []
    updates: list[tuple[int, int, dict]] = []
    for row, instance, data in batch:
        keys = _keys(adapter, {f: getattr(instance, f) for g in adapter.match for f in g})
        existing = next((index[k] for k in keys if k in index), None)
        earlier = next((pending[k] for k in keys if k in pending), None)
        if match != MATCH_CREATE and existing is not None:
            if match == MATCH_SKIP:
                counts["skipped"] += 1
                errors.add(
                    row, "", "", _("Matches an existing record (#%(id)s); skipped.") % {"id": existing}
                )
            else:
                updates.append((row, existing, data))
            continue
        if match != MATCH_CREATE and earlier is not None:
            counts["skipped"] += 1
            errors.add(
                row,
                "",
                "",
                _("Same email, phone or tax code as row %(row)s of this file; skipped.") % {"row": earlier},
            )
            continue
        for k in keys:
            pending.setdefault(k, row)
        instance.created_at = now  # one timestamp a batch, like its audit entries
        to_create.append((row, instance, data))
    with transaction.atomic():
        created = [inst for _r, inst, _d in to_create]
        insert(model, created)
        _add_tags(ctx, [(o.pk, d.get(_TAGS)) for (_r, _i, d), o in zip(to_create, created, strict=True)])
        entity = model._meta.label_lower
        message = _("Imported (import #%(id)s)") % {"id": job.pk}
        insert_values(
            AuditEntry,
            {
                "entity": entity,
                "kind": AuditEntry.Kind.CREATE.value,
                "user": user.pk,
                "at": now,
                "message": message,
            },
            "object_id",
            [o.pk for o in created],
        )
        insert_values(
            ImportRow,
            {"job": job.pk, "entity": entity, "action": ImportRow.Action.CREATED.value},
            ("row", "object_id"),
            [(r, o.pk) for (r, _i, _d), o in zip(to_create, created, strict=True)],
        )
        counts["created"] += len(created)
        for row, pk, data in updates:
            _update_one(ctx, row, pk, data, counts, errors)
        # (record_update has indexed the updated ones)
        search_index_new(entity, created)


def _tag_ids(ctx: RowContext, names: list[str]) -> list[int]:
    """Ids of the tags ``names``, created when missing (``tags_from_names`` rules), cached per run."""
    from sencrm.core.services.records import tags_from_names

    by_name, by_slug = ctx.cache.setdefault("tag_names", {}), ctx.cache.setdefault("tags", {})
    ids = []
    if len(by_name) > 10_000:  # a file of ever new tags must not grow the worker
        by_name.clear()
    for name in names:
        if name not in by_name:
            slug = fold(name).strip()
            if slug not in by_slug:
                by_slug[slug] = tags_from_names([name])[0].pk
            by_name[name] = by_slug[slug]
        if by_name[name] not in ids:
            ids.append(by_name[name])
    return ids


def _add_tags(ctx: RowContext, pairs: list[tuple[int, list | None]]) -> None:
    """Give new records ``(pk, tag names)`` their tags with one insert per batch."""
    through = ctx.adapter.model.tags.through if pairs and any(n for _p, n in pairs) else None
    if through is None:
        return
    source = ctx.adapter.model._meta.model_name
    links = [(pk, tag) for pk, names in pairs if names for tag in _tag_ids(ctx, names)]
    insert_values(through, {}, (source, "tag"), links)


def _update_one(ctx: RowContext, row: int, pk: int, data: dict, counts: dict, errors: _ErrorFile) -> None:
    from sencrm.core.services.records import record_update

    model = ctx.adapter.model
    current = model.objects.visible_to(ctx.user, Action.CHANGE).filter(pk=pk).first()
    if current is None:
        counts["errors"] += 1
        errors.add(
            row, "", "", _("Matches a record (#%(id)s) you may not change; not imported.") % {"id": pk}
        )
        return
    custom, tags = data.get(_CUSTOM), data.get(_TAGS)
    changes = {k: v for k, v in data.items() if k not in ("owner", _CUSTOM, _TAGS) and v not in ("", None)}
    if "owner" in data:
        changes["owner"] = data["owner"]
    before = {}
    for name in changes:
        f = model._meta.get_field(name)
        before[f.attname] = _json_value(getattr(current, f.attname))
    if custom:
        before[_CUSTOM] = dict(current.custom or {})
    if tags:
        before[_TAGS] = sorted(t.name for t in current.tags.all())
        tags = [*before[_TAGS], *tags]  # the file's tags are added to the record's
    try:
        with transaction.atomic():
            record_update(
                current,
                by=ctx.user,
                data=changes,
                custom=custom or None,
                tags=tags or None,
                audit_message=_("Import #%(id)s") % {"id": ctx.job.pk},
            )
            ImportRow.objects.create(
                job=ctx.job,
                row=row,
                entity=model._meta.label_lower,
                object_id=pk,
                action=ImportRow.Action.UPDATED,
                before=before,
            )
    except ValidationError as exc:
        counts["errors"] += 1
        for name, messages in exc.message_dict.items():
            for message in messages:
                errors.add(row, ctx.columns.get(name, name), "", message)
        return
    counts["updated"] += 1


def import_run(job_id: int) -> Job | None:
    """The task body: read the file, store the rows, write the error file; safe to run twice."""
    job = job_start(job_id)
    if job is None:
        return None
    try:
        counts, errors = _run(job)
        if errors.lines:
            errors.save_to(job)
    except ImportFileError as exc:
        _rollback(job)
        return job_fail(job_id, str(exc))
    except Exception:
        log.exception("import %s failed", job_id)
        _rollback(job)
        return job_fail(job_id, _("The import failed; nothing was stored. Our team has been told."))
    return job_finish(job_id, counts=counts)


@contextlib.contextmanager
def _unmapped_database():
    """SQLite maps up to ``mmap_size`` of the database file into the process (settings), and the
    pages it maps count in the worker's resident memory: an import reads index pages all over a
    large file, so it runs with mapping off and SQLite's page cache instead, bounded to
    ``IMPORT_CACHE_KIB`` for each of its two connections (the reading one and the writing one; the
    operating system still caches the file). The connection is kept for other tasks: its settings
    are put back after."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA mmap_size")
        mmap = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA cache_size")
        cache = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA mmap_size=0")
        cursor.execute(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")
        cursor.execute("PRAGMA shrink_memory")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA mmap_size={mmap}")
            cursor.execute(f"PRAGMA cache_size={cache}")


def _run(job: Job) -> tuple[dict, "_ErrorFile"]:
    with _unmapped_database():
        return _run_rows(job)


class _Lines:
    """Error-file lines kept in memory: what one batch's writing reports, added to the file in
    row order by the reading side."""

    def __init__(self) -> None:
        self.lines: list[tuple] = []

    def add(self, row: int, column: str, value: str, message: str) -> None:
        self.lines.append((row, column, value, message))

    def write_to(self, errors: "_ErrorFile") -> None:
        for line in self.lines:
            errors.add(*line)


def _threaded_writes() -> bool:
    """Whether batches can be written by a second database connection: not when the caller holds
    a transaction (the second connection would not see its rows — tests), nor on SQLite's
    in-memory databases."""
    if connection.in_atomic_block:
        return False
    return not (connection.vendor == "sqlite" and connection.is_in_memory_db())


class _BatchWriter:
    """Writes the batches of an import while the next batch is read and checked.

    Reading and checking rows is Python; writing them is mostly the database's work (index upkeep
    in SQLite's C code, or the PostgreSQL server), during which Python's lock is free. So a second
    thread, with its own connection, writes batch N (one transaction: rows, audit, tags, search
    index, progress) while the first builds batch N+1; one batch waits at most. Batch N+1's
    duplicate checks see batch N: it is committed before N+1 is handed over. The error file keeps
    the order of a one-thread run: each batch's row messages, then what writing it reported.
    ``threaded=False`` writes each batch at once, in the caller's thread and transaction.
    """

    def __init__(self, ctx: RowContext, errors: "_ErrorFile", match: str, *, threaded: bool) -> None:
        self.ctx, self.errors, self.match = ctx, errors, match
        self.counts = {"created": 0, "updated": 0, "skipped": 0, "errors": 0}
        self.failure: BaseException | None = None
        self.thread = None
        if threaded:
            self.todo: queue.Queue = queue.Queue(maxsize=1)
            self.done: queue.Queue = queue.Queue()
            self.thread = threading.Thread(target=self._loop, name=f"import-{ctx.job.pk}", daemon=True)
            self.thread.start()
        self.in_flight = False

    def submit(self, batch: list, row_lines: _Lines, rows: int, total: int) -> None:
        """Hand over a batch (and the messages of its rows, written to the file before the batch's
        own); returns once the previous batch is written."""
        self._collect()
        row_lines.write_to(self.errors)
        if self.thread is None:
            lines = _Lines()
            self._write(batch, lines, rows, total)
            lines.write_to(self.errors)
            return
        self.todo.put((batch, rows, total))
        self.in_flight = True

    def close(self) -> None:
        """Wait for the last batch and stop the thread; raise what went wrong while writing."""
        try:
            self._collect()
        finally:
            if self.thread is not None and self.thread.is_alive():
                self.todo.put(None)
                self.thread.join()
        if self.failure is not None:
            raise self.failure

    def _collect(self) -> None:
        if not self.in_flight:
            return
        lines = self.done.get()
        self.in_flight = False
        if lines is None:  # the writer failed: stop reading the file
            self.todo.put(None)
            self.thread.join()
            raise self.failure
        lines.write_to(self.errors)

    def _write(self, batch: list, lines: _Lines, rows: int, total: int) -> None:
        with transaction.atomic():  # one commit a batch: rows, audit, search index, progress
            _flush(self.ctx, batch, self.counts, lines, self.match)
            job_progress(self.ctx.job.pk, done=rows, total=max(total, rows))

    def _loop(self) -> None:
        try:
            with _unmapped_database():
                while (item := self.todo.get()) is not None:
                    lines = _Lines()
                    self._write(item[0], lines, item[1], item[2])
                    self.done.put(lines)
        except BaseException as exc:  # noqa: BLE001 - handed to the reading thread, which raises it
            self.failure = exc
            self.done.put(None)
        finally:
            connection.close()  # this thread's own connection


def _run_rows(job: Job) -> tuple[dict, "_ErrorFile"]:
    adapter = _adapter_for(job.entity)
    match = job.params.get("match", MATCH_SKIP)
    import_check_rights(user=job.user, entity=job.entity, match=match)
    mapping = {int(i): k for i, k in job.params.get("mapping", {}).items()}
    headers = job.params.get("headers", [])
    ctx = RowContext(job=job, user=job.user, adapter=adapter)
    ctx.columns = {k: headers[i] for i, k in mapping.items() if i < len(headers)}
    counts = {"rows": 0, "created": 0, "updated": 0, "skipped": 0, "errors": 0, "warnings": 0}
    errors = _ErrorFile()
    f, table = _open_job_table(job)
    job_progress(job.pk, done=0, total=table.estimated_rows)
    writer = _BatchWriter(ctx, errors, match, threaded=_threaded_writes())
    batch: list = []
    lines = _Lines()  # the messages of the batch's rows
    try:
        for number, cells in table.rows():
            counts["rows"] += 1
            if isinstance(cells, str):  # the reader could not read this row (bad vCard line…)
                counts["errors"] += 1
                lines.add(number, "", "", cells)
                continue
            ctx.row, ctx.errors, ctx.warnings = number, [], []
            instance, data = build_row(ctx, cells, mapping)
            for column, value, message in ctx.warnings:
                counts["warnings"] += 1
                lines.add(number, column, value, message)
            if instance is None:
                counts["errors"] += 1
                for column, value, message in ctx.errors:
                    lines.add(number, column, value, message)
                continue
            batch.append((number, instance, data))
            if len(batch) >= BATCH:
                writer.submit(batch, lines, counts["rows"], table.estimated_rows)
                batch, lines = [], _Lines()
        writer.submit(batch, lines, counts["rows"], table.estimated_rows)
    finally:
        f.close()
        writer.close()
    for key, value in writer.counts.items():
        counts[key] += value
    if ctx.side_created:
        ImportRow.objects.bulk_create(
            [
                ImportRow(job=job, row=r, entity=e, object_id=pk, action=ImportRow.Action.CREATED)
                for r, e, pk in ctx.side_created
            ]
        )
    counts["side_created"] = len(ctx.side_created)
    if counts["created"] >= STATISTICS_AFTER:  # the planner's picture of the tables is out of date
        statistics_refresh()
    job_progress(job.pk, done=counts["rows"], total=counts["rows"])
    return counts, errors


# ---------------------------------------------------------------------------------------------------
# Results and undo
# ---------------------------------------------------------------------------------------------------


def import_errors(job: Job, limit: int = 100) -> list[dict]:
    """The first ``limit`` lines of the error file as dicts."""
    if not job.result_file:
        return []
    with job.result_file.open("rb") as f:
        reader = csv.reader(io.TextIOWrapper(f, encoding="utf-8-sig", newline=""))
        next(reader, None)
        out = []
        for line in reader:
            if len(out) >= limit:
                break
            row, column, value, message = (line + ["", "", "", ""])[:4]
            out.append(
                {
                    "row": int(row) if row.isdigit() else 0,
                    "column": column,
                    "value": value,
                    "message": message,
                }
            )
        return out


def _model_for(entity: str):
    from django.apps import apps

    return apps.get_model(entity)


def _remove_created(job: Job, *, by, hard: bool, progress=None) -> int:
    """Delete what ``job`` created; with ``hard=False`` records changed since go to the Trash."""
    from sencrm.core.services.records import record_delete

    removed = 0
    entities = list(
        job.import_rows.filter(action=ImportRow.Action.CREATED).values_list("entity", flat=True).distinct()
    )
    # Contacts before the accounts created for them.
    entities.sort(key=lambda e: e.endswith("account"))
    for entity in entities:
        model = _model_for(entity)
        ids = list(
            job.import_rows.filter(action=ImportRow.Action.CREATED, entity=entity).values_list(
                "object_id", flat=True
            )
        )
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            qs = model._base_manager.filter(pk__in=chunk)
            untouched = qs if hard else qs.filter(version=1, deleted_at__isnull=True)
            try:
                with transaction.atomic():
                    untouched_ids = list(untouched.values_list("pk", flat=True))
                    model._base_manager.filter(pk__in=untouched_ids).delete()
                    if hard:
                        AuditEntry.objects.filter(entity=entity, object_id__in=untouched_ids).delete()
                    _search_remove(entity, untouched_ids)
                removed += len(untouched_ids)
            except ProtectedError:
                for obj in model._base_manager.filter(pk__in=chunk, deleted_at__isnull=True):
                    record_delete(obj, by=by)
                    removed += 1
            if not hard:
                for obj in qs.filter(deleted_at__isnull=True):  # changed since the import: to the Trash
                    record_delete(obj, by=by)
                    removed += 1
            if progress is not None:
                progress(len(chunk))
    return removed


def _restore_updated(job: Job, *, by, progress=None) -> int:
    from sencrm.core.services.records import record_update

    restored = 0
    for item in job.import_rows.filter(action=ImportRow.Action.UPDATED).order_by("-id"):
        model = _model_for(item.entity)
        obj = model._base_manager.filter(pk=item.object_id).first()
        if obj is None:
            continue
        data = {}
        before = dict(item.before)
        custom, tags = before.pop(_CUSTOM, None), before.pop(_TAGS, None)
        if custom is not None:  # back to exactly the values before: a blank clears a key
            custom = {k: custom.get(k, "") for k in {**(obj.custom or {}), **custom}}
        for attname, value in before.items():
            f = next(fl for fl in model._meta.concrete_fields if fl.attname == attname)
            data[attname] = f.to_python(value) if value is not None else None
        record_update(
            obj,
            by=by,
            data=data,
            custom=custom,
            tags=tags,
            audit_message=_("Undo of import #%(id)s") % {"id": job.pk},
        )
        restored += 1
        if progress is not None and restored % 100 == 0:
            progress(100)
    if progress is not None and restored % 100:
        progress(restored % 100)
    return restored


def _rollback(job: Job) -> None:
    """After a fatal error: remove every trace of the partial run (the database is as before)."""
    _restore_updated(job, by=job.user)
    _remove_created(job, by=job.user, hard=True)
    job.import_rows.all().delete()


def _check_undoable(job: Job) -> None:
    if job.kind != Job.Kind.IMPORT or job.status != Job.Status.DONE:
        raise ValidationError(_("Only a finished import can be undone."))


def import_undo_start(job: Job, *, by) -> Job:
    """Queue the undo of a finished import as a job of its own (kind ``undo``, progress over the
    import's rows); the import's ``params["undo_job"]`` points to it so its page shows the progress.
    Call inside a transaction: the task starts when it commits. A failed undo can be started again."""
    from sencrm.core.services.jobs import job_enqueue
    from sencrm.core.tasks import import_undo_task

    _check_undoable(job)
    running = job.params.get("undo_job")
    if (
        running
        and Job.objects.filter(pk=running, status__in=[Job.Status.PENDING, Job.Status.RUNNING]).exists()
    ):
        raise ValidationError(_("This import is already being undone."))
    undo = job_create(
        user=by,
        kind=Job.Kind.UNDO,
        entity=job.entity,
        params={"import": job.pk},
        total=job.import_rows.count(),
    )
    job.params = {**job.params, "undo_job": undo.pk}
    job.save(update_fields=["params"])
    job_enqueue(undo, import_undo_task)
    return undo


def import_undo_run(undo_id: int) -> Job | None:
    """The task body of an undo job; safe to run twice."""
    undo = job_start(undo_id)
    if undo is None:
        return None
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        done += n
        job_progress(undo_id, done=min(done, undo.total))

    try:
        job = Job.objects.get(pk=undo.params["import"], kind=Job.Kind.IMPORT)
        import_undo(job, by=undo.user, progress=progress)
    except ValidationError as exc:
        return job_fail(undo_id, " ".join(exc.messages))
    except Exception:
        log.exception("undo job %s failed", undo_id)
        return job_fail(
            undo_id, _("The undo stopped before the end; start it again. Our team has been told.")
        )
    return job_finish(
        undo_id,
        counts={
            "removed": job.counts.get("undone_removed", 0),
            "restored": job.counts.get("undone_restored", 0),
        },
    )


def import_undo(job: Job, *, by, progress=None) -> Job:
    """Undo a finished import now: remove what it created, put back what it changed (the body of
    the undo job, see ``import_undo_start``)."""
    _check_undoable(job)
    restored = _restore_updated(job, by=by, progress=progress)
    removed = _remove_created(job, by=by, hard=False, progress=progress)
    job.counts = {**job.counts, "undone_removed": removed, "undone_restored": restored}
    job.status = Job.Status.UNDONE
    job.save(update_fields=["counts", "status"])
    return job


def get_import_for_user(user, pk: int) -> Job:
    """The user's own import job, or Http404 (somebody else's answers like a missing one)."""
    from django.http import Http404

    job = (
        Job.objects.filter(pk=pk, user=user, kind=Job.Kind.IMPORT).first()
        if getattr(user, "pk", None)
        else None
    )
    if job is None:
        raise Http404
    return job


def preview_rows(job: Job, limit: int = 20) -> tuple[Table, list[dict]]:
    """The first rows with their validation messages (nothing stored)."""
    adapter = _adapter_for(job.entity)
    mapping = {int(i): k for i, k in job.params.get("mapping", {}).items()}
    headers = job.params.get("headers", [])
    ctx = RowContext(job=job, user=job.user, adapter=adapter)
    ctx.columns = {k: headers[i] for i, k in mapping.items() if i < len(headers)}
    ctx.cache["preview"] = True
    f, table = _open_job_table(job)
    out = []
    try:
        for number, cells in table.rows():
            if len(out) >= limit:
                break
            if isinstance(cells, str):
                out.append({"row": number, "cells": [], "messages": [("", "", cells)], "ok": False})
                continue
            ctx.row, ctx.errors, ctx.warnings = number, [], []
            instance, _data = build_row(ctx, cells, mapping)
            out.append(
                {
                    "row": number,
                    "cells": cells,
                    "messages": ctx.errors + ctx.warnings,
                    "ok": instance is not None,
                }
            )
    finally:
        f.close()
    return table, out
