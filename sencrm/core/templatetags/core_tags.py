"""Template filters of the core pages."""

import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def minutes(value: datetime.timedelta | None) -> int:
    """Whole minutes of a duration, rounded up (the lockout page: "try again in 15 minutes")."""
    if not value:
        return 0
    return max(1, -(-int(value.total_seconds()) // 60))


@register.filter(expects_localtime=False)
def from_now(value: datetime.timedelta | None) -> datetime.datetime | None:
    """The moment ``value`` from now."""
    return timezone.now() + value if value else None
