"""The home page: my overdue and today's activities, my open deals by stage, recently viewed
records and notifications (issue 2, item 10). Each block is also an htmx fragment."""

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sencrm.common.access import get_object_for_user
from sencrm.common.models import Action, VisibleQuerySet
from sencrm.core.models import Notification
from sencrm.core.services.notifications import notifications_mark_read, recent_views_for
from sencrm.core.services.records import ConflictError
from sencrm.core.widgets import home_widgets
from sencrm.crm.models import Activity
from sencrm.crm.services.activities import activities_due_for, activity_complete
from sencrm.crm.services.opportunities import open_opportunities_by_stage

TASKS_SHOWN = 10
RECENT_SHOWN = 10
NOTIFICATIONS_SHOWN = 10


def _visible_recent_views(user) -> list:
    """The user's recently viewed records that they may still see (two queries at most).

    One query reads the list; one UNION query asks every record kind in it which ids stay visible.
    """
    recent = list(recent_views_for(user, RECENT_SHOWN))
    ids_by_entity: dict[str, list[int]] = {}
    for view in recent:
        ids_by_entity.setdefault(view.entity, []).append(view.object_id)
    checks = []
    for entity, ids in ids_by_entity.items():
        try:
            model = apps.get_model(entity)
        except (LookupError, ValueError):
            continue
        qs = model._default_manager.all()
        if not isinstance(qs, VisibleQuerySet):
            continue
        checks.append(qs.visible_to(user).filter(pk__in=ids).order_by().values_list(Value(entity), "pk"))
    checks = [qs for qs in checks if not qs.query.is_empty()]
    if not checks:
        return []
    union = checks[0].union(*checks[1:], all=True) if len(checks) > 1 else checks[0]
    visible = {(entity, pk) for entity, pk in union}
    return [view for view in recent if (view.entity, view.object_id) in visible]


def _notifications(user) -> list[Notification]:
    """The latest notifications, unread first (one query)."""
    unread_first = Case(
        When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return list(
        Notification.objects.filter(user=user).order_by(unread_first, "-created_at", "-id")[
            :NOTIFICATIONS_SHOWN
        ]
    )


def _tasks_context(user) -> dict:
    overdue, today = activities_due_for(user=user, limit=TASKS_SHOWN)
    return {
        "overdue": overdue[:TASKS_SHOWN],
        "overdue_more": len(overdue) > TASKS_SHOWN,
        "today": today[:TASKS_SHOWN],
        "today_more": len(today) > TASKS_SHOWN,
    }


@login_required
def home(request):
    user = request.user
    stages = open_opportunities_by_stage(user=user)
    context = {
        **_tasks_context(user),
        "stages": stages,
        "several_pipelines": len({s.pipeline_id for s in stages}) > 1,
        "recent": _visible_recent_views(user),
        "notifications": _notifications(user),
        # Widgets of higher apps (sales' targets), registered in core.widgets.
        "widgets": home_widgets(request),
    }
    return render(request, "crm/home.html", context)


@login_required
@require_POST
def task_done(request, pk: int):
    """Mark one of the home page's activities done (htmx): answer the refreshed task list."""
    activity = get_object_for_user(Activity.objects.all(), request.user, pk, action=Action.CHANGE)
    error = ""
    try:
        version = int(request.POST["version"]) if request.POST.get("version") else None
    except ValueError:
        version = None
    try:
        activity_complete(activity=activity, by=request.user, expected_version=version)
    except ConflictError:
        error = _("Someone changed “%(subject)s” meanwhile. The list below is up to date; try again.") % {
            "subject": activity.subject
        }
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if not request.htmx:
        if error:
            messages.warning(request, error)
        return redirect("crm:home")
    context = {**_tasks_context(request.user), "task_error": error}
    return render(request, "crm/partials/home_tasks.html", context, status=409 if error else 200)


@login_required
@require_POST
def notifications_read(request):
    """Mark one notification (``id``) or all of the user's notifications read; answer the block."""
    ids = None
    if request.POST.get("id"):
        try:
            ids = [int(request.POST["id"])]
        except ValueError:
            ids = []
    notifications_mark_read(user=request.user, ids=ids)
    if not request.htmx:
        return redirect("crm:home")
    # The unread count comes from the navigation context processor, read after the update.
    return render(
        request, "crm/partials/home_notifications.html", {"notifications": _notifications(request.user)}
    )
