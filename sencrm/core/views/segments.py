"""Saved views, the advanced filter of every list, and the segment pages (issue 3).

The generic list (``common.views.ObjectListView``) calls two hooks from here: ``saved_view_from_request``
(``?view=<id>`` shows a saved view) and ``apply_list_tree`` (``?filter=<json tree>`` narrows the
rows). The rest are small pages and fragments: the filter builder's field list, the "Views" menu,
saving a view, and the segment list, page, form and member changes.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, resolve, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from sencrm.common import display, lists
from sencrm.common.filtering import (
    FilterError,
    apply_tree,
    catalogue_json,
    operator_labels,
    parse_tree,
    rules_from_list_filters,
)
from sencrm.common.models import Action
from sencrm.common.views import forbidden, safe_next
from sencrm.core.models import MODULES, SavedView, Segment, Tag
from sencrm.core.services import segments as svc
from sencrm.core.services.custom_fields import custom_fields_for

#: Query parameters of a list that are not filters.
NOT_FILTERS = {"page", "view", "filter", "sort", "picker"}

# --------------------------------------------------------------------------------------------------
# Hooks of the generic list
# --------------------------------------------------------------------------------------------------


def saved_view_from_request(list_view, request) -> SavedView | None:
    """The saved view named by ``?view=`` (the user's or a shared one), or None.

    A bare ``?view=<id>`` (a bookmark, the "Views" menu) takes the view's filters and sort; when
    the URL carries filters too, they win (the user changed something after picking the view).
    """
    raw = request.GET.get("view", "")
    if not raw.isdigit():
        return None
    view = svc.saved_views_for(request.user, list_view.entity()).filter(pk=int(raw)).first()
    if view is None:
        return None
    if not set(request.GET) - {"view", "page"}:
        query = QueryDict(mutable=True)
        for key, value in svc.saved_view_query(view):
            query.appendlist(key, value)
        if "page" in request.GET:
            query["page"] = request.GET["page"]
        request.GET = query
    return view


def apply_list_tree(list_view, request, qs, state):
    """Narrow ``qs`` by the ``?filter=`` tree; a bad tree is ignored and its errors shown."""
    state.filter_errors = []
    state.filter_tree = ""
    state.filter_rules = 0
    raw = request.GET.get("filter", "")
    if not raw:
        return qs
    entity = list_view.entity()
    try:
        tree = parse_tree(raw)
        narrowed = apply_tree(qs, tree, specs=svc.filter_specs(entity), user=request.user)
    except FilterError as exc:
        state.filter_errors = exc.messages
        return qs
    state.filter_tree = json.dumps(tree.model_dump(), ensure_ascii=False)
    state.filter_rules = _count(tree.model_dump())
    return narrowed


def _count(tree: dict) -> int:
    return sum(_count(r) if "rules" in r else 1 for r in tree.get("rules", []))


def _list_view_class(entity: str):
    """The list view of a record kind (its columns and simple filters), found through its URL."""
    model = svc.entity_model(entity)
    try:
        url = reverse(f"{model._meta.app_label}:{model._meta.model_name}_list")
    except NoReverseMatch:
        raise Http404 from None
    return getattr(resolve(url).func, "view_class", None), url


def _entity_or_404(request, entity: str) -> str:
    if entity not in MODULES or not request.user.has_right(entity, Action.VIEW):
        raise Http404
    return entity


# --------------------------------------------------------------------------------------------------
# The filter builder and the "Views" menu
# --------------------------------------------------------------------------------------------------


@login_required
def filter_fields(request, entity: str):
    """The fields, operators and choices the filter builder offers for ``entity`` (JSON)."""
    entity = _entity_or_404(request, entity)
    specs = svc.filter_specs(entity)
    return JsonResponse(
        {
            "fields": catalogue_json(specs, tags=Tag.objects.all(), user=request.user),
            "operators": operator_labels(),
        }
    )


@login_required
def filter_check(request, entity: str):
    """``{"errors": [...]}`` for the tree in ``?filter=``; the builder checks before applying."""
    entity = _entity_or_404(request, entity)
    try:
        svc.clean_filters(entity, request.GET.get("filter") or "{}", request.user)
    except ValidationError as exc:
        return JsonResponse({"errors": exc.message_dict.get("filters", exc.messages)})
    return JsonResponse({"errors": []})


@login_required
def saved_view_menu(request, entity: str):
    """The items of a list's "Views" menu: the user's views, then shared ones (htmx fragment)."""
    entity = _entity_or_404(request, entity)
    _cls, list_url = _list_view_class(entity)
    items = []
    for view in svc.saved_views_for(request.user, entity):
        items.append(
            {
                "view": view,
                "url": f"{list_url}?{urlencode(svc.saved_view_query(view))}",
                "mine": view.owner_id == request.user.pk,
                "can_change": view.owner_id == request.user.pk or request.user.is_admin,
            }
        )
    items.sort(key=lambda i: (not i["mine"], i["view"].name.casefold()))
    return render(
        request,
        "components/saved_views.html",
        {"menu_only": True, "items": items, "list_url": list_url, "current": request.GET.get("current", "")},
    )


def _state_from_query(entity: str, query: str) -> dict:
    """Filters, tree and sort of a list URL's query string, as a saved view stores them."""
    params = QueryDict(query[:8000])
    values = {k: params.getlist(k)[:50] for k in params if k not in NOT_FILTERS and params.getlist(k) != [""]}
    return {"params": values, "filters": params.get("filter") or {}, "sort": params.get("sort", "")}


@login_required
@require_POST
def saved_view_save(request, entity: str):
    """Save the list as it looks now (filters, search, columns, sort) under a name."""
    entity = _entity_or_404(request, entity)
    _cls, list_url = _list_view_class(entity)
    data = {
        **_state_from_query(entity, request.POST.get("query", "")),
        "name": request.POST.get("name", ""),
        "columns": request.POST.getlist("columns"),
        "shared": request.POST.get("shared") == "1",
    }
    try:
        view = svc.saved_view_create(by=request.user, entity=entity, data=data)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(f"{list_url}?{request.POST.get('query', '')[:8000]}")
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(f"{list_url}?{urlencode(svc.saved_view_query(view))}")


@login_required
@require_POST
def saved_view_delete(request, pk: int):
    view = svc.get_saved_view_for_user(request.user, pk)
    try:
        svc.saved_view_delete(view, by=request.user)
    except PermissionDenied:
        return forbidden(request, _("Only the owner of a view or an administrator can delete it."))
    _cls, list_url = _list_view_class(view.entity)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect(list_url)


# --------------------------------------------------------------------------------------------------
# Segments
# --------------------------------------------------------------------------------------------------

SEGMENT_ENTITIES = Segment.ENTITIES


@login_required
def segment_list(request):
    """Segments the user sees, with the count of members *they* may see."""
    entity = request.GET.get("entity", "")
    segments = list(svc.segments_visible(request.user, entity if entity in SEGMENT_ENTITIES else None))
    rows = [{"segment": s, "count": svc.segment_count(s, request.user)} for s in segments]
    kinds = [(e, MODULES[e]) for e in SEGMENT_ENTITIES if request.user.has_right(e, Action.VIEW)]
    return render(
        request, "core/segments/segment_list.html", {"rows": rows, "kinds": kinds, "entity": entity}
    )


def _members_table(request, segment: Segment) -> dict:
    """The segment's members one page at a time, with the columns of the kind's own list."""
    cls, _url = _list_view_class(segment.entity)
    list_view = cls()
    custom_fields = custom_fields_for(segment.entity)
    columns = list_view.bound_columns(custom_fields)
    shown = [c for c in columns if c.default]
    qs = svc.segment_members(segment, request.user)
    qs = lists.search(qs, request.GET.get("q", "")[:200]).order_by(
        *lists.default_order(list_view.default_sort)
    )
    related = sorted({r for c in shown for r in c.select_related})
    prefetch = sorted({r for c in shown for r in c.prefetch_related})
    page = lists.paginate(
        qs.select_related(*related).prefetch_related(*prefetch), request.GET.get("page", "1")
    )
    objects = list(page.page.object_list)
    context = {"request": request}
    user_columns = [c for c in shown if c.custom_field is not None and c.custom_field.type == "user"]
    if user_columns:
        context["users"] = display.users_by_id(
            (o.custom or {}).get(c.custom_field.key) for o in objects for c in user_columns
        )
    rows = [(o, [{"css": c.css, "html": c.cell(o, context)} for c in shown]) for o in objects]
    return {"headers": [c.label for c in shown], "rows": rows, "page": page}


@login_required
def segment_detail(request, pk: int):
    segment = svc.get_segment_for_user(request.user, pk)
    broken = []
    if segment.kind == Segment.Kind.DYNAMIC:
        try:
            svc.clean_filters(segment.entity, segment.filters, request.user)
        except ValidationError as exc:
            broken = exc.messages
    table = _members_table(request, segment) if not broken else None
    context = {
        "segment": segment,
        "table": table,
        "broken": broken,
        "count": table["page"].count if table else 0,
        "can_change": segment.owner_id == request.user.pk or request.user.is_admin,
        "query": request.GET.get("q", ""),
        "rules": _describe(segment) if not broken else [],
    }
    if request.htmx and request.htmx.target == "segment-members":
        return render(request, "core/segments/partials/members.html", context)
    return render(request, "core/segments/segment_detail.html", context)


def _describe(segment: Segment) -> list[str]:
    """The segment's rules as short sentences ("Industry contains bán lẻ")."""
    specs = svc.filter_specs(segment.entity)
    ops = operator_labels()

    def describe(tree: dict, depth: int) -> list[str]:
        out = []
        joiner = _("all of") if tree.get("op", "and") == "and" else _("any of")
        if depth:
            out.append("  " * (depth - 1) + joiner + ":")
        for r in tree.get("rules", []):
            if "rules" in r:
                out.extend(describe(r, depth + 1))
                continue
            spec = specs.get(r.get("field"))
            label = spec.label if spec else r.get("field")
            value = r.get("value")
            if isinstance(value, list):
                value = ", ".join(map(str, value))
            text = f"{label} {ops.get(r.get('operator'), r.get('operator'))}"
            out.append("  " * depth + (f"{text} {value}" if value not in (None, "") else text))
        return out

    return describe(segment.filters or {}, 0)


def _tree_from_list_query(entity: str, query: str, user) -> dict:
    """A filter tree equivalent to a list URL's query (its tree, simple filters and search)."""
    cls, _url = _list_view_class(entity)
    params = QueryDict(query[:8000])
    rules = []
    tree = params.get("filter")
    if tree:
        try:
            parsed = parse_tree(tree).model_dump()
        except FilterError:
            parsed = {"rules": []}
        if parsed.get("op") == "or":
            rules.append(parsed)  # an OR group stays one group among the AND of the list's filters
        else:
            rules.extend(parsed["rules"])
    if cls is not None:
        filters = cls().bound_filters(custom_fields_for(entity))
        values = {f.name: [v for v in params.getlist(f.name) if v][:50] for f in filters}
        rules.extend(rules_from_list_filters(filters, values, params.get("q", "")[:200]))
    return {"op": "and", "rules": rules}


@login_required
def segment_edit(request, pk: int | None = None):
    """Create a segment (from scratch or from a list's filters: ``?entity=&from=<query>``) or edit one."""
    segment = None
    if pk is not None:
        try:
            segment = svc.get_segment_for_user(request.user, pk, change=True)
        except PermissionDenied:
            return forbidden(request, _("Only the owner of a segment or an administrator can change it."))
    entity = (
        segment.entity if segment else request.POST.get("entity") or request.GET.get("entity", "crm.contact")
    )
    if entity not in SEGMENT_ENTITIES or not request.user.has_right(entity, Action.VIEW):
        raise Http404
    errors: dict = {}
    if request.method == "POST":
        data = {
            "name": request.POST.get("name", ""),
            "description": request.POST.get("description", ""),
            "shared": request.POST.get("shared") == "1",
        }
        kind = segment.kind if segment else request.POST.get("kind", "dynamic")
        if kind == Segment.Kind.DYNAMIC:
            try:
                data["filters"] = json.loads(request.POST.get("filters") or "{}")
            except ValueError:
                data["filters"] = "{bad"
        try:
            if segment is None:
                ids = [i for i in request.POST.get("ids", "").replace(",", " ").split() if i]
                segment = svc.segment_create(
                    by=request.user, data={**data, "entity": entity, "kind": kind, "ids": ids}
                )
                messages.success(request, _("Segment “%(name)s” created.") % {"name": segment.name})
            else:
                svc.segment_update(segment, by=request.user, data=data)
                messages.success(request, _("Segment “%(name)s” saved.") % {"name": segment.name})
            return redirect(segment.get_absolute_url())
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"general": exc.messages}
        initial = {
            **data,
            "kind": kind,
            "filters": request.POST.get("filters") or "{}",
            "ids": request.POST.get("ids", ""),
        }
    elif segment is not None:
        initial = {
            "name": segment.name,
            "description": segment.description,
            "shared": segment.shared,
            "kind": segment.kind,
            "filters": json.dumps(segment.filters or {}, ensure_ascii=False),
        }
    else:
        tree = _tree_from_list_query(entity, request.GET.get("from", ""), request.user)
        initial = {
            "name": "",
            "description": "",
            "shared": True,
            "kind": request.GET.get("kind", "dynamic"),
            "filters": json.dumps(tree, ensure_ascii=False),
            "ids": " ".join(request.GET.getlist("ids"))[:20000],
        }
    context = {
        "segment": segment,
        "entity": entity,
        "entity_label": MODULES[entity],
        "kinds": [(e, MODULES[e]) for e in SEGMENT_ENTITIES if request.user.has_right(e, Action.VIEW)],
        "initial": initial,
        "errors": errors,
        "fields_url": reverse("filter_fields", args=[entity]),
        "check_url": reverse("filter_check", args=[entity]),
    }
    return render(request, "core/segments/segment_form.html", context, status=422 if errors else 200)


