"""Small helpers the CRM record views share."""

from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from sencrm.common.display import EMPTY


def url_or_empty(name: str, *args, query: str = "") -> str:
    """``reverse(name)`` plus ``?query``, or "" when the page is not installed (yet)."""
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return ""
    return f"{url}?{query}" if query else url


def badge(text, color: str = "secondary"):
    if not text:
        return EMPTY
    return format_html('<span class="badge bg-{}-lt">{}</span>', color, text)
