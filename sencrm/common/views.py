"""Generic record views: list, detail, create/edit and delete, configured by class attributes.

Every record kind (accounts now; cases, products… later) gets its pages by subclassing these,
NetBox-style (STYLE.md §6)::

    class CaseListView(ObjectListView):
        model = Case
        columns = [Column("subject", link=True), Column("status"), Column("account"), Column("owner")]
        filters = [ChoiceFilter("status"), UserFilter("owner"), TagFilter()]
        default_sort = ["-created_at"]

    class CaseDetailView(ObjectDetailView):
        model = Case
        fieldsets = [(None, ["subject", "status", "account", "description"])]

    class CaseEditView(ObjectEditView):
        model = Case
        form_class = CaseForm          # a common.forms.RecordForm

    class CaseDeleteView(ObjectDeleteView):
        model = Case

    urlpatterns = record_urls("cases", "case", list=CaseListView, detail=CaseDetailView,
                              edit=CaseEditView, delete=CaseDeleteView)

What every view does the same way:

- a visitor who is not logged in goes to the login page; a role without the module right for the
  action (view, create, change, delete) gets the 403 page;
- records are fetched only through ``visible_to`` / ``get_object_for_user`` (404 for missing and
  for out of scope alike);
- writes go through the services (``record_create``/``record_update``/``record_delete``; a view
  overrides ``save`` to call a domain service), whose validation errors land beside the fields;
- a stale ``version`` re-shows the form with the conflict instead of overwriting;
- templates are looked up as ``<app>/<model>_<kind>.html`` first, then ``components/object_<kind>.html``.
"""

import functools
from collections.abc import Sequence

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import select_template
from django.urls import NoReverseMatch, path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from sencrm.common import display, lists
from sencrm.common.access import RightDenied, get_object_for_user, merged_survivor, require_right
from sencrm.common.forms import conflict_rows
from sencrm.common.lists import Column, Filter
from sencrm.common.models import Action

PICKER_LIMIT = 10


def forbidden(request, message: str = "") -> HttpResponse:
    """The 403 page: the role lacks the module right (never used for records out of scope)."""
    return render(request, "components/forbidden.html", {"message": message}, status=403)


def requires_right(model, action: str):
    """Decorator of function views: login, then the module right (403 page without it)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            try:
                require_right(request.user, model, action)
                return view(request, *args, **kwargs)
            except RightDenied:
                return forbidden(request)

        return wrapper

    return decorator


def is_partial(request, target: str) -> bool:
    """True for an htmx request that swaps ``#target`` only (not a history restore)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request and htmx.target == target


