"""Advanced filters: an AND/OR tree of rules over a record kind's fields, turned into one ``Q``.

The tree is JSON, stored in saved views and segments and carried in list URLs (``?filter=``)::

    {"op": "and", "rules": [
        {"field": "account.industry", "operator": "contains", "value": "bán lẻ"},
        {"op": "or", "rules": [
            {"field": "tags", "operator": "in", "value": [3, 7]},
            {"field": "created_at", "operator": "last_n_days", "value": 30}
        ]}
    ]}

A rule names a **field** from the kind's catalogue (``field_catalogue``) and nothing else, so no
name from the outside ever reaches the ORM unchecked:

- the model's own fields (text, choice, number, date, date-time, yes/no, links to other rows),
  minus bookkeeping columns (``search_text``, ``sort_name``, ``custom``…);
- ``custom.<key>`` for each active custom field of the kind;
- ``tags`` (ids of tags);
- ``<link>.<field>`` through the per-kind allow-list ``RELATED_FIELDS`` (contact → account's
  industry, type, province…). Later modules add theirs with ``register_related``.

Each field type allows a fixed set of **operators** (``OPERATORS``). Text comparisons fold case and
Vietnamese diacritics (``bán lẻ`` finds ``Ban le``) like the search box does. Dates take absolute
ISO dates (``2026-03-05``) or a period relative to today (``last_n_days``, ``this_month``…), computed
in the user's time zone; the caller passes ``today`` so tests can pin it. Date-time fields compare
whole local days.

A bad tree raises ``FilterError`` whose messages name the rule (``Rule 2.1 (Industry): …``).
"""

import calendar
import datetime
import json
import zoneinfo
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import models
from django.db.models import F, Func, Q
from django.db.models.fields.json import KT
from django.db.models.lookups import Contains, Exact, In, StartsWith
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from sencrm.common.text import fold

MAX_DEPTH = 4
MAX_RULES = 60
MAX_VALUES = 200

# --------------------------------------------------------------------------------------------------
# The tree (STYLE.md §3: JSON fields are validated by a Pydantic model)
# --------------------------------------------------------------------------------------------------

Operator = Literal[
    "equals",
    "not_equals",
    "contains",
    "not_contains",
    "starts_with",
    "in",
    "not_in",
    "is_empty",
    "is_not_empty",
    "gt",
    "lt",
    "gte",
    "lte",
    "between",
    "today",
    "yesterday",
    "tomorrow",
    "last_n_days",
    "next_n_days",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "next_month",
    "this_quarter",
    "this_year",
    "last_year",
    "next_year",
]

#: Operators that take no value.
NO_VALUE = {
    "is_empty",
    "is_not_empty",
    "today",
    "yesterday",
    "tomorrow",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "next_month",
    "this_quarter",
    "this_year",
    "last_year",
    "next_year",
}
RELATIVE = NO_VALUE - {"is_empty", "is_not_empty"} | {"last_n_days", "next_n_days"}

_EMPTY = ["is_empty", "is_not_empty"]
_DATE_OPS = ["equals", "gt", "lt", "gte", "lte", "between", *sorted(RELATIVE), *_EMPTY]
#: The operators each field type allows.
OPERATORS: dict[str, list[str]] = {
    "text": ["contains", "not_contains", "starts_with", "equals", "not_equals", "in", *_EMPTY],
    "choice": ["equals", "not_equals", "in", "not_in", *_EMPTY],
    "number": ["equals", "not_equals", "gt", "lt", "gte", "lte", "between", *_EMPTY],
    "date": _DATE_OPS,
    "datetime": _DATE_OPS,
    "bool": ["equals"],
    "ref": ["equals", "not_equals", "in", "not_in", *_EMPTY],
    "tags": ["in", "not_in", *_EMPTY],
    "multi": ["in", "not_in", *_EMPTY],
    "search": ["contains"],
}


