"""List machinery every record list shares: columns, declarative filters, search, sort, pages.

A list view declares its ``columns`` and ``filters`` (see ``common.views.ObjectListView``);
``ListState`` reads the query string (``?q=``, ``?sort=``, ``?page=``, one parameter per filter)
and turns it into one queryset. Custom fields join in automatically: the ones marked "show in
lists" become columns, and choice, yes/no and user fields become filters.

Query string of a list, for example ``/contacts/?q=nguyen&owner=4&tag=2&tag=7&sort=-created_at``:

- ``q``        diacritic-insensitive search over the record's ``search_text`` (names, emails, phones)
- ``sort``     a column name, ``-`` for descending; only the view's columns are allowed
- ``page``     1-based page number (page size ``settings.SENCRM_PAGE_SIZE``)
- ``after``, ``before``  keyset cursors of the next/previous links (the sort key of the last/first
  row shown): a page reached by "next" costs the same at row 50 as at row 500,000 (no OFFSET)
- filters      each filter's ``name``; repeating a parameter means "any of"

Counting: a page fetches one row more than it shows to know whether a next page exists; the total
is counted only when there is one, and then only up to ``COUNT_LIMIT`` rows ("1–50 of more than
10,000"): an exact COUNT(*) over a million visible rows would cost more than the page itself.
"""

import base64
import binascii
import datetime
import decimal
import json
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from sencrm.common import display
from sencrm.common.phones import normalize_phone
from sencrm.common.text import search_words

# --------------------------------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------------------------------


@dataclass
class Column:
    """One column of a list.

    ``sort`` names the database fields the column sorts by: ``""`` picks them from the model
    (a related record's ``sort_name``, a user's given name…), ``None`` makes the column unsortable.
    ``render(obj)`` returns HTML when the generic formatting (``common.display``) is not enough.
    """

    name: str
    label: str | None = None
    sort: str | Sequence[str] | None = ""
    kind: str | None = None
    render: Callable[[object], SafeString] | None = None
    select_related: Sequence[str] = ()
    prefetch_related: Sequence[str] = ()
    default: bool = True
    link: bool = False
    css: str = ""
    custom_field: object = None  # core.CustomField for custom-field columns

    def bind(self, model) -> "Column":
        """Fill in what can be derived from the model: label, kind, sort fields, joins."""
        column = Column(**{f: getattr(self, f) for f in self.__dataclass_fields__})
        if column.custom_field is not None:
            return column
        column.label = column.label or display.field_label(model, column.name)
        if column.link and "sen-col-main" not in column.css:
            column.css = f"{column.css} sen-col-main".strip()
        column.kind = column.kind or display.field_kind(model, column.name)
        if column.kind == "fk" and not column.select_related:
            column.select_related = (column.name,)
        if column.kind == "m2m" and not column.prefetch_related:
            column.prefetch_related = (column.name,)
        if column.sort == "":
            column.sort = _default_sort(model, column.name, column.kind)
        if isinstance(column.sort, str):
            column.sort = (column.sort,)
        return column

    @classmethod
    def for_custom_field(cls, cf) -> "Column":
        return cls(
            name=f"cf_{cf.key}",
            label=cf.label,
            sort=None if cf.type == "multi" else (f"custom__{cf.key}",),
            kind="custom",
            custom_field=cf,
            default=cf.show_in_list,
        )

    def cell(self, obj, context: dict) -> SafeString:
        if self.render is not None:
            return self.render(obj)
        if self.custom_field is not None:
            value = (obj.custom or {}).get(self.custom_field.key)
            return display.custom_display(self.custom_field, value, context.get("users"))
        html = display.display_value(obj, self.name, self.kind)
        if self.link:
            return SafeString(f'<a href="{display.record_url(obj)}" class="fw-medium">{html}</a>')
        return html


