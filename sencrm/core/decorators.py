"""View decorators of the core pages."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def admin_required(view):
    """Let administrators in (role with ``is_admin`` or superuser); answer 403 to everyone else.

    The settings pages are not records, so a denied user gets 403 rather than the 404 that hides
    records (STYLE.md §5): the menu never links there for them, and there is nothing to leak.
    """

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