class Rule(BaseModel):
    """One condition: ``field`` ``operator`` ``value``."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(min_length=1, max_length=120)
    operator: Operator
    value: Any = None


class FilterTree(BaseModel):
    """A group of rules joined by AND or OR; a rule may itself be a group."""

    model_config = ConfigDict(extra="forbid")

    op: Literal["and", "or"] = "and"
    rules: list["Rule | FilterTree"] = Field(default_factory=list, max_length=MAX_RULES)

    def is_empty(self) -> bool:
        return not self.rules


FilterTree.model_rebuild()
MAX_JSON = 20_000


class FilterError(ValueError):
    """A filter tree that cannot be applied; ``messages`` name the rule at fault."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("; ".join(messages))


def parse_tree(data) -> FilterTree:
    """A ``FilterTree`` from a dict, a JSON string or a tree; ``FilterError`` on bad shapes."""
    if isinstance(data, FilterTree):
        return data
    if data in (None, "", {}):
        return FilterTree()
    if isinstance(data, str | bytes):
        if len(data) > MAX_JSON:
            raise FilterError([_("The filter is too long.")])
        try:
            data = json.loads(data)
        except ValueError:
            raise FilterError([_("The filter is not valid JSON.")]) from None
    try:
        return FilterTree.model_validate(data)
    except PydanticValidationError as exc:
        messages = []
        for error in exc.errors()[:5]:
            where = _rule_label_from_loc(error.get("loc", ()))
            messages.append(f"{where}: {_shape_message(error)}")
        raise FilterError(messages) from None


def _rule_label_from_loc(loc) -> str:
    numbers = [str(p + 1) for p in loc if isinstance(p, int)]
    return _("Rule %(n)s") % {"n": ".".join(numbers)} if numbers else _("Filter")


def _shape_message(error: dict) -> str:
    kind = error.get("type", "")
    if kind == "literal_error":
        return _("unknown operator or group type (%(expected)s).") % {
            "expected": (error.get("ctx") or {}).get("expected", "")
        }
    if kind == "extra_forbidden":
        return _("unknown key %(key)s.") % {"key": error.get("loc", ("",))[-1]}
    if kind == "missing":
        return _("%(key)s is required.") % {"key": error.get("loc", ("",))[-1]}
    if kind == "too_long":
        return _("too many rules (at most %(n)d).") % {"n": MAX_RULES}
    return _("not a valid rule or group.")


# --------------------------------------------------------------------------------------------------
# The field catalogue of a record kind (the allow-list)
# --------------------------------------------------------------------------------------------------

#: Columns never offered: bookkeeping, derived or structured data.
EXCLUDED = {"id", "search_text", "sort_name", "custom", "consent", "version", "deleted_at", "password"}

#: Fields of linked records a kind may filter on, e.g. "contacts of accounts in industry X".
RELATED_FIELDS: dict[str, tuple[str, ...]] = {
    "crm.contact": ("account.industry", "account.type", "account.province", "account.owner", "account.name"),
    "crm.opportunity": ("account.industry", "account.type", "account.province", "contact.province"),
    "crm.activity": ("account.industry", "account.type"),
    "crm.account": ("parent.industry", "parent.type"),
}

#: Linked tables with few rows: the builder lists them as choices (big ones take ids).
SMALL_TABLES = {"core.user", "core.branch", "core.team", "core.province", "crm.pipeline", "crm.stage"}


def register_related(entity: str, paths: tuple[str, ...]) -> None:
    """Let ``entity``'s filters reach the linked fields ``paths`` ("account.industry")."""
    RELATED_FIELDS[entity] = tuple(dict.fromkeys((*RELATED_FIELDS.get(entity, ()), *paths)))