def _default_sort(model, name: str, kind: str) -> tuple[str, ...] | None:
    if kind == "m2m":
        return None
    if kind != "fk":
        return (name,)
    related = display.model_field(model, name).related_model
    names = {f.name for f in related._meta.concrete_fields}
    if "sort_name" in names:
        return (f"{name}__sort_name",)
    if {"first_name", "last_name"} <= names:  # users: by given name, Vietnamese style
        return (f"{name}__first_name", f"{name}__last_name")
    if "search_name" in names:  # provinces and wards
        return (f"{name}__search_name",)
    if "name" in names:
        return (f"{name}__name",)
    return (f"{name}_id",)


# --------------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------------


class Filter(ABC):
    """A list filter: a query-string parameter, the options offered, and how it narrows a queryset.

    Subclasses set ``name`` and implement ``options(request)`` (value, label pairs; empty for
    filters with too many values to list, like accounts) and ``apply(qs, values)``.
    """

    name: str = ""
    label: str = ""
    multiple: bool = True

    def options(self, request) -> list[tuple[str, str]]:
        return []

    @abstractmethod
    def apply(self, qs, values: list[str], request=None):
        """Narrow ``qs`` to the rows matching the selected ``values``."""

    def labels(self, request, values: list[str]) -> list[tuple[str, str]]:
        """(value, label) of the selected values, for the filter chips."""
        known = dict(self.options(request))
        return [(v, known.get(v, v)) for v in values]