def safe_next(request, fallback: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next")
    if nxt and url_has_allowed_host_and_scheme(nxt, {request.get_host()}, require_https=request.is_secure()):
        return nxt
    return fallback


class RecordView(View):
    """Login, module right and template lookup shared by the generic views."""

    model: type[Model]
    queryset = None
    action: str = Action.VIEW
    template_kind: str = ""

    def get_action(self, request, **kwargs) -> str:
        return self.action

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            require_right(request.user, self.model, self.get_action(request, **kwargs))
        except RightDenied:
            return forbidden(request)
        try:
            return super().dispatch(request, *args, **kwargs)
        except RightDenied:  # a service needing another module's right (e.g. lead conversion)
            return forbidden(request)

    # --- names -------------------------------------------------------------------------------------
    @property
    def meta(self):
        return self.model._meta

    def url_name(self, kind: str) -> str:
        return f"{self.meta.app_label}:{self.meta.model_name}_{kind}"

    def url(self, kind: str, *args) -> str:
        try:
            return reverse(self.url_name(kind), args=args)
        except NoReverseMatch:
            return ""

    def get_base_queryset(self):
        return self.queryset.all() if self.queryset is not None else self.model.objects.all()

    def template_names(self, kind: str | None = None) -> list[str]:
        kind = kind or self.template_kind
        return [f"{self.meta.app_label}/{self.meta.model_name}_{kind}.html", f"components/object_{kind}.html"]

    def base_context(self, request) -> dict:
        user = request.user
        return {
            "view": self,
            "model_name": self.meta.model_name,
            "verbose_name": self.meta.verbose_name,
            "verbose_name_plural": self.meta.verbose_name_plural,
            "list_url": self.url("list"),
            "create_url": self.url("create"),
            "can_create": user.has_right(self.model, Action.CREATE),
            "can_change": user.has_right(self.model, Action.CHANGE),
            "can_delete": user.has_right(self.model, Action.DELETE),
        }


# --------------------------------------------------------------------------------------------------
# List
# --------------------------------------------------------------------------------------------------
class ObjectListView(RecordView):
    """A paginated, sortable, filterable, searchable list with a column chooser.

    ``columns``: every column the user may show (``Column.default`` says which show at first);
    ``filters``: ``common.lists.Filter`` instances; ``default_sort``: field names (``-`` for
    descending) used when ``?sort=`` names no column. htmx requests aimed at ``#list-results``
    get only the table; the page's URL follows (``hx-push-url``).
    """

    template_kind = "list"
    columns: Sequence[Column] = ()
    filters: Sequence[Filter] = ()
    default_sort: Sequence[str] = ("sort_name",)
    picker_template = "components/picker_results.html"

    def get_queryset(self, request):
        return self.get_base_queryset().visible_to(request.user)

    def entity(self) -> str:
        return self.model.entity()

    def bound_columns(self, custom_fields) -> list[Column]:
        return [c.bind(self.model) for c in self.columns] + [
            Column.for_custom_field(cf) for cf in custom_fields
        ]

    def bound_filters(self, custom_fields) -> list[Filter]:
        import copy

        return [copy.copy(f).bind(self.model) for f in self.filters] + lists.custom_filters(custom_fields)

    def chosen_columns(self, request) -> list[str] | None:
        prefs = (request.user.preferences or {}).get(self.entity(), {})
        columns = prefs.get("columns") if isinstance(prefs, dict) else None
        return columns if isinstance(columns, list) else None

    def filtered(self, request, state: lists.ListState):
        qs = lists.search(self.get_queryset(request), state.query)
        for f in state.filters:
            if state.values.get(f.name):
                qs = f.apply(qs, state.values[f.name], request)
        return self.apply_advanced_filter(request, qs, state)

    def apply_advanced_filter(self, request, qs, state: lists.ListState):
        """The ``?filter=`` tree (issue 3, ``common.filtering``) on top of the simple filters."""
        from sencrm.core.views.segments import apply_list_tree

        return apply_list_tree(self, request, qs, state)

    def get(self, request):
        from sencrm.core.services.custom_fields import custom_fields_for
        from sencrm.core.views.segments import saved_view_from_request

        if request.GET.get("picker"):
            return self.picker(request)
        if request.GET.get("panel") == "filters":
            return self.filter_panel(request)
        custom_fields = custom_fields_for(self.entity())
        columns = self.bound_columns(custom_fields)
        filters = self.bound_filters(custom_fields)
        saved_view = saved_view_from_request(self, request)  # ?view=<id>: its filters, columns, sort
        chosen = (saved_view.columns if saved_view else None) or self.chosen_columns(request)
        state = lists.parse_state(request, columns, filters, chosen)
        state.saved_view = saved_view
        terms = state.sort_terms(self.default_sort, self.model)
        qs = self.filtered(request, state).order_by(*(t.expression() for t in terms))
        related = {r for c in state.shown for r in c.select_related}
        prefetch = {r for c in state.shown for r in c.prefetch_related}
        qs = qs.select_related(*sorted(related)).prefetch_related(*sorted(prefetch))
        page = lists.paginate_list(qs, state, terms)
        objects = page.objects
        cell_context = {"request": request}
        user_columns = [
            c for c in state.shown if c.custom_field is not None and c.custom_field.type == "user"
        ]
        if user_columns:
            ids = [(o.custom or {}).get(c.custom_field.key) for o in objects for c in user_columns]
            cell_context["users"] = display.users_by_id(ids)
        rows = [(obj, lists.Cells(state.shown, obj, cell_context)) for obj in objects]
        context = {
            **self.base_context(request),
            "state": state,
            "page": page,
            "rows": rows,
            "sort_links": state.sort_links(),
            "filtering": bool(state.query or state.active_filters or request.GET.get("filter")),
        }
        partial = is_partial(request, "list-results")
        if partial:
            template = "components/list_results.html"
        else:
            template = select_template(self.template_names()).template.name
            context["has_filters"] = bool(state.filters)
            if state.active_filters:
                # The panel is open: its options now. Closed, it loads them when first opened
                # (``filter_panel``): the owners, branches, tags… of a big company cost a few ms.
                context["filter_widgets"] = self.filter_widgets(request, state)
            context.update(self.get_extra_context(request))
        response = render(request, template, context)
        patch_vary_headers(response, ["HX-Request", "HX-Target"])
        return response

    def get_extra_context(self, request) -> dict:
        return {}

    def filter_panel(self, request):
        """The filter panel's widgets (htmx, when the collapsed panel is first opened)."""
        from sencrm.core.services.custom_fields import custom_fields_for

        custom_fields = custom_fields_for(self.entity())
        state = lists.parse_state(request, [], self.bound_filters(custom_fields), None)
        context = {"filter_widgets": self.filter_widgets(request, state), "list_url": self.url("list")}
        return render(request, "components/filter_panel.html", context)

    def filter_widgets(self, request, state: lists.ListState) -> list[dict]:
        widgets = []
        for f in state.filters:
            selected = state.values.get(f.name, [])
            options = f.options(request)
            widgets.append(
                {
                    "name": f.name,
                    "label": f.label,
                    "multiple": f.multiple,
                    "options": options,
                    "selected": selected,
                    "chips": f.labels(request, selected) if selected and not options else [],
                }
            )
        return widgets

    def post(self, request):
        """Save the column chooser's choice in the user's preferences, then show the list again."""
        from sencrm.core.services.custom_fields import custom_fields_for

        columns = {c.name for c in self.bound_columns(custom_fields_for(self.entity()))}
        prefs = dict(request.user.preferences or {})
        entry = dict(prefs.get(self.entity()) or {})
        if request.POST.get("reset"):
            entry.pop("columns", None)
        else:
            chosen = [c for c in request.POST.getlist("columns") if c in columns]
            if chosen:
                entry["columns"] = chosen
        prefs[self.entity()] = entry
        request.user.preferences = prefs
        request.user.save(update_fields=["preferences"])
        return redirect(safe_next(request, self.url("list")))

    # --- object picker -----------------------------------------------------------------------------
    def picker_detail(self, obj) -> str:
        """A second line under each match in the picker (override per model)."""
        return ""

    def picker(self, request):
        qs = lists.search(self.get_queryset(request), request.GET.get("q", ""))
        objects = list(qs.order_by(*lists.default_order(self.default_sort, self.model))[:PICKER_LIMIT])
        matches = [{"pk": o.pk, "label": str(o), "detail": self.picker_detail(o)} for o in objects]
        return render(request, self.picker_template, {"matches": matches, "query": request.GET.get("q", "")})


# --------------------------------------------------------------------------------------------------
# Detail
# --------------------------------------------------------------------------------------------------
class ObjectDetailView(RecordView):
    """One record: its fields, custom fields, tags, who and when, the audit trail, related lists.

    ``fieldsets``: ``[(title, [entry])]``, an entry being a field name, ``"name:kind"`` to force
    the formatting (``description:multiline``), or ``(label, callable(obj) → HTML)``. Subclasses add
    related lists through ``get_extra_context(request, obj)``.
    """

    template_kind = "detail"
    fieldsets: Sequence[tuple] = ()
    audit_limit = 50

    def get_object(self, request, pk):
        qs = self.get_base_queryset().select_related("owner", "team", "branch", "created_by", "updated_by")
        return get_object_for_user(qs.prefetch_related("tags"), request.user, pk)

    def get_extra_context(self, request, obj) -> dict:
        return {}

    def field_rows(self, obj) -> list[dict]:
        sets = []
        for title, entries in self.fieldsets:
            rows = []
            for entry in entries:
                if isinstance(entry, tuple):
                    label, func = entry
                    rows.append({"label": label, "value": func(obj)})
                else:
                    name, _sep, kind = entry.partition(":")
                    rows.append(
                        {
                            "label": display.field_label(self.model, name),
                            "value": display.display_value(obj, name, kind or None),
                            "wide": kind == "multiline",
                        }
                    )
            if len(rows) == 1 and rows[0]["value"] is display.EMPTY:
                continue  # a lone empty field (a description) is not worth a card
            sets.append({"title": title, "rows": rows})
        return sets

    def get(self, request, pk):
        from sencrm.core.services.audit import audit_history
        from sencrm.core.services.custom_fields import custom_fields_for
        from sencrm.core.services.notifications import recent_view_record

        try:
            obj = self.get_object(request, pk)
        except Http404:
            # A record merged into another (issue 3) sends its old links to the survivor.
            survivor = merged_survivor(self.get_base_queryset(), request.user, pk)
            if survivor is None:
                raise
            return redirect(survivor.get_absolute_url())
        custom_fields = custom_fields_for(self.model.entity())
        users = display.users_by_id(
            (obj.custom or {}).get(cf.key) for cf in custom_fields if cf.type == "user"
        )
        custom_rows = [
            {"label": cf.label, "value": display.custom_display(cf, (obj.custom or {}).get(cf.key), users)}
            for cf in custom_fields
        ]
        entries = audit_history(entity=self.model.entity(), object_ids=[obj.pk], limit=self.audit_limit)
        context = {
            **self.base_context(request),
            "object": obj,
            "obj": obj,
            "fieldsets": self.field_rows(obj),
            "custom_rows": custom_rows,
            "audit": display.audit_rows(self.model, entries, custom_fields),
            "edit_url": self.url("edit", obj.pk),
            "delete_url": self.url("delete", obj.pk),
            **self.get_extra_context(request, obj),
        }
        if not request.htmx:
            recent_view_record(user=request.user, instance=obj)
        return render(request, self.template_names(), context)


# --------------------------------------------------------------------------------------------------
# Create / edit
# --------------------------------------------------------------------------------------------------
class ObjectEditView(RecordView):
    """Create (no ``pk``) or edit a record with ``form_class`` (a ``common.forms.RecordForm``).

    Override ``save`` to call a domain service; ``get_initial`` to prefill a new record from the
    query string.
    """

    template_kind = "form"
    form_class = None

    def get_action(self, request, **kwargs) -> str:
        return Action.CHANGE if kwargs.get("pk") else Action.CREATE

    def get_object(self, request, pk):
        if pk is None:
            return self.model()
        return get_object_for_user(self.get_base_queryset(), request.user, pk, Action.CHANGE)

    def get_initial(self, request) -> dict:
        return {}

    def make_form(self, request, obj, data=None, custom_fields=None):
        return self.form_class(
            data,
            user=request.user,
            instance=obj,
            initial=self.get_initial(request) if obj.pk is None else {},
            custom_fields=custom_fields,
        )

    def save(self, request, form, obj):
        from sencrm.core.services.records import record_create, record_update

        if obj.pk is None:
            return record_create(
                self.model,
                by=request.user,
                data=form.service_data(),
                custom=form.custom_values(),
                tags=form.tag_names(),
            )
        return record_update(
            obj,
            by=request.user,
            data=form.service_data(),
            custom=form.custom_values(),
            tags=form.tag_names(),
            expected_version=form.expected_version(),
        )

    def get(self, request, pk=None):
        obj = self.get_object(request, pk)
        return self.render_form(request, obj, self.make_form(request, obj))

    def post(self, request, pk=None):
        from sencrm.core.services.records import ConflictError

        obj = self.get_object(request, pk)
        form = self.make_form(request, obj, request.POST)
        conflict = None
        if form.is_valid():
            try:
                saved = self.save(request, form, obj)
            except ConflictError as exc:
                current = exc.instance
                conflict = {"current": current, "rows": conflict_rows(form, current)}
                # Rebind with the current version: saving again now overwrites knowingly.
                data = request.POST.copy()
                data["version"] = str(current.version)
                form = self.make_form(request, obj, data, custom_fields=form.custom_fields)
                form.is_valid()
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                return self.saved(request, saved, created=obj.pk is None)
        status = 409 if conflict else 200
        return self.render_form(request, obj, form, conflict=conflict, status=status)

    def saved(self, request, obj, *, created: bool):
        if created:
            messages.success(request, _("%(name)s was created.") % {"name": obj})
        else:
            messages.success(request, _("Your changes to %(name)s were saved.") % {"name": obj})
        fallback = obj.get_absolute_url()
        if not self.model.objects.visible_to(request.user).filter(pk=obj.pk).exists():
            # Given to someone outside the user's scope: the record page would answer 404.
            fallback = self.url("list")
        return redirect(safe_next(request, fallback))

    def render_form(self, request, obj, form, *, conflict=None, status=200):
        context = {
            **self.base_context(request),
            "object": obj if obj.pk else None,
            "obj": obj,
            "form": form,
            "layout": form.layout(),
            "conflict": conflict,
            "cancel_url": obj.get_absolute_url() if obj.pk else self.url("list"),
            "next": request.GET.get("next") or request.POST.get("next", ""),
        }
        return render(request, self.template_names(), context, status=status)


# --------------------------------------------------------------------------------------------------
# Delete
# --------------------------------------------------------------------------------------------------
class ObjectDeleteView(RecordView):
    """Confirm, then move the record to the Trash (``record_delete``), with the module right delete."""

    template_kind = "delete"
    action = Action.DELETE

    def get_object(self, request, pk):
        return get_object_for_user(self.get_base_queryset(), request.user, pk, Action.DELETE)

    def template_names(self, kind=None):
        return [f"{self.meta.app_label}/{self.meta.model_name}_delete.html", "components/delete_confirm.html"]

    def get(self, request, pk):
        obj = self.get_object(request, pk)
        return render(
            request, self.template_names(), {**self.base_context(request), "object": obj, "obj": obj}
        )

    def post(self, request, pk):
        obj = self.get_object(request, pk)
        self.delete(request, obj)
        messages.success(request, _("%(name)s was moved to the Trash.") % {"name": obj})
        return redirect(self.url("list"))

    def delete(self, request, obj) -> None:
        from sencrm.core.services.records import record_delete

        record_delete(obj, by=request.user)


def related_list(
    *,
    key: str,
    title: str,
    queryset,
    columns: Sequence[Column],
    all_url: str = "",
    add_url: str = "",
    empty: str = "",
    limit: int = 10,
) -> dict:
    """A short list of related records on a detail page (always two queries: rows and count)."""
    model = queryset.model
    bound = [c.bind(model) for c in columns]
    related = sorted({r for c in bound for r in c.select_related})
    prefetch = sorted({r for c in bound for r in c.prefetch_related})
    objects = list(queryset.select_related(*related).prefetch_related(*prefetch)[:limit])
    return {
        "key": key,
        "title": title,
        "headers": [c.label for c in bound],
        "rows": [[c.cell(o, {}) for c in bound] for o in objects],
        "count": queryset.count(),
        "all_url": all_url,
        "add_url": add_url,
        "empty": empty or _("Nothing yet."),
    }


# --------------------------------------------------------------------------------------------------
# URLs and small shared endpoints
# --------------------------------------------------------------------------------------------------
def record_urls(prefix: str, name: str, *, list=None, detail=None, edit=None, delete=None) -> list:  # noqa: A002
    """The standard URL patterns of a record kind: ``<name>_list|_detail|_create|_edit|_delete``."""
    patterns = []
    if list is not None:
        patterns.append(path(f"{prefix}/", list.as_view(), name=f"{name}_list"))
    if edit is not None:
        patterns.append(path(f"{prefix}/new/", edit.as_view(), name=f"{name}_create"))
        patterns.append(path(f"{prefix}/<int:pk>/edit/", edit.as_view(), name=f"{name}_edit"))
    if detail is not None:
        patterns.append(path(f"{prefix}/<int:pk>/", detail.as_view(), name=f"{name}_detail"))
    if delete is not None:
        patterns.append(path(f"{prefix}/<int:pk>/delete/", delete.as_view(), name=f"{name}_delete"))
    return patterns


def ward_options(request):
    """``<option>``s of the wards of ``?province=`` (the address form reloads the ward select)."""
    from sencrm.core.models import Ward

    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    province = request.GET.get("province", "")
    wards = Ward.objects.filter(province_id=int(province)) if province.isdigit() else Ward.objects.none()
    return render(request, "components/ward_options.html", {"wards": wards})
