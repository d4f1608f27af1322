"""Target pages (Chỉ tiêu): the list with attainment, setting targets (managers), the team
leaderboard, and the home page widget with the user's own progress."""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sencrm.common.models import Action
from sencrm.common.views import forbidden, requires_right
from sencrm.core.forms import apply_errors
from sencrm.core.services.records import ConflictError
from sencrm.sales.forms_planning import TargetForm
from sencrm.sales.models import Target
from sencrm.sales.services.forecast import period_end, period_label, period_start
from sencrm.sales.services.targets import (
    branches_in_scope,
    can_set_targets,
    get_target_for_user,
    leaderboard,
    target_create,
    target_delete,
    target_update,
    targets_for_home,
    teams_in_scope,
    users_in_scope,
    with_attainment,
)

LIST_LIMIT = 200


def home_targets_context(request) -> dict | None:
    """The home page widget: the user's own and team's targets running today (None: none)."""
    user = request.user
    if not user.has_right(Target, Action.VIEW):
        return None
    targets = targets_for_home(user, timezone.localdate())
    if not targets:
        return None
    return {"targets": targets}


@requires_right(Target, Action.VIEW)
def target_list(request):
    """This year's targets the user sees (by default), each with its attainment (two queries)."""
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    qs = (
        Target.objects.visible_to(request.user)
        .filter(start__year=year)
        .select_related("owner", "team", "branch", "province")
        .order_by("start", "subject", "id")
    )
    targets = with_attainment(list(qs[:LIST_LIMIT]))
    context = {
        "targets": targets,
        "year": year,
        "years": [year - 1, year, year + 1],
        "can_set": can_set_targets(request.user),
        "truncated": len(targets) == LIST_LIMIT,
    }
    return render(request, "sales/target_list.html", context)


def _form(user, data=None, initial=None) -> TargetForm:
    return TargetForm(
        data,
        initial=initial,
        users=users_in_scope(user),
        teams=teams_in_scope(user),
        branches=branches_in_scope(user),
    )


@requires_right(Target, Action.CREATE)
def target_create_view(request):
    if not can_set_targets(request.user):
        return forbidden(request, _("Only managers set targets, for the people and teams they manage."))
    form = _form(request.user, request.POST or None, initial=TargetForm.initial_for(None))
    if request.method == "POST" and form.is_valid():
        try:
            target = target_create(by=request.user, data=form.service_data())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The target “%(target)s” has been set.") % {"target": target})
            return redirect("sales:target_list")
    return render(request, "sales/target_form.html", {"form": form, "target": None})


@requires_right(Target, Action.CHANGE)
def target_edit_view(request, pk: int):
    target = get_target_for_user(request.user, pk, Action.CHANGE)
    form = _form(request.user, request.POST or None, initial=TargetForm.initial_for(target))
    conflict = False
    if request.method == "POST" and form.is_valid():
        try:
            target = target_update(
                target=target,
                by=request.user,
                data=form.service_data(),
                expected_version=form.cleaned_data.get("version"),
            )
        except ConflictError:
            conflict = True
            form.add_error(None, _("Someone changed this target meanwhile. Reload the page and try again."))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The target “%(target)s” has been saved.") % {"target": target})
            return redirect("sales:target_list")
    status = 409 if conflict else 200
    return render(request, "sales/target_form.html", {"form": form, "target": target}, status=status)


@require_POST
@requires_right(Target, Action.DELETE)
def target_delete_view(request, pk: int):
    target = get_target_for_user(request.user, pk, Action.DELETE)
    target_delete(target=target, by=request.user)
    messages.success(request, _("The target “%(target)s” has been moved to the Trash.") % {"target": target})
    return redirect("sales:target_list")


@requires_right(Target, Action.VIEW)
def leaderboard_view(request):
    """The reps a manager manages, ranked by attainment of their revenue target for the period."""
    if not can_set_targets(request.user):
        raise Http404
    granularity = "quarter" if request.GET.get("period") == "quarter" else "month"
    try:
        day = datetime.date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        day = timezone.localdate()
    start = period_start(day, granularity)
    end = period_end(start, granularity)
    rows = leaderboard(request.user, start=start, end=end)
    previous = period_start(start - datetime.timedelta(days=1), granularity)
    following = end + datetime.timedelta(days=1)
    context = {
        "rows": rows,
        "granularity": granularity,
        "label": period_label(start, granularity),
        "previous": previous.isoformat(),
        "following": following.isoformat(),
    }
    return render(request, "sales/target_leaderboard.html", context)
