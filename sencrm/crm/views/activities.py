"""Activities (Hoạt động): calls, meetings, tasks, logged emails and notes; "mark done"."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sencrm.common.access import get_object_for_user
from sencrm.common.display import EMPTY, record_url
from sencrm.common.lists import (
    BranchFilter,
    CallableFilter,
    ChoiceFilter,
    Column,
    RelatedFilter,
    TagFilter,
    TeamFilter,
    UserFilter,
    today_range,
)
from sencrm.common.models import Action
from sencrm.common.views import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    requires_right,
    safe_next,
)
from sencrm.core.services.records import ConflictError
from sencrm.crm.forms import ActivityForm
from sencrm.crm.models import Activity
from sencrm.crm.services.activities import activity_complete

LINKS = ("account", "contact", "lead", "opportunity")


def _state(qs, value, request=None):
    now = timezone.now()
    start, end = today_range()
    if value == "overdue":
        return qs.filter(done=False, due_at__lt=now)
    if value == "today":
        return qs.filter(done=False).filter(
            Q(due_at__gte=start, due_at__lt=end) | Q(start_at__gte=start, start_at__lt=end)
        )
    if value == "upcoming":
        return qs.filter(done=False, occurred_at__gte=end)
    return qs.filter(done=True)


STATE_FILTER = CallableFilter(
    "state",
    gettext_lazy("When"),
    [
        ("overdue", gettext_lazy("Overdue")),
        ("today", gettext_lazy("Today")),
        ("upcoming", gettext_lazy("Upcoming")),
        ("done", gettext_lazy("Done")),
    ],
    _state,
)


def done_button(obj):
    """The done state, or a "mark done" button that completes the activity in place (htmx)."""
    from django.template.loader import render_to_string

    return format_html("{}", render_to_string("crm/partials/activity_done.html", {"activity": obj}))


def related_links(obj):
    links = [getattr(obj, name) for name in LINKS if getattr(obj, f"{name}_id")]
    if not links:
        return EMPTY
    return format_html_join(
        ", ", '<a href="{}">{}</a>', ((record_url(o), o) for o in links if o.deleted_at is None)
    )


def when(obj):
    value = obj.due_at or obj.start_at or obj.occurred_at
    from sencrm.common.display import format_datetime

    overdue = not obj.done and obj.due_at and obj.due_at < timezone.now()
    css = "text-danger fw-medium" if overdue else ""
    return format_html('<span class="text-nowrap {}">{}</span>', css, format_datetime(value))


class ActivityListView(ObjectListView):
    model = Activity
    columns = [
        Column("done", label=gettext_lazy("Done"), render=done_button, css="w-1"),
        Column("subject", link=True),
        Column("kind"),
        Column("occurred_at", label=gettext_lazy("When"), render=when),
        Column(
            "related",
            label=gettext_lazy("Related to"),
            render=related_links,
            sort=None,
            select_related=LINKS,
        ),
        Column("priority", default=False),
        Column("call_result", default=False),
        Column("owner"),
        Column("tags", default=False),
        Column("created_at", default=False),
    ]
    filters = [
        STATE_FILTER,
        ChoiceFilter("kind"),
        UserFilter("owner"),
        BranchFilter(),
        TeamFilter(),
        TagFilter(),
        ChoiceFilter("priority"),
        RelatedFilter("account"),
        RelatedFilter("contact"),
        RelatedFilter("lead"),
        RelatedFilter("opportunity"),
    ]
    default_sort = ["-occurred_at"]


class ActivityDetailView(ObjectDetailView):
    model = Activity
    queryset = Activity.objects.select_related(*LINKS)
    fieldsets = [
        (
            None,
            ["kind", "priority", "due_at", "start_at", "end_at", "location", "remind_at", "done", "done_at"],
        ),
        (gettext_lazy("Call"), ["direction", "call_duration", "call_result"]),
        (gettext_lazy("Related to"), list(LINKS)),
        (gettext_lazy("Description"), ["description:multiline", "outcome:multiline"]),
    ]

    def field_rows(self, obj):
        sets = super().field_rows(obj)
        if obj.kind != Activity.Kind.CALL:
            sets = [s for s in sets if s["title"] != _("Call")]
        return sets


class ActivityEditView(ObjectEditView):
    model = Activity
    form_class = ActivityForm

    def get_initial(self, request) -> dict:
        initial = {}
        for name in LINKS:
            value = request.GET.get(name, "")
            if value.isdigit():
                initial[name] = int(value)
        kind = request.GET.get("kind", "")
        if kind in Activity.Kind.values:
            initial["kind"] = kind
        return initial


class ActivityDeleteView(ObjectDeleteView):
    model = Activity


@require_POST
@requires_right(Activity, Action.CHANGE)
def activity_complete_view(request, pk):
    """Mark an activity done: the button swaps itself for the done badge (htmx), else redirect."""
    activity = get_object_for_user(Activity.objects.all(), request.user, pk, Action.CHANGE)
    error = ""
    try:
        activity = activity_complete(
            activity=activity, by=request.user, outcome=request.POST.get("outcome", "")
        )
    except (ValidationError, ConflictError) as exc:
        error = "; ".join(getattr(exc, "messages", [])) or _("The activity could not be marked done.")
    if request.htmx:
        return render(request, "crm/partials/activity_done.html", {"activity": activity, "error": error})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("%(name)s is done.") % {"name": activity})
    return redirect(safe_next(request, activity.get_absolute_url()))
