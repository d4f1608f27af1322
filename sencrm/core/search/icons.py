"""Outline icons of the record kinds in search results (Tabler icons, MIT), rendered inline."""

from django.utils.html import format_html, format_html_join

ICONS: dict[str, tuple[str, ...]] = {
    "building": ("M3 21l18 0", "M9 8l1 0", "M9 12l1 0", "M9 16l1 0", "M14 8l1 0", "M14 12l1 0",
                 "M14 16l1 0", "M5 21v-16a2 2 0 0 1 2 -2h10a2 2 0 0 1 2 2v16"),
    "user": ("M8 7a4 4 0 1 0 8 0a4 4 0 0 0 -8 0", "M6 21v-2a4 4 0 0 1 4 -4h4a4 4 0 0 1 4 4v2"),
    "target": ("M11 12a1 1 0 1 0 2 0a1 1 0 1 0 -2 0", "M7 12a5 5 0 1 0 10 0a5 5 0 1 0 -10 0",
               "M3 12a9 9 0 1 0 18 0a9 9 0 1 0 -18 0"),
    "coin": ("M3 12a9 9 0 1 0 18 0a9 9 0 1 0 -18 0",
             "M14.8 9a2 2 0 0 0 -1.8 -1h-2a2 2 0 1 0 0 4h2a2 2 0 1 1 0 4h-2a2 2 0 0 1 -1.8 -1",
             "M12 7v10"),
    "search": ("M10 10m-7 0a7 7 0 1 0 14 0a7 7 0 1 0 -14 0", "M21 21l-6 -6"),
    "dot": ("M9 12a3 3 0 1 0 6 0a3 3 0 1 0 -6 0",),
}  # fmt: skip


def icon_html(name: str, css: str = ""):
    """An inline SVG icon hidden from screen readers (the kind's name is written beside it)."""
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="icon {}" width="24" height="24" viewBox="0 0 24 24" '
        'stroke-width="2" stroke="currentColor" fill="none" stroke-linecap="round" stroke-linejoin="round" '
        'aria-hidden="true" focusable="false">{}</svg>',
        css,
        format_html_join("", '<path d="{}"/>', ((d,) for d in ICONS.get(name, ICONS["dot"]))),
    )