@dataclass
class FieldSpec:
    """One field a rule may name: its ORM path, type, label and (for the builder) choices."""

    name: str
    label: str
    type: str
    path: str = ""
    choices: list[tuple[Any, str]] = field(default_factory=list)
    related_model: type | None = None
    custom: bool = False

    @property
    def operators(self) -> list[str]:
        return OPERATORS[self.type]


def _field_type(model_field) -> str | None:
    if isinstance(model_field, models.ManyToManyField):
        return None
    if isinstance(model_field, models.ForeignKey):
        return "ref"
    if isinstance(model_field, models.JSONField):
        return None
    if isinstance(model_field, models.BooleanField):
        return "bool"
    if isinstance(model_field, models.DateTimeField):
        return "datetime"
    if isinstance(model_field, models.DateField):
        return "date"
    if isinstance(model_field, models.IntegerField | models.FloatField | models.DecimalField):
        return "number"
    if isinstance(model_field, models.CharField | models.TextField):
        return "choice" if model_field.choices else "text"
    return None


def _spec_for(model_field, name: str, path: str, label: str) -> FieldSpec | None:
    kind = _field_type(model_field)
    if kind is None:
        return None
    spec = FieldSpec(name=name, label=label, type=kind, path=path)
    if kind == "choice":
        spec.choices = [(v, str(lbl)) for v, lbl in model_field.choices]
    if kind == "ref":
        spec.related_model = model_field.related_model
    return spec


def _label(model_field) -> str:
    return str(model_field.verbose_name)[:1].upper() + str(model_field.verbose_name)[1:]


_CUSTOM_TYPES = {
    "text": "text",
    "number": "number",
    "money": "number",
    "date": "date",
    "choice": "choice",
    "multi": "multi",
    "bool": "bool",
    "user": "ref",
}


def field_catalogue(model, custom_fields=()) -> dict[str, FieldSpec]:
    """Every field a rule on ``model`` may name, by name: the allow-list (module docstring)."""
    specs: dict[str, FieldSpec] = {}
    for model_field in model._meta.concrete_fields:
        if model_field.name in EXCLUDED:
            continue
        spec = _spec_for(model_field, model_field.name, model_field.name, _label(model_field))
        if spec is not None:
            specs[spec.name] = spec
    if any(f.name == "search_text" for f in model._meta.concrete_fields):
        # The search box's matching (names, emails, phones; diacritics ignored) as a rule.
        specs["search"] = FieldSpec(name="search", label=_("Search"), type="search", path="search_text")
    if any(f.name == "tags" for f in model._meta.many_to_many):
        specs["tags"] = FieldSpec(name="tags", label=_("Tags"), type="tags", path="tags")
    for cf in custom_fields:
        kind = _CUSTOM_TYPES.get(cf.type)
        if kind is None:
            continue
        spec = FieldSpec(
            name=f"custom.{cf.key}", label=cf.label, type=kind, path=f"custom__{cf.key}", custom=True
        )
        if kind in ("choice", "multi"):
            spec.choices = [(c, str(c)) for c in cf.choices]
        if kind == "ref":
            from django.contrib.auth import get_user_model

            spec.related_model = get_user_model()
        specs[spec.name] = spec
    for dotted in RELATED_FIELDS.get(model._meta.label_lower, ()):
        link_name, _dot, name = dotted.partition(".")
        link = model._meta.get_field(link_name)
        target = link.related_model._meta.get_field(name)
        spec = _spec_for(target, dotted, f"{link_name}__{name}", f"{_label(link)} › {_label(target)}")
        if spec is not None:
            specs[dotted] = spec
    return specs


def ref_options(spec: FieldSpec, user=None) -> list[tuple[Any, str]]:
    """Choices of a link to a small table (users, branches…), for the builder; [] for big ones."""
    model = spec.related_model
    if model is None or model._meta.label_lower not in SMALL_TABLES:
        return []
    qs = model._default_manager.all()
    if model._meta.label_lower == "core.user":
        qs = qs.filter(is_active=True)
        return [("me", _("Me")), *((u.pk, str(u)) for u in qs)]
    return [(o.pk, str(o)) for o in qs]


