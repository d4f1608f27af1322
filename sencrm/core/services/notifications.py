"""In-app notifications and the recently-viewed list."""

from django.utils import timezone

from sencrm.core.models import Notification, RecentView

RECENT_KEEP = 20


def notification_send(*, user, text: str, url: str = "") -> Notification:
    """Tell ``user`` something in the app (the bell in the top bar)."""
    return Notification.objects.create(user=user, text=text[:255], url=url[:255])


def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the user's notifications (all, or the given ones) as read; return how many changed."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def recent_view_record(*, user, instance) -> None:
    """Remember that ``user`` opened ``instance`` (one row per user and record)."""
    RecentView.objects.update_or_create(
        user=user,
        entity=instance._meta.label_lower,
        object_id=instance.pk,
        defaults={
            "title": str(instance)[:255],
            "url": instance.get_absolute_url(),
            "viewed_at": timezone.now(),
        },
    )


def recent_views_for(user, limit: int = 10):
    return RecentView.objects.filter(user=user).order_by("-viewed_at")[:limit]