@login_required
@require_POST
def segment_delete_view(request, pk: int):
    try:
        segment = svc.get_segment_for_user(request.user, pk, change=True)
        svc.segment_delete(segment, by=request.user)
    except PermissionDenied:
        return forbidden(request, _("Only the owner of a segment or an administrator can delete it."))
    messages.success(request, _("Segment “%(name)s” deleted.") % {"name": segment.name})
    return redirect("segment_list")


@login_required
@require_POST
def segment_members_change(request, pk: int, action: str):
    """Add (``ids`` from a list selection or typed) to, or remove from, a static segment."""
    try:
        segment = svc.get_segment_for_user(request.user, pk, change=True)
    except PermissionDenied:
        return forbidden(request, _("Only the owner of a segment or an administrator can change it."))
    ids = [i for v in request.POST.getlist("ids") for i in v.replace(",", " ").split()]
    try:
        if action == "add":
            n = svc.segment_add_members(segment=segment, by=request.user, ids=ids)
            messages.success(request, ngettext("%(n)d record added.", "%(n)d records added.", n) % {"n": n})
        else:
            n = svc.segment_remove_members(segment=segment, by=request.user, ids=ids)
            messages.success(
                request, ngettext("%(n)d record removed.", "%(n)d records removed.", n) % {"n": n}
            )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect(safe_next(request, segment.get_absolute_url()))