def catalogue_json(specs: dict[str, FieldSpec], *, tags=(), user=None) -> list[dict]:
    """The catalogue as the filter builder reads it: name, label, type, operators, options."""
    out = []
    for spec in specs.values():
        options = list(spec.choices)
        if spec.type == "ref":
            options = ref_options(spec, user)
        if spec.type == "tags":
            options = [(t.pk, t.name) for t in tags]
        if spec.type == "bool":
            options = [(True, _("Yes")), (False, _("No"))]
        out.append(
            {
                "name": spec.name,
                "label": spec.label,
                "type": spec.type,
                "operators": spec.operators,
                "options": [{"value": v, "label": str(lbl)} for v, lbl in options],
            }
        )
    return out


def operator_labels() -> dict[str, str]:
    """Translated operator names for the builder."""
    return {
        "equals": _("is"),
        "not_equals": _("is not"),
        "contains": _("contains"),
        "not_contains": _("does not contain"),
        "starts_with": _("starts with"),
        "in": _("is any of"),
        "not_in": _("is none of"),
        "is_empty": _("is empty"),
        "is_not_empty": _("is not empty"),
        "gt": _("after / greater than"),
        "lt": _("before / less than"),
        "gte": _("on or after / at least"),
        "lte": _("on or before / at most"),
        "between": _("between"),
        "today": _("today"),
        "yesterday": _("yesterday"),
        "tomorrow": _("tomorrow"),
        "last_n_days": _("in the last N days"),
        "next_n_days": _("in the next N days"),
        "this_week": _("this week"),
        "last_week": _("last week"),
        "this_month": _("this month"),
        "last_month": _("last month"),
        "next_month": _("next month"),
        "this_quarter": _("this quarter"),
        "this_year": _("this year"),
        "last_year": _("last year"),
        "next_year": _("next year"),
    }


# --------------------------------------------------------------------------------------------------
# Diacritic-insensitive text: fold() in SQL
# --------------------------------------------------------------------------------------------------


def _fold_table() -> tuple[str, str]:
    """Characters fold() maps to one ASCII letter, and those letters (PostgreSQL ``translate``)."""
    source, target = [], []
    for code in [*range(0xC0, 0x250), *range(0x1EA0, 0x1EFA)]:
        ch = chr(code)
        folded = fold(ch)
        if len(folded) == 1 and folded.isascii() and folded != ch:
            source.append(ch)
            target.append(folded)
    return "".join(source), "".join(target)


_FOLD_FROM, _FOLD_TO = _fold_table()


def _sqlite_fold(value):
    return None if value is None else fold(value)


