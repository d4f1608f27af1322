"""Per-user language and time zone, taken from the profile on every request."""

import zoneinfo

from django.conf import settings
from django.utils import timezone, translation


class UserLanguageMiddleware:
    """Activate the language of the logged-in user's profile, else the cookie, else Vietnamese.

    Runs before authentication so it reads the user lazily from the session.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.contrib.auth import get_user

        user = get_user(request)
        request._cached_user = user
        language = getattr(user, "language", None) if user.is_authenticated else None
        language = language or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or settings.LANGUAGE_CODE
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        try:
            response = self.get_response(request)
            # The API may have switched to a token user's language after this middleware ran.
            response.headers.setdefault("Content-Language", translation.get_language())
        finally:
            translation.deactivate()
        return response


class UserTimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tz = getattr(request.user, "time_zone", None) if request.user.is_authenticated else None
        try:
            timezone.activate(zoneinfo.ZoneInfo(tz or settings.TIME_ZONE))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.activate(zoneinfo.ZoneInfo(settings.TIME_ZONE))
        return self.get_response(request)