def _ints(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


class ChoiceFilter(Filter):
    """Any of the values of a choice field (status, type, rating…)."""

    def __init__(self, field: str, label=None, choices=None):
        self.name = field
        self.field = field
        self.label = label
        self._choices = choices

    def bind(self, model) -> "ChoiceFilter":
        model_field = display.model_field(model, self.field)
        self.label = self.label or display.field_label(model, self.field)
        if self._choices is None:
            self._choices = list(model_field.choices) if model_field is not None else []
        return self

    def options(self, request):
        return [(str(v), str(label)) for v, label in self._choices]

    def apply(self, qs, values, request=None):
        allowed = {str(v) for v, _label in self._choices}
        values = [v for v in values if v in allowed]
        return qs.filter(**{f"{self.field}__in": values}) if values else qs


class BooleanFilter(Filter):
    multiple = False

    def __init__(self, field: str, label=None):
        self.name = field
        self.field = field
        self.label = label

    def bind(self, model):
        self.label = self.label or display.field_label(model, self.field)
        return self

    def options(self, request):
        return [("1", _("Yes")), ("0", _("No"))]

    def apply(self, qs, values, request=None):
        if values and values[-1] in ("0", "1"):
            return qs.filter(**{self.field: values[-1] == "1"})
        return qs


class UserFilter(Filter):
    """Records of any of the chosen users (active users; ``me`` is the person looking)."""

    def __init__(self, field: str = "owner", label=None):
        self.name = field
        self.field = field
        self.label = label

    def bind(self, model):
        self.label = self.label or display.field_label(model, self.field)
        return self

    def options(self, request):
        from django.contrib.auth import get_user_model

        users = get_user_model().objects.filter(is_active=True)
        return [("me", _("Me"))] + [(str(u.pk), str(u)) for u in users]

    def apply(self, qs, values, request=None):
        ids = _ints(values)
        if "me" in values and request is not None:
            ids.append(request.user.pk)
        return qs.filter(**{f"{self.field}_id__in": ids}) if ids else qs


class BranchFilter(Filter):
    """Records of the chosen branches and the branches below them."""

    name = "branch"

    def bind(self, model):
        self.label = display.field_label(model, "branch")
        return self

    def options(self, request):
        from sencrm.core.models import Branch

        return [(str(b.pk), "\u2003" * b.depth + b.name) for b in Branch.objects.all()]

    def apply(self, qs, values, request=None):
        from sencrm.core.models import Branch

        ids = _ints(values)
        if not ids:
            return qs
        paths = list(Branch.objects.filter(pk__in=ids).values_list("path", flat=True))
        if not paths:
            return qs.none()
        q = Q()
        for path in paths:
            q |= Q(path__startswith=path)
        return qs.filter(branch_id__in=Branch.objects.filter(q).values("pk"))


class TeamFilter(Filter):
    name = "team"

    def bind(self, model):
        self.label = display.field_label(model, "team")
        return self

    def options(self, request):
        from sencrm.core.models import Team

        return [(str(t.pk), t.name) for t in Team.objects.all()]

    def apply(self, qs, values, request=None):
        ids = _ints(values)
        return qs.filter(team_id__in=ids) if ids else qs


class TagFilter(Filter):
    """Records carrying any of the chosen tags (a subquery, so rows never repeat)."""

    name = "tag"

    def bind(self, model):
        self.label = _("Tags")
        self.through = model.tags.through
        self.fk = f"{model._meta.model_name}_id"
        return self

    def options(self, request):
        from sencrm.core.models import Tag

        return [(str(t.pk), t.name) for t in Tag.objects.all()]

    def apply(self, qs, values, request=None):
        ids = _ints(values)
        if not ids:
            return qs
        return qs.filter(pk__in=self.through.objects.filter(tag_id__in=ids).values(self.fk))


class RelatedFilter(Filter):
    """Records linked to any of the given records (account, contact…).

    Too many to list as options: the value arrives in the URL (e.g. "see all" links of a detail
    page) and is shown as a chip. ``queryset`` (with ``visible_to``) names the chosen records.
    """

    def __init__(self, field: str, label=None, listed: bool = False, queryset=None):
        self.name = field
        self.field = field
        self.label = label
        self.listed = listed
        self.queryset = queryset

    def bind(self, model):
        model_field = display.model_field(model, self.field)
        self.label = self.label or display.field_label(model, self.field)
        self.related_model = model_field.related_model
        return self

    def _queryset(self, request):
        qs = self.queryset.all() if self.queryset is not None else self.related_model._default_manager.all()
        if hasattr(qs, "visible_to"):
            qs = qs.visible_to(request.user)
        return qs

    def options(self, request):
        if not self.listed:
            return []
        return [(str(o.pk), str(o)) for o in self._queryset(request)]

    def labels(self, request, values):
        if self.listed:
            return super().labels(request, values)
        names = {str(o.pk): str(o) for o in self._queryset(request).filter(pk__in=_ints(values))}
        return [(v, names.get(v, "#" + v)) for v in values]

    def apply(self, qs, values, request=None):
        ids = _ints(values)
        return qs.filter(**{f"{self.field}_id__in": ids}) if ids else qs


class CustomFieldFilter(Filter):
    """Exact match on a choice, yes/no or user custom field."""

    def __init__(self, cf):
        self.cf = cf
        self.name = f"cf_{cf.key}"
        self.label = cf.label
        self.multiple = cf.type != "bool"

    def bind(self, model):
        return self

    def options(self, request):
        if self.cf.type == "choice":
            return [(str(c), str(c)) for c in self.cf.choices]
        if self.cf.type == "bool":
            return [("1", _("Yes")), ("0", _("No"))]
        return UserFilter().options(request)[1:]

    def apply(self, qs, values, request=None):
        path = f"custom__{self.cf.key}"
        if self.cf.type == "bool":
            if values and values[-1] in ("0", "1"):
                return qs.filter(**{path: values[-1] == "1"})
            return qs
        if self.cf.type == "user":
            ids = _ints(values)
            return qs.filter(**{f"{path}__in": ids}) if ids else qs
        allowed = {str(c) for c in self.cf.choices}
        values = [v for v in values if v in allowed]
        return qs.filter(**{f"{path}__in": values}) if values else qs


class CallableFilter(Filter):
    """A filter whose options are fixed and whose meaning is a function (activity states…)."""

    multiple = False

    def __init__(self, name: str, label, choices: Sequence[tuple[str, str]], apply: Callable):
        self.name = name
        self.label = label
        self._choices = choices
        self._apply = apply

    def bind(self, model):
        return self

    def options(self, request):
        return [(v, str(label)) for v, label in self._choices]

    def apply(self, qs, values, request=None):
        value = values[-1] if values else ""
        return self._apply(qs, value, request) if value in dict(self._choices) else qs


def custom_filters(custom_fields) -> list[Filter]:
    return [CustomFieldFilter(cf) for cf in custom_fields if cf.type in ("choice", "bool", "user")]


# --------------------------------------------------------------------------------------------------
# Search
# --------------------------------------------------------------------------------------------------
_PHONE_LIKE = re.compile(r"^[\s\d+().\-]{8,}$")


def search(qs, query: str):
    """Narrow ``qs`` to records whose folded ``search_text`` has every word of ``query``.

    Letters match the start of a word ("anh" finds "Ánh" but not "Thanh"); digits match anywhere,
    so the tail of a phone number finds it. A query that is a phone number in any format
    ("0912 345 678", "+84 912…", "912345678") is matched on its national digits.
    """
    query = (query or "").strip()
    if not query:
        return qs
    if _PHONE_LIKE.match(query):
        digits = re.sub(r"\D", "", query)
        try:
            e164 = normalize_phone(query)
        except ValidationError:
            e164 = ""
        # The number as stored (national digits for Vietnam), or the digits as typed (tax codes…).
        number = " 0" + e164[3:] + " " if e164.startswith("+84") else " " + e164[1:] + " "
        if e164:
            return qs.filter(Q(search_text__contains=number) | Q(search_text__contains=digits))
    for word in search_words(query)[:8]:
        if word.isdigit():
            qs = qs.filter(search_text__contains=word)
        else:
            qs = qs.filter(search_text__contains=" " + word)
    return qs


# --------------------------------------------------------------------------------------------------
# The state of one list page
# --------------------------------------------------------------------------------------------------
#: Lists count their rows up to this many; beyond it the total reads "more than 10,000".
COUNT_LIMIT = 10_000


class Cells(list):
    """The cells of one row (``{"css", "html"}`` each) and, as ``html``, its ``<td>`` elements.

    The list template prints ``html`` (one string per row rather than a template loop per cell).
    """

    def __init__(self, columns: Sequence[Column], obj, context: dict):
        super().__init__({"css": c.css, "html": c.cell(obj, context)} for c in columns)

    @property
    def html(self) -> SafeString:
        parts = []
        for cell in self:
            opening = f'<td class="{cell["css"]}">' if cell["css"] else "<td>"
            parts.append(f"{opening}{cell['html']}</td>")
        return SafeString("".join(parts))


@dataclass
class SortLink:
    column: Column
    url_value: str  # the ?sort= value a click on the header sets
    active: str  # "", "asc" or "desc"


@dataclass(frozen=True)
class SortTerm:
    """One ORDER BY term: a field path, its direction, and whether it can hold NULL (sorted last).

    ``nullable`` is None when the path is no plain field (a custom-field key): such sorts page by
    offset, since their values cannot be compared in a keyset condition on both databases.
    """

    path: str
    descending: bool
    nullable: bool | None

    def expression(self, reverse: bool = False):
        descending = self.descending != reverse
        if self.path == "pk":
            return "-pk" if descending else "pk"
        expr = F(self.path)
        if self.nullable is False:
            # NOT NULL columns: a plain ASC/DESC, which an index in either direction serves (a
            # "DESC NULLS LAST" does not match PostgreSQL's DESC index order, NULLS FIRST).
            return expr.desc() if descending else expr.asc()
        # NULLs last in the list's order; first when reading it backwards (previous page).
        if descending:
            return expr.desc(nulls_last=True) if not reverse else expr.desc(nulls_first=True)
        return expr.asc(nulls_last=True) if not reverse else expr.asc(nulls_first=True)


def path_nullable(model, path: str) -> bool | None:
    """Whether the field at ``path`` (``account__sort_name``) may be NULL; None when it is no field."""
    if path == "pk":
        return False
    nullable = False
    for part in path.split("__"):
        field = display.model_field(model, part) if model is not None else None
        if field is None or field.many_to_many or field.one_to_many:
            return None
        nullable = nullable or bool(field.null)
        model = field.related_model if field.is_relation else None
    return nullable  # a path ending on a foreign key is compared by its id


def sort_terms(model, names: Sequence[str], descending: bool | None = None) -> list[SortTerm]:
    """Terms for ``names`` (``-`` for descending unless ``descending`` is given), then the id tiebreak."""
    terms = []
    for name in names:
        desc = name.startswith("-") if descending is None else descending
        path = name.lstrip("-")
        terms.append(SortTerm(path, desc, path_nullable(model, path) if model is not None else True))
    first_desc = terms[0].descending if terms else False
    return [*terms, SortTerm("pk", first_desc, False)]


@dataclass
class ListState:
    """What the query string asks of a list, and the page it gives."""

    columns: list[Column]  # every column the user may choose
    shown: list[Column]  # the columns shown, in order
    filters: list[Filter]
    query: str = ""
    sort: str = ""
    values: dict[str, list[str]] = field(default_factory=dict)
    page_number: str = "1"
    after: str = ""  # keyset cursor of a "next" link
    before: str = ""  # keyset cursor of a "previous" link

    @property
    def active_filters(self) -> int:
        return sum(1 for f in self.filters if self.values.get(f.name))

    def sort_links(self) -> list[SortLink]:
        links = []
        current = self.sort.lstrip("-")
        descending = self.sort.startswith("-")
        for column in self.shown:
            if not column.sort:
                links.append(SortLink(column, "", ""))
                continue
            if column.name == current:
                links.append(
                    SortLink(
                        column,
                        column.name if descending else f"-{column.name}",
                        "desc" if descending else "asc",
                    )
                )
            else:
                links.append(SortLink(column, column.name, ""))
        return links

    def sort_terms(self, default: Sequence[str], model=None) -> list[SortTerm]:
        """The ORDER BY of the page: the chosen column (or ``default``), then the id as tiebreak.

        An unknown ``?sort=`` falls back to the default (and is forgotten, so links drop it).
        """
        by_name = {c.name: c for c in self.columns if c.sort}
        column = by_name.get(self.sort.lstrip("-"))
        if column is None:
            self.sort = ""
            return sort_terms(model, default) if model is not None else _legacy_terms(default)
        descending = self.sort.startswith("-")
        if model is None:
            return [*(SortTerm(f, descending, True) for f in column.sort), SortTerm("pk", descending, False)]
        return sort_terms(model, column.sort, descending)

    def order_by(self, default: Sequence[str], model=None) -> list:
        """ORDER BY terms: the chosen column (nulls last where NULL can occur), then id as tiebreak."""
        return [t.expression() for t in self.sort_terms(default, model)]


def _legacy_terms(default: Sequence[str]) -> list[SortTerm]:
    terms = [SortTerm(t.lstrip("-"), t.startswith("-"), True) for t in default]
    return [*terms, SortTerm("pk", bool(default) and default[0].startswith("-"), False)]


def default_order(default: Sequence[str], model=None) -> list:
    """ORDER BY terms for a view's default sort (``-`` for descending), nulls last, id tiebreak.

    Without ``model`` every term is NULLS LAST; with it, only the terms that may hold NULL.
    """
    terms = sort_terms(model, default) if model is not None else _legacy_terms(default)
    return [t.expression() for t in terms]


def parse_state(request, columns: list[Column], filters: list[Filter], chosen: list[str] | None) -> ListState:
    names = {c.name: c for c in columns}
    if chosen:
        shown = [names[n] for n in chosen if n in names]
    else:
        shown = [c for c in columns if c.default]
    if not shown:
        shown = [c for c in columns if c.default] or columns[:1]
    values = {}
    for f in filters:
        got = [v for v in request.GET.getlist(f.name) if v != ""]
        if got:
            values[f.name] = got[:50]
    return ListState(
        columns=columns,
        shown=shown,
        filters=filters,
        query=request.GET.get("q", "")[:200],
        sort=request.GET.get("sort", "")[:60],
        values=values,
        page_number=request.GET.get("page", "1"),
        after=request.GET.get("after", "")[:2000],
        before=request.GET.get("before", "")[:2000],
    )


# --------------------------------------------------------------------------------------------------
# Counting and pages
# --------------------------------------------------------------------------------------------------
def capped_count(qs, limit: int | None = None) -> tuple[int, bool]:
    """``(rows, exact)``: the rows of ``qs`` counted up to ``limit`` (then ``(limit, False)``).

    ``SELECT COUNT(*) FROM (SELECT … LIMIT limit+1)`` stops reading after ``limit + 1`` rows.
    """
    limit = COUNT_LIMIT if limit is None else limit
    n = qs.order_by()[: limit + 1].count()
    return (n, True) if n <= limit else (limit, False)


def _range_text(first: int, last: int, count: int, exact: bool) -> str:
    if not count:
        return _("No records")
    values = {
        "first": number_format(first, force_grouping=True),
        "last": number_format(last, force_grouping=True),
        "count": number_format(count, force_grouping=True),
    }
    if exact:
        return _("%(first)s–%(last)s of %(count)s") % values
    return _("%(first)s–%(last)s of more than %(count)s") % values


@dataclass
class PageInfo:
    """A page of a Django ``Paginator`` (``paginate``), with a total that may be capped."""

    page: object
    count: int
    first: int
    last: int
    exact: bool = True

    @property
    def range_text(self) -> str:
        """'1–50 of 12.345' (grouping by the language's separator)."""
        return _range_text(self.first, self.last, self.count, self.exact)

    @property
    def count_text(self) -> str:
        text = number_format(self.count, force_grouping=True)
        return text if self.exact else f"{text}+"

    def page_numbers(self) -> list[int | None]:
        """Page numbers around the current one, None for gaps: [1, None, 4, 5, 6, None, 20]."""
        n, total = self.page.number, self.page.paginator.num_pages
        wanted = {1, total, n - 1, n, n + 1}
        numbers: list[int | None] = []
        for i in sorted(p for p in wanted if 1 <= p <= total):
            if numbers and i - (numbers[-1] or 0) > 1:
                numbers.append(None)
            numbers.append(i)
        return numbers


class CappedPaginator(Paginator):
    """A ``Paginator`` whose count stops at ``COUNT_LIMIT`` (pages beyond it stay reachable)."""

    exact = True

    @cached_property
    def count(self):
        n, self.exact = capped_count(self.object_list)
        return n if self.exact else n + 1

    def validate_number(self, number):
        number = super().validate_number(number) if self.exact else self._int_number(number)
        return number

    def _int_number(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(_("That page number is not an integer")) from None
        if number < 1:
            raise EmptyPage(_("That page number is less than 1"))
        return number


def paginate(qs, page_number, per_page: int | None = None) -> PageInfo:
    """One page of ``qs`` by number, its total counted up to ``COUNT_LIMIT`` (segment members)."""
    paginator = CappedPaginator(qs, per_page or settings.SENCRM_PAGE_SIZE)
    try:
        page = paginator.page(page_number)
    except PageNotAnInteger:
        page = paginator.page(1)
    except EmptyPage:
        page = paginator.page(paginator.num_pages)
    if not paginator.exact and not page.object_list:  # a number past the end of a long list
        page = paginator.page(1)
    count = paginator.count if paginator.exact else paginator.count - 1
    first = page.start_index() if count else 0
    last = first + len(page.object_list) - 1 if count else 0
    return PageInfo(page=page, count=count, first=first, last=last, exact=paginator.exact)


# --- keyset cursors --------------------------------------------------------------------------------
def _encode_value(value):
    if isinstance(value, datetime.datetime):
        return {"t": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"d": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"n": str(value)}
    return value


def _decode_value(value):
    if isinstance(value, dict) and len(value) == 1:
        ((kind, raw),) = value.items()
        if kind == "t":
            return datetime.datetime.fromisoformat(raw)
        if kind == "d":
            return datetime.date.fromisoformat(raw)
        if kind == "n":
            return decimal.Decimal(raw)
        raise ValueError(kind)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ValueError(value)


def encode_cursor(sort: str, values: Sequence) -> str:
    """A URL-safe token for the row with sort key ``values`` in the list sorted by ``sort``."""
    raw = json.dumps({"s": sort, "v": [_encode_value(v) for v in values]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str, sort: str, size: int) -> list | None:
    """The sort key a token holds, or None when it is malformed or made for another sort."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("s") != sort or not isinstance(data.get("v"), list):
            return None
        values = [_decode_value(v) for v in data["v"]]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, OverflowError):
        return None
    if len(values) != size or values[-1] is None or not isinstance(values[-1], int):
        return None
    return values


def _keyset_q(terms: Sequence[SortTerm], values: Sequence, *, before: bool) -> Q:
    """Rows strictly after (``before=False``) or before the row whose sort key is ``values``.

    Lexicographic: the first term that differs decides, NULLs coming last in each term.
    """
    result = Q(pk__in=[])
    equal = Q()
    for term, value in zip(terms, values, strict=True):
        greater = term.descending == before  # which comparison moves in the wanted direction
        lookup = "gt" if greater else "lt"
        if value is None:
            # NULL is last: nothing of this term is after it; every non-NULL value is before it.
            step = Q(**{f"{term.path}__isnull": False}) if before else Q(pk__in=[])
            same = Q(**{f"{term.path}__isnull": True})
        else:
            step = Q(**{f"{term.path}__{lookup}": value})
            if term.nullable is not False and not before:
                step |= Q(**{f"{term.path}__isnull": True})
            same = Q(**{f"{term.path}": value})
        result |= equal & step
        equal &= same
    first, value = terms[0], values[0]
    if value is not None and first.nullable is False:
        # A range on the first term lets the index seek straight to the cursor.
        bound = "gte" if first.descending == before else "lte"
        result &= Q(**{f"{first.path}__{bound}": value})
    return result


@dataclass
class PageLink:
    """A link of the pager: the query-string values it sets (None removes one)."""

    label: str
    page: int | None
    after: str | None = None
    before: str | None = None
    current: bool = False
    rel: str = ""


@dataclass
class ListPage:
    """One page of a list: its rows, where it stands, and the links around it."""

    objects: list
    number: int
    per_page: int
    count: int  # exact, or COUNT_LIMIT when ``exact`` is False
    exact: bool
    has_previous: bool
    has_next: bool
    previous_link: PageLink | None = None
    next_link: PageLink | None = None
    last_page: int | None = None

    @property
    def first(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.objects else 0

    @property
    def last(self) -> int:
        return self.first + len(self.objects) - 1 if self.objects else 0

    @property
    def range_text(self) -> str:
        return _range_text(self.first, self.last, self.count, self.exact)

    @property
    def count_text(self) -> str:
        text = number_format(self.count, force_grouping=True)
        return text if self.exact else f"{text}+"

    @property
    def several_pages(self) -> bool:
        return self.has_previous or self.has_next

    def links(self) -> list[PageLink | None]:
        """The numbered links: first, the neighbours (keyset), current, last when known; None = gap."""
        n = self.number
        links: list[PageLink | None] = []
        if n > 1:
            links.append(PageLink("1", None))
            if n > 3:
                links.append(None)
            if n > 2 and self.previous_link is not None:
                links.append(PageLink(str(n - 1), self.previous_link.page, before=self.previous_link.before))
        links.append(PageLink(str(n), n, current=True))
        if self.next_link is not None:
            links.append(PageLink(str(n + 1), self.next_link.page, after=self.next_link.after))
        if self.last_page is not None and self.last_page > n + 1:
            if self.last_page > n + 2 or self.next_link is None:
                links.append(None)
            links.append(PageLink(str(self.last_page), self.last_page))
        elif self.last_page is None and self.has_next:
            links.append(None)
        return links


def _page_number(raw) -> int:
    try:
        return max(int(str(raw)), 1)
    except (TypeError, ValueError):
        return 1


def paginate_list(qs, state: ListState, terms: Sequence[SortTerm], per_page: int | None = None) -> ListPage:
    """The page of ``qs`` (ordered by ``terms``) that ``state`` asks for.

    ``?after=``/``?before=`` (the links "next" and "previous" carry) seek from a row's sort key, so
    paging on costs the same at any depth; ``?page=N`` alone reads by offset (page numbers
    typed or shared). One row more than the page is read to know whether a next one exists; the
    total is counted (up to ``COUNT_LIMIT``) only when it is not known from the rows read.
    """
    per_page = per_page or settings.SENCRM_PAGE_SIZE
    number = _page_number(state.page_number)
    keyset = all(t.nullable is not None for t in terms)
    keys = [f"sen_key_{i}" for i in range(len(terms) - 1)]
    counted = qs  # counted without the sort keys: their joins are not needed to count
    if keyset:
        qs = qs.annotate(**{k: F(t.path) for k, t in zip(keys, terms, strict=False)})
    sort_id = state.sort or "default"

    rows: list = []
    by_offset = True
    has_previous = has_next = False
    values = decode_cursor(state.after or state.before, sort_id, len(terms)) if keyset else None
    if values is not None:
        before = not state.after
        narrowed = qs.filter(_keyset_q(terms, values, before=before))
        if before:
            narrowed = narrowed.order_by(*(t.expression(reverse=True) for t in terms))
        rows = list(narrowed[: per_page + 1])
        more = len(rows) > per_page
        rows = rows[:per_page]
        if before and more:
            rows.reverse()
            has_previous, has_next, by_offset = True, True, False
            number = max(number, 2)
        elif not before and rows:
            has_previous, has_next, by_offset = True, more, False
            number = max(number, 2)
        else:  # back at the start, or past the end: read by number
            number = 1 if before else number
    offset = 0
    if by_offset:
        offset = (number - 1) * per_page
        rows = list(qs[offset : offset + per_page + 1])
        if not rows and number > 1:  # past the end: the last page (a short list), else the first
            total, exact = capped_count(counted)
            number = max(math.ceil(total / per_page), 1) if exact else 1
            offset = (number - 1) * per_page
            rows = list(qs[offset : offset + per_page + 1])
        has_next = len(rows) > per_page
        rows = rows[:per_page]
        has_previous = number > 1

    if not has_next and by_offset:
        count, exact = offset + len(rows), True  # the last page: the rows before it and its own
    else:
        count, exact = capped_count(counted)
    page = ListPage(
        objects=rows,
        number=number,
        per_page=per_page,
        count=count,
        exact=exact,
        has_previous=has_previous,
        has_next=has_next,
    )
    if exact and count:
        page.last_page = math.ceil(count / per_page)
        page.number = min(number, page.last_page)

    def cursor(obj) -> str:
        return encode_cursor(sort_id, [*(getattr(obj, k) for k in keys), obj.pk])

    if has_previous:
        if page.number == 2:
            page.previous_link = PageLink("‹", None, rel="prev")
        elif keyset:
            page.previous_link = PageLink("‹", page.number - 1, before=cursor(rows[0]), rel="prev")
        else:
            page.previous_link = PageLink("‹", page.number - 1, rel="prev")
    if has_next:
        after = cursor(rows[-1]) if keyset else None
        page.next_link = PageLink("›", page.number + 1, after=after, rel="next")
    return page


def today_range():
    """Start of today and of tomorrow in the user's time zone (activity filters)."""
    now = timezone.localtime()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + datetime.timedelta(days=1)