class Fold(Func):
    """``fold(expr)`` in SQL: lower case without Vietnamese diacritics, as ``common.text.fold``."""

    output_field = models.TextField()
    arity = 1

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite has no unaccent: register fold() itself on this connection (idempotent and cheap).
        connection.ensure_connection()
        connection.connection.create_function("sen_fold", 1, _sqlite_fold, deterministic=True)
        return self.as_sql(compiler, connection, function="sen_fold", **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        # translate() maps each accented letter (upper and lower case) to its base; lower() the rest.
        sql, params = compiler.compile(self.source_expressions[0])
        return f"LOWER(TRANSLATE({sql}, %s, %s))", (*params, _FOLD_FROM, _FOLD_TO)

    def as_sql(self, compiler, connection, function=None, **extra_context):
        if function is None:  # other databases: lower() only
            function = "LOWER"
        return super().as_sql(compiler, connection, function=function, **extra_context)


# --------------------------------------------------------------------------------------------------
# Dates relative to today
# --------------------------------------------------------------------------------------------------


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def relative_range(operator: str, today: datetime.date, n: int = 0) -> tuple[datetime.date, datetime.date]:
    """The days ``[start, end)`` a relative operator means on ``today``.

    ``last_n_days`` is today and the n days before it; ``next_n_days`` the n days after today
    (Salesforce's LAST_N_DAYS / NEXT_N_DAYS). Weeks start on Monday, as in Vietnam.
    """
    day = datetime.timedelta(days=1)
    month_start = today.replace(day=1)
    week_start = today - datetime.timedelta(days=today.weekday())
    quarter_start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    year_start = today.replace(month=1, day=1)
    ranges = {
        "today": (today, today + day),
        "yesterday": (today - day, today),
        "tomorrow": (today + day, today + 2 * day),
        "last_n_days": (today - n * day, today + day),
        "next_n_days": (today + day, today + (n + 1) * day),
        "this_week": (week_start, week_start + 7 * day),
        "last_week": (week_start - 7 * day, week_start),
        "this_month": (month_start, _add_months(month_start, 1)),
        "last_month": (_add_months(month_start, -1), month_start),
        "next_month": (_add_months(month_start, 1), _add_months(month_start, 2)),
        "this_quarter": (quarter_start, _add_months(quarter_start, 3)),
        "this_year": (year_start, year_start.replace(year=today.year + 1)),
        "last_year": (year_start.replace(year=today.year - 1), year_start),
        "next_year": (year_start.replace(year=today.year + 1), year_start.replace(year=today.year + 2)),
    }
    return ranges[operator]


# --------------------------------------------------------------------------------------------------
# Translation to Q
# --------------------------------------------------------------------------------------------------


@dataclass
class _Context:
    model: type
    specs: dict[str, FieldSpec]
    today: datetime.date
    tz: datetime.tzinfo
    user: Any
    errors: list[str]


def build_q(
    tree,
    *,
    model,
    custom_fields=(),
    user=None,
    today: datetime.date | None = None,
    tz: datetime.tzinfo | None = None,
    specs: dict[str, FieldSpec] | None = None,
) -> Q:
    """The ``Q`` of ``tree`` over ``model``; ``FilterError`` naming every bad rule.

    ``today`` and ``tz`` default to the current (user's) time zone's date; ``user`` is "me".
    """
    tree = parse_tree(tree)
    tz = tz or timezone.get_current_timezone()
    if isinstance(tz, str):
        tz = zoneinfo.ZoneInfo(tz)
    ctx = _Context(
        model=model,
        specs=specs if specs is not None else field_catalogue(model, custom_fields),
        today=today or timezone.localdate(timezone=tz),
        tz=tz,
        user=user,
        errors=[],
    )
    if _count_rules(tree) > MAX_RULES:
        raise FilterError([_("Too many rules: at most %(n)d.") % {"n": MAX_RULES}])
    q = _group_q(tree, ctx, (), 1)
    if ctx.errors:
        raise FilterError(ctx.errors)
    return q


def apply_tree(qs, tree, **kwargs):
    """``qs`` narrowed by ``tree`` (distinct rows: tag and link rules use subqueries, not joins)."""
    tree = parse_tree(tree)
    if tree.is_empty():
        return qs
    return qs.filter(build_q(tree, model=qs.model, **kwargs))


def _count_rules(tree: FilterTree) -> int:
    return sum(_count_rules(r) if isinstance(r, FilterTree) else 1 for r in tree.rules)


def _group_q(tree: FilterTree, ctx: _Context, position: tuple[int, ...], depth: int) -> Q:
    if depth > MAX_DEPTH:
        ctx.errors.append(
            _("%(rule)s: groups nest at most %(n)d deep.")
            % {"rule": _("Rule %(n)s") % {"n": ".".join(map(str, position))}, "n": MAX_DEPTH}
        )
        return Q()
    q = Q()
    for i, rule in enumerate(tree.rules, start=1):
        where = (*position, i)
        part = (
            _group_q(rule, ctx, where, depth + 1)
            if isinstance(rule, FilterTree)
            else _rule_q(rule, ctx, where)
        )
        q = (q & part) if tree.op == "and" else (q | part)
    return q


class _Bad(Exception):
    pass


def _rule_q(rule: Rule, ctx: _Context, position: tuple[int, ...]) -> Q:
    number = ".".join(map(str, position))
    spec = ctx.specs.get(rule.field)
    if spec is None:
        ctx.errors.append(
            _("Rule %(n)s: “%(field)s” is not a field you can filter on.")
            % {"n": number, "field": rule.field[:60]}
        )
        return Q()
    where = _("Rule %(n)s (%(label)s)") % {"n": number, "label": spec.label}
    if rule.operator not in spec.operators:
        ctx.errors.append(
            _("%(where)s: the operator “%(op)s” does not apply to this field.")
            % {"where": where, "op": rule.operator}
        )
        return Q()
    try:
        return _condition(spec, rule.operator, rule.value, ctx)
    except _Bad as exc:
        ctx.errors.append(f"{where}: {exc}")
        return Q()


def _condition(spec: FieldSpec, op: str, value, ctx: _Context) -> Q:  # noqa: C901 - one branch per type
    if op in ("is_empty", "is_not_empty"):
        q = _empty_q(spec, ctx)
        return q if op == "is_empty" else ~q
    if spec.type == "tags":
        return _tags_q(spec, op, value, ctx)
    if spec.type == "search":
        from sencrm.common.lists import search

        words = _str_list(value, op)[0][:200]
        return Q(pk__in=search(ctx.model._default_manager.all(), words).values("pk"))
    if spec.type == "text":
        return _text_q(spec, op, value)
    if spec.type == "choice":
        allowed = {str(v): v for v, _lbl in spec.choices}
        values = [allowed[v] for v in _str_list(value, op) if v in allowed]
        if len(values) != len(_str_list(value, op)):
            raise _Bad(_("choose among: %(c)s.") % {"c": ", ".join(allowed)})
        return _in_q(spec, op, values)
    if spec.type == "multi":
        allowed = {str(v) for v, _lbl in spec.choices}
        values = _str_list(value, op)
        if any(v not in allowed for v in values):
            raise _Bad(_("choose among: %(c)s.") % {"c": ", ".join(allowed)})
        # Stored as a JSON list of distinct choices: compare each position (JSON containment is
        # PostgreSQL-only), so a list holds at most as many items as there are choices.
        q = Q()
        for position in range(min(len(allowed), 30)):
            q |= Q(**{f"{spec.path}__{position}__in": values})
        return q if op == "in" else ~q
    if spec.type == "ref":
        return _ref_q(spec, op, value, ctx)
    if spec.type == "bool":
        if not isinstance(value, bool) and value not in ("true", "false", "1", "0"):
            raise _Bad(_("choose yes or no."))
        flag = value is True or value in ("true", "1")
        if spec.custom and not flag:  # no value counts as "no"
            return Q(**{spec.path: False}) | Q(**{spec.path: None}) | Q(**{f"{spec.path}__isnull": True})
        return Q(**{spec.path: flag})
    if spec.type == "number":
        return _compare_q(spec, op, value, _number)
    return _date_q(spec, op, value, ctx)


def _str_list(value, op: str) -> list[str]:
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise _Bad(_("choose at least one value."))
        if len(value) > MAX_VALUES:
            raise _Bad(_("at most %(n)d values.") % {"n": MAX_VALUES})
        return [str(v) for v in value]
    if isinstance(value, list | dict) or value is None or str(value) == "":
        raise _Bad(_("enter a value."))
    return [str(value)]


def _in_q(spec: FieldSpec, op: str, values: list) -> Q:
    if op in ("equals", "in"):
        return Q(**{f"{spec.path}__in": values})
    # "not equals": rows with another value, or with none at all (NULL would otherwise drop out).
    return ~Q(**{f"{spec.path}__in": values}) | Q(**{f"{spec.path}__isnull": True})


def _text_expr(spec: FieldSpec):
    return Fold(KT(spec.path) if spec.custom else F(spec.path))


def _text_q(spec: FieldSpec, op: str, value) -> Q:
    values = [fold(v).strip() for v in _str_list(value, op)]
    if any(len(v) > 200 for v in values):
        raise _Bad(_("at most 200 characters."))
    expr = _text_expr(spec)
    if op == "contains":
        return Q(Contains(expr, values[0]))
    if op == "not_contains":
        return ~Q(Contains(expr, values[0])) | _null_q(spec)
    if op == "starts_with":
        return Q(StartsWith(expr, values[0]))
    if op == "equals":
        return Q(Exact(expr, values[0]))
    if op == "in":
        return Q(In(expr, values))
    return ~Q(Exact(expr, values[0])) | _null_q(spec)  # not_equals


def _null_q(spec: FieldSpec) -> Q:
    return Q(**{f"{spec.path}__isnull": True})


def _empty_q(spec: FieldSpec, ctx: _Context) -> Q:
    if spec.type == "tags":
        through = ctx.model.tags.through
        return ~Q(pk__in=through.objects.values(f"{ctx.model._meta.model_name}_id"))
    q = _null_q(spec)
    if spec.custom:
        q |= Q(**{spec.path: None}) | Q(**{spec.path: ""})
        if spec.type == "multi":
            q |= Q(**{spec.path: []})
    elif spec.type in ("text", "choice"):
        q |= Q(**{spec.path: ""})
    return q


def _tags_q(spec: FieldSpec, op: str, value, ctx: _Context) -> Q:
    ids = _ids(value, op)
    through = ctx.model.tags.through
    fk = f"{ctx.model._meta.model_name}_id"
    q = Q(pk__in=through.objects.filter(tag_id__in=ids).values(fk))
    return q if op == "in" else ~q


def _ids(value, op: str) -> list[int]:
    ids = []
    for v in _str_list(value, op):
        if not v.isdigit():
            raise _Bad(_("“%(v)s” is not an id.") % {"v": v[:30]})
        ids.append(int(v))
    return ids


def _ref_q(spec: FieldSpec, op: str, value, ctx: _Context) -> Q:
    raw = _str_list(value, op)
    user_link = spec.related_model is not None and spec.related_model._meta.label_lower == "core.user"
    ids = []
    for v in raw:
        if v == "me" and user_link and ctx.user is not None:
            ids.append(ctx.user.pk)
        elif v.isdigit():
            ids.append(int(v))
        else:
            raise _Bad(_("“%(v)s” is not an id.") % {"v": v[:30]})
    path = spec.path if spec.custom else f"{spec.path}_id" if "__" not in spec.path else spec.path
    if op in ("equals", "in"):
        return Q(**{f"{path}__in": ids})
    return ~Q(**{f"{path}__in": ids}) | Q(**{f"{path}__isnull": True})


def _number(v):
    if isinstance(v, bool):
        raise _Bad(_("enter a number."))
    try:
        number = float(str(v).replace(" ", ""))
    except ValueError:
        raise _Bad(_("enter a number.")) from None
    if number != number or abs(number) >= 1e18:
        raise _Bad(_("enter a number."))
    return int(number) if number == int(number) else number


def _compare_q(spec: FieldSpec, op: str, value, convert) -> Q:
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise _Bad(_("enter two values: from and to."))
        low, high = convert(value[0]), convert(value[1])
        return Q(**{f"{spec.path}__gte": low, f"{spec.path}__lte": high})
    v = convert(_str_list(value, op)[0] if not isinstance(value, int | float) else value)
    if op == "equals":
        return Q(**{spec.path: v})
    if op == "not_equals":
        return ~Q(**{spec.path: v}) | _null_q(spec)
    return Q(**{f"{spec.path}__{op}": v})


def _date(v) -> datetime.date:
    try:
        return datetime.date.fromisoformat(str(v)[:10])
    except ValueError:
        raise _Bad(_("enter a date like 2026-03-05.")) from None


def _date_q(spec: FieldSpec, op: str, value, ctx: _Context) -> Q:
    if op in RELATIVE:
        n = 0
        if op in ("last_n_days", "next_n_days"):
            if isinstance(value, bool) or not str(value).isdigit() or not 0 < int(value) <= 36600:
                raise _Bad(_("enter a number of days between 1 and 36600."))
            n = int(value)
        start, end = relative_range(op, ctx.today, n)
    elif op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise _Bad(_("enter two dates: from and to."))
        start, end = _date(value[0]), _date(value[1]) + datetime.timedelta(days=1)
        if end <= start:
            raise _Bad(_("the first date must not be after the second."))
    else:
        day = _date(_str_list(value, op)[0])
        start, end = day, day + datetime.timedelta(days=1)
        if op == "gt":
            return Q(**{f"{spec.path}__gte": _bound(spec, end, ctx)})
        if op == "gte":
            return Q(**{f"{spec.path}__gte": _bound(spec, start, ctx)})
        if op == "lt":
            return Q(**{f"{spec.path}__lt": _bound(spec, start, ctx)})
        if op == "lte":
            return Q(**{f"{spec.path}__lt": _bound(spec, end, ctx)})
    return Q(**{f"{spec.path}__gte": _bound(spec, start, ctx), f"{spec.path}__lt": _bound(spec, end, ctx)})


def _bound(spec: FieldSpec, day: datetime.date, ctx: _Context):
    """A day boundary as the column stores it: a date, an ISO string (custom) or local midnight."""
    if spec.custom:
        return day.isoformat()
    if spec.type == "datetime":
        return datetime.datetime.combine(day, datetime.time(), tzinfo=ctx.tz)
    return day


# --------------------------------------------------------------------------------------------------
# From a list's simple filters to a tree ("create a segment from this list")
# --------------------------------------------------------------------------------------------------


def rules_from_list_filters(filters, values: dict[str, list[str]], query: str = "") -> list[dict]:
    """Rules equivalent to a list's simple filters (``common.lists`` filters and their values)."""
    from sencrm.common import lists

    rules: list[dict] = []
    for f in filters:
        chosen = values.get(f.name)
        if not chosen:
            continue
        if isinstance(f, lists.TagFilter):
            rules.append({"field": "tags", "operator": "in", "value": lists._ints(chosen)})
        elif isinstance(f, lists.BooleanFilter):
            rules.append({"field": f.field, "operator": "equals", "value": chosen[-1] == "1"})
        elif isinstance(f, lists.CustomFieldFilter):
            name = f"custom.{f.cf.key}"
            if f.cf.type == "bool":
                rules.append({"field": name, "operator": "equals", "value": chosen[-1] == "1"})
            else:
                rules.append({"field": name, "operator": "in", "value": chosen})
        elif isinstance(f, lists.BranchFilter):
            from django.apps import apps

            branch = apps.get_model("core", "Branch")
            paths = list(branch.objects.filter(pk__in=lists._ints(chosen)).values_list("path", flat=True))
            below = Q()
            for path in paths:
                below |= Q(path__startswith=path)
            ids = list(branch.objects.filter(below).values_list("pk", flat=True)) if paths else [0]
            rules.append({"field": "branch", "operator": "in", "value": ids})
        elif isinstance(f, lists.UserFilter | lists.TeamFilter | lists.RelatedFilter | lists.ChoiceFilter):
            rules.append(
                {"field": f.field if hasattr(f, "field") else f.name, "operator": "in", "value": chosen}
            )
    if query:
        rules.append({"field": "search", "operator": "contains", "value": query})
    return rules
