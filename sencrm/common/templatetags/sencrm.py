"""Template filters every page uses: money, phone numbers, field values, form widgets."""

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language

from sencrm.common.phones import format_phone

register = template.Library()


@register.filter
def money(value, currency: str = "VND") -> str:
    """'1.250.000 ₫' in Vietnamese, '₫1,250,000' in English; other currencies by their code."""
    if value in (None, ""):
        return ""
    amount = number_format(int(value), decimal_pos=0, use_l10n=True, force_grouping=True)
    if (currency or "VND") != "VND":
        return f"{amount} {currency}"
    if get_language() == "vi":
        return f"{amount}\u00a0₫"
    return f"₫{amount}"


@register.filter
def phone(value) -> str:
    return format_phone(value) if value else ""


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` for dicts in templates (custom field values)."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@register.filter
def startswith(value, prefix) -> bool:
    """``request.path|startswith:item.url`` (the active menu item)."""
    return bool(prefix) and str(value).startswith(str(prefix))


@register.filter
def display(obj, name: str):
    """HTML of field ``name`` of ``obj`` formatted like lists and detail pages (common.display)."""
    from sencrm.common.display import display_value

    return display_value(obj, name)


@register.filter
def short_date(value) -> str:
    """dd/mm/yyyy (dates) or dd/mm/yyyy hh:mm (datetimes in the user's time zone)."""
    from sencrm.common.display import format_date, format_datetime

    if value in (None, ""):
        return ""
    import datetime

    if isinstance(value, datetime.datetime):
        return format_datetime(value)
    return format_date(value)


@register.filter
def widget(bound_field):
    """Render a form field's widget with Tabler's ``is-invalid`` when it has errors."""
    attrs = {}
    css = bound_field.field.widget.attrs.get("class", "")
    if bound_field.errors:
        attrs["class"] = f"{css} is-invalid".strip()
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{bound_field.auto_id}_error"
    elif bound_field.help_text:
        attrs["aria-describedby"] = f"{bound_field.auto_id}_help"
    return bound_field.as_widget(attrs=attrs)


@register.filter
def widget_type(bound_field) -> str:
    """checkbox, multi (checkboxes or radios), hidden or input: how components/form_field.html lays it out."""
    from django import forms

    w = bound_field.field.widget
    if isinstance(w, forms.HiddenInput):
        return "hidden"
    if isinstance(w, forms.CheckboxSelectMultiple | forms.RadioSelect):
        return "multi"
    if isinstance(w, forms.CheckboxInput):
        return "checkbox"
    return "input"


@register.filter
def col_class(bound_field) -> str:
    """Bootstrap column classes of a form field: ``form.widths[name]`` (1–12), wide fields full."""
    from django import forms

    form = bound_field.form
    width = getattr(form, "widths", {}).get(bound_field.name)
    if width:
        return f"col-12 col-md-{width}"
    if bound_field.name in getattr(form, "wide", ()) or isinstance(bound_field.field.widget, forms.Textarea):
        return "col-12"
    return "col-12 col-md-6"


@register.filter
def show_expr(bound_field) -> str:
    """Alpine ``x-show`` expression of a field (fields that depend on another choice)."""
    return getattr(bound_field.form, "field_show", {}).get(bound_field.name, "")


@register.filter
def contains(container, value) -> bool:
    """``value in container`` with both sides as strings (selected filter values)."""
    return str(value) in {str(v) for v in (container or ())}


# Outline icons drawn on a 24×24 grid in the style of Tabler Icons (inline SVG: no icon font to load,
# no dependence on the device's emoji font).
ICONS: dict[str, tuple[str, ...]] = {
    "call": (
        "M5 4h4l2 5l-2.5 1.5a11 11 0 0 0 5 5l1.5 -2.5l5 2v4a2 2 0 0 1 -2 2"
        "a16 16 0 0 1 -15 -15a2 2 0 0 1 2 -2",
    ),
    "meeting": (
        "M5 7a4 4 0 1 0 8 0a4 4 0 1 0 -8 0",
        "M3 21v-2a4 4 0 0 1 4 -4h4a4 4 0 0 1 4 4v2",
        "M16 3.13a4 4 0 0 1 0 7.75",
        "M21 21v-2a4 4 0 0 0 -3 -3.85",
    ),
    "task": ("M9 11l3 3l8 -8", "M20 12v6a2 2 0 0 1 -2 2h-12a2 2 0 0 1 -2 -2v-12a2 2 0 0 1 2 -2h9"),
    "email": (
        "M5 5h14a2 2 0 0 1 2 2v10a2 2 0 0 1 -2 2h-14a2 2 0 0 1 -2 -2v-10a2 2 0 0 1 2 -2",
        "M3 7l9 6l9 -6",
    ),
    "note": (
        "M13 20l7 -7",
        "M13 20v-6a1 1 0 0 1 1 -1h6v-7a2 2 0 0 0 -2 -2h-12a2 2 0 0 0 -2 2v12a2 2 0 0 0 2 2h7",
    ),
    "opportunity": (
        "M5 7h14a2 2 0 0 1 2 2v9a2 2 0 0 1 -2 2h-14a2 2 0 0 1 -2 -2v-9a2 2 0 0 1 2 -2",
        "M8 7v-2a2 2 0 0 1 2 -2h4a2 2 0 0 1 2 2v2",
        "M3 13a20 20 0 0 0 18 0",
    ),
    "create": ("M12 5l0 14", "M5 12l14 0"),
    "update": ("M4 20h4l10.5 -10.5a2.828 2.828 0 1 0 -4 -4l-10.5 10.5v4", "M13.5 6.5l4 4"),
    "delete": (
        "M4 7l16 0",
        "M10 11l0 6",
        "M14 11l0 6",
        "M5 7l1 12a2 2 0 0 0 2 2h8a2 2 0 0 0 2 -2l1 -12",
        "M9 7v-3a1 1 0 0 1 1 -1h4a1 1 0 0 1 1 1v3",
    ),
    "restore": ("M20 11a8.1 8.1 0 0 0 -15.5 -2m-.5 -4v4h4", "M4 13a8.1 8.1 0 0 0 15.5 2m.5 4v-4h-4"),
    "convert": ("M21 7l-18 0", "M18 10l3 -3l-3 -3", "M6 20l-3 -3l3 -3", "M3 17l18 0"),
    "check": ("M5 12l5 5l10 -10",),
    "dot": ("M9 12a3 3 0 1 0 6 0a3 3 0 1 0 -6 0",),
    "bell": (
        "M10 5a2 2 0 1 1 4 0a7 7 0 0 1 4 6v3a4 4 0 0 0 2 3h-16a4 4 0 0 0 2 -3v-3a7 7 0 0 1 4 -6",
        "M9 17v1a3 3 0 0 0 6 0v-1",
    ),
    "leaf": (
        "M5 21c.5 -4.5 2.5 -8 7 -10",
        "M9 18c6.218 0 10.5 -3.288 11 -12v-2h-4.014c-9 0 -11.986 4 -12 9c0 1 0 3 2 5h3z",
    ),
}


@register.simple_tag
def icon(name: str, css: str = ""):
    """An inline outline icon, hidden from screen readers (the text beside it says the same)."""
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="icon {}" width="24" height="24" viewBox="0 0 24 24" '
        'stroke-width="2" stroke="currentColor" fill="none" stroke-linecap="round" stroke-linejoin="round" '
        'aria-hidden="true" focusable="false">{}</svg>',
        css,
        format_html_join("", '<path d="{}"/>', ((d,) for d in ICONS.get(name, ICONS["dot"]))),
    )
