"""List machinery every record list shares: columns, declarative filters, search, sort, pages.

A list view declares its ``columns`` and ``filters`` (see ``common.views.ObjectListView``);
``ListState`` reads the query string (``?q=``, ``?sort=``, ``?page=``, one parameter per filter)
and turns it into one queryset. Custom fields join in automatically: the ones marked "show in
lists" become columns, and choice, yes/no and user fields become filters.

Query string of a list, for example ``/contacts/?q=nguyen&owner=4&tag=2&tag=7&sort=-created_at``:

- ``q``        diacritic-insensitive search over the record's ``search_text`` (names, emails, phones)
- ``sort``     a column name, ``-`` for descending; only the view's columns are allowed
- ``page``     1-based page number (page size ``settings.SENCRM_PAGE_SIZE``)
- filters      each filter's ``name``; repeating a parameter means "any of"
"""

import datetime
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
            return SafeString(f'<a href="{obj.get_absolute_url()}" class="fw-medium">{html}</a>')
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
@dataclass
class SortLink:
    column: Column
    url_value: str  # the ?sort= value a click on the header sets
    active: str  # "", "asc" or "desc"


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

    def order_by(self, default: Sequence[str]) -> list:
        """ORDER BY terms: the chosen column (nulls last on both databases), then id as tiebreak."""
        by_name = {c.name: c for c in self.columns if c.sort}
        name = self.sort.lstrip("-")
        column = by_name.get(name)
        if column is None:
            self.sort = ""
            return default_order(default)
        descending = self.sort.startswith("-")
        terms = [F(f).desc(nulls_last=True) if descending else F(f).asc(nulls_last=True) for f in column.sort]
        return [*terms, "-pk" if descending else "pk"]


def default_order(default: Sequence[str]) -> list:
    """ORDER BY terms for a view's default sort (``-`` for descending), nulls last, id tiebreak."""
    terms = []
    for term in default:
        expr = F(term.lstrip("-"))
        terms.append(expr.desc(nulls_last=True) if term.startswith("-") else expr.asc(nulls_last=True))
    return [*terms, "-pk" if default and default[0].startswith("-") else "pk"]


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
    )


@dataclass
class PageInfo:
    page: object
    count: int
    first: int
    last: int

    @property
    def range_text(self) -> str:
        """'1–50 of 12.345' (grouping by the language's separator)."""
        if not self.count:
            return _("No records")
        return _("%(first)s–%(last)s of %(count)s") % {
            "first": number_format(self.first, force_grouping=True),
            "last": number_format(self.last, force_grouping=True),
            "count": number_format(self.count, force_grouping=True),
        }

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


def paginate(qs, page_number, per_page: int | None = None) -> PageInfo:
    """One page of ``qs``. The total is a plain COUNT(*) of the filtered queryset.

    At a million rows an unfiltered COUNT still scans an index; if that shows in the benchmarks,
    swap in an estimate (PostgreSQL ``reltuples``) for unfiltered lists.
    """
    paginator = Paginator(qs, per_page or settings.SENCRM_PAGE_SIZE)
    try:
        page = paginator.page(page_number)
    except PageNotAnInteger:
        page = paginator.page(1)
    except EmptyPage:
        page = paginator.page(paginator.num_pages)
    count = paginator.count
    first = page.start_index() if count else 0
    return PageInfo(page=page, count=count, first=first, last=page.end_index() if count else 0)


def today_range():
    """Start of today and of tomorrow in the user's time zone (activity filters)."""
    now = timezone.localtime()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + datetime.timedelta(days=1)
