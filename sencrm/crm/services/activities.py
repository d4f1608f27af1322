"""Activities: completing them, and the reminders the periodic task sends (C5, L8)."""

import datetime
import zoneinfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from sencrm.core.services.notifications import notification_send
from sencrm.core.services.records import record_update
from sencrm.crm.models import Activity, Contact


def activity_complete(
    *, activity: Activity, by, outcome: str = "", expected_version: int | None = None
) -> Activity:
    """Mark an activity done (with its outcome); a done call or meeting updates 'last contacted'."""
    data = {"done": True}
    if outcome:
        data["outcome"] = outcome
    with transaction.atomic():
        activity = record_update(activity, by=by, data=data, expected_version=expected_version)
        if activity.contact_id and activity.kind in (
            Activity.Kind.CALL,
            Activity.Kind.MEETING,
            Activity.Kind.EMAIL,
        ):
            Contact.objects.filter(pk=activity.contact_id).update(last_contacted_at=activity.done_at)
    return activity


def reminders_send(now=None) -> int:
    """Notify each owner of the activities whose reminder time has come; safe to run twice.

    Each activity is claimed with a conditional UPDATE, so two workers never notify twice.
    """
    now = now or timezone.now()
    sent = 0
    due = Activity.objects.reminders_due(now).select_related("owner")
    for activity in due:
        with transaction.atomic():
            claimed = Activity.objects.filter(pk=activity.pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
            if not claimed:
                continue
            with override(activity.owner.language):
                text = _("Reminder: %(subject)s") % {"subject": activity.subject}
            notification_send(user=activity.owner, text=text, url=activity.get_absolute_url())
            sent += 1
    return sent


def _user_zone(user) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def activities_due_for(*, user, now=None, limit: int = 20) -> tuple[list[Activity], list[Activity]]:
    """The user's own pending activities: ``(overdue, due later today)`` in the user's time zone.

    Overdue: due before ``now``; today: due from ``now`` to the end of the user's day. Each list
    holds at most ``limit + 1`` rows so the page can tell there are more (two queries).
    """
    now = now or timezone.now()
    today = timezone.localtime(now, _user_zone(user)).date()
    end_of_day = datetime.datetime.combine(
        today + datetime.timedelta(days=1), datetime.time(), _user_zone(user)
    )
    mine = (
        Activity.objects.visible_to(user)
        .pending()
        .filter(owner=user, due_at__isnull=False)
        .select_related("account", "contact", "lead", "opportunity")
    )
    overdue = list(mine.filter(due_at__lt=now).order_by("due_at", "id")[: limit + 1])
    today_items = list(
        mine.filter(due_at__gte=now, due_at__lt=end_of_day).order_by("due_at", "id")[: limit + 1]
    )
    return overdue, today_items
