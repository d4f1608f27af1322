"""Form base every record form uses: custom fields, tags, the version guard, Vietnamese inputs.

``RecordForm`` is a ModelForm that only *parses* input. It does not validate the model: the
services (``record_create``/``record_update`` and the domain services) do that, once, for the
form, the API and imports alike. Their ``ValidationError`` dicts come back through
``add_service_errors`` and land beside the right field (``custom.<key>`` beside ``cf_<key>``).

What the base adds to every form:

- ``cf_<key>`` fields for the record kind's active custom fields, each with the right widget;
- ``tags``: comma-separated names;
- ``version``: hidden, the record version the user started from (optimistic concurrency);
- owner limited to active users; money inputs that accept ``1.250.000``; phones shown nationally;
  dates typed dd/mm/yyyy; province → ward selects, the ward list reloaded by htmx.
"""

import datetime
import re
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sencrm.common.display import PHONE_NAMES
from sencrm.common.phones import format_phone

# --------------------------------------------------------------------------------------------------
# Fields and widgets
# --------------------------------------------------------------------------------------------------


class MoneyField(forms.IntegerField):
    """Whole VND amounts typed as people write them: ``1.250.000``, ``1,250,000``, ``1 250 000 ₫``."""

    widget = forms.TextInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 10**15)
        super().__init__(*args, **kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("min", None)
        attrs.pop("max", None)
        attrs.pop("step", None)
        attrs.update({"inputmode": "numeric", "class": "form-control text-end", "autocomplete": "off"})
        return attrs

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r"[\s.,_\u00a0₫]|vnd|đ", "", value.strip(), flags=re.IGNORECASE)
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return number_format(value, force_grouping=True)
        return value


class PhoneField(forms.CharField):
    """A phone typed in any Vietnamese format; shown back in the national format."""

    def prepare_value(self, value):
        if isinstance(value, str) and value.startswith("+"):
            return format_phone(value)
        return value

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "tel", "autocomplete": "off"})
        return attrs


class DateInput(forms.DateInput):
    """dd/mm/yyyy in a text box (the locale's first input format), with a hint."""

    def __init__(self, attrs=None, format=None):
        attrs = {"placeholder": gettext_lazy("dd/mm/yyyy"), "autocomplete": "off", **(attrs or {})}
        super().__init__(attrs, format)


class DateTimeInput(forms.DateTimeInput):
    def __init__(self, attrs=None, format=None):
        attrs = {"placeholder": gettext_lazy("dd/mm/yyyy hh:mm"), "autocomplete": "off", **(attrs or {})}
        super().__init__(attrs, format)


class ObjectPicker(forms.Widget):
    """Choose one record among many by typing: a search box that asks the record list for matches.

    ``url_name`` is the list view of the target model; it answers ``?picker=1&q=…`` with a few
    matching records the user may see (``components/picker_results.html``).
    """

    def __init__(self, url_name: str, attrs=None):
        super().__init__(attrs)
        self.url_name = url_name

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        label = ""
        pk = getattr(value, "pk", value)
        if pk not in (None, ""):
            queryset = getattr(self.choices, "queryset", None)
            obj = None
            if queryset is not None and str(pk).isdigit():
                obj = queryset.filter(pk=int(pk)).first()
            label = str(obj) if obj is not None else ""
            value = obj.pk if obj is not None else ""
        return render_to_string(
            "components/widgets/picker.html",
            {
                "name": name,
                "value": value if value is not None else "",
                "label": label,
                "id": attrs.get("id", f"id_{name}"),
                "url": reverse(self.url_name),
                "invalid": "is-invalid" in attrs.get("class", ""),
                "placeholder": attrs.get("placeholder") or _("Type to search…"),
            },
        )

    def value_from_datadict(self, data, files, name):
        return data.get(name)

    def id_for_label(self, id_):
        # The label points at the search box people type in, not at the hidden value.
        return f"{id_}_search" if id_ else id_


# --------------------------------------------------------------------------------------------------
# Custom fields
# --------------------------------------------------------------------------------------------------
_BOOL_CHOICES = [("", "—"), ("true", gettext_lazy("Yes")), ("false", gettext_lazy("No"))]


def custom_form_field(cf) -> forms.Field:
    """The form field for one custom-field definition (core.CustomField)."""
    common = {"label": cf.label, "required": cf.required}
    t = cf.type
    if t == "number":
        return forms.DecimalField(localize=True, max_digits=21, decimal_places=6, **common)
    if t == "money":
        return MoneyField(**common)
    if t == "date":
        return forms.DateField(widget=DateInput, **common)
    if t == "choice":
        return forms.ChoiceField(choices=[("", "—")] + [(c, c) for c in cf.choices], **common)
    if t == "multi":
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in cf.choices], widget=forms.CheckboxSelectMultiple, **common
        )
    if t == "bool":
        return forms.TypedChoiceField(
            choices=_BOOL_CHOICES, coerce=lambda v: v == "true", empty_value=None, **common
        )
    if t == "user":
        return forms.ModelChoiceField(queryset=get_user_model().objects.filter(is_active=True), **common)
    return forms.CharField(max_length=1000, **common)


def custom_initial(cf, value):
    """Stored custom value → form initial value."""
    if value in (None, ""):
        return None
    if cf.type == "date":
        try:
            return datetime.date.fromisoformat(str(value))
        except ValueError:
            return None
    if cf.type == "bool":
        return "true" if value else "false"
    return value


def custom_stored(value):
    """Cleaned form value → what ``clean_custom`` accepts (None clears the key)."""
    if value in (None, "", []):
        return None
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------------------------------
# The base form
# --------------------------------------------------------------------------------------------------


def style_widget(field: forms.Field) -> None:
    """Tabler classes on a field's widget."""
    widget = field.widget
    if isinstance(widget, forms.HiddenInput | ObjectPicker):
        return
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    existing = widget.attrs.get("class", "")
    if css not in existing.split():
        widget.attrs["class"] = f"{existing} {css}".strip()
    if isinstance(widget, forms.Textarea):
        widget.attrs["rows"] = 3


def record_formfield(model_field, **kwargs):
    """Form field of a model field; URLs typed without a scheme get https (Django 6 default)."""
    if isinstance(model_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return model_field.formfield(**kwargs)


class RecordMeta:
    """Base of a record form's ``Meta``: ``class Meta(RecordMeta): model = …; fields = […]``."""

    formfield_callback = staticmethod(record_formfield)


def _dash_to_em(field: forms.Field) -> None:
    """Empty choices read "—" rather than Django's "---------"."""
    if isinstance(field, forms.ModelChoiceField):
        if field.empty_label is not None:
            field.empty_label = "—"
    elif isinstance(field, forms.ChoiceField):
        choices = list(field.choices)
        if choices and choices[0] == ("", "---------"):
            field.choices = [("", "—"), *choices[1:]]


class RecordForm(forms.ModelForm):
    """Base of every record form (see the module docstring).

    Subclasses set ``Meta.model``/``Meta.fields`` and may set ``fieldsets`` — a list of
    ``(title, [field names])`` — and ``wide`` (fields spanning the whole row). Custom fields,
    tags and owner are placed automatically.
    """

    fieldsets: list[tuple[str | None, list[str]]] = []
    wide: tuple[str, ...] = ("description",)
    pickers: dict[str, str] = {}  # field name → list url name, for foreign keys to big tables
    widths: dict[str, int] = {}  # field name → Bootstrap columns out of 12 (default 6)
    field_show: dict[str, str] = {}  # field name → Alpine expression: shown only when true
    ward_options_url = "crm:ward_options"

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    tags = forms.CharField(
        label=gettext_lazy("Tags"),
        required=False,
        max_length=1000,
        help_text=gettext_lazy("Separate tags with commas."),
    )

    def __init__(self, *args, user, custom_fields=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        from sencrm.core.services.custom_fields import custom_fields_for

        model = self._meta.model
        instance = self.instance
        self.custom_fields = custom_fields if custom_fields is not None else custom_fields_for(model.entity())
        for cf in self.custom_fields:
            self.fields[f"cf_{cf.key}"] = custom_form_field(cf)
            if instance.pk:
                self.fields[f"cf_{cf.key}"].initial = custom_initial(cf, (instance.custom or {}).get(cf.key))
        if instance.pk:
            self.fields["version"].initial = instance.version
            self.fields["tags"].initial = ", ".join(t.name for t in instance.tags.all())
        else:
            del self.fields["version"]
        self._setup_model_fields(model, instance)
        for field in self.fields.values():
            style_widget(field)
            _dash_to_em(field)

    def _setup_model_fields(self, model, instance) -> None:
        for name, field in list(self.fields.items()):
            model_field = _model_field(model, name)
            if model_field is None:
                continue
            if isinstance(model_field, models.BigIntegerField) and not model_field.choices:
                self.fields[name] = MoneyField(
                    label=field.label, required=field.required, help_text=field.help_text
                )
            elif name in PHONE_NAMES:
                self.fields[name] = PhoneField(
                    label=field.label, required=field.required, max_length=30, help_text=field.help_text
                )
            elif isinstance(model_field, models.DateTimeField):
                field.widget = DateTimeInput()
            elif isinstance(model_field, models.DateField):
                field.widget = DateInput()
        if "owner" in self.fields:
            users = get_user_model().objects.filter(Q(is_active=True) | Q(pk=instance.owner_id or 0))
            self.fields["owner"].queryset = users
            self.fields["owner"].required = False
            self.fields["owner"].empty_label = None
            if not instance.pk and not self.initial.get("owner"):
                self.initial["owner"] = self.user.pk
        for name, url_name in self.pickers.items():
            if name in self.fields:
                field = self.fields[name]
                field.widget = ObjectPicker(url_name)
                field.widget.choices = field.choices
                target = field.queryset.model
                if hasattr(target.objects, "visible_to"):
                    # Only records the user may see can be linked (STYLE.md §5).
                    field.queryset = target.objects.visible_to(self.user)
                    field.widget.choices = field.choices
        if "province" in self.fields and "ward" in self.fields:
            self._setup_address()

    def _setup_address(self) -> None:
        from sencrm.core.models import Ward

        province = self["province"].value() if self.is_bound else self.initial.get("province")
        if province in (None, "") and self.instance.pk:
            province = self.instance.province_id
        try:
            province_id = int(getattr(province, "pk", province))
        except (TypeError, ValueError):
            province_id = None
        self.fields["ward"].queryset = (
            Ward.objects.filter(province_id=province_id) if province_id else Ward.objects.none()
        )
        self.fields["province"].widget.attrs.update(
            {
                "hx-get": reverse(self.ward_options_url),
                "hx-target": f"#{self['ward'].auto_id}",
                "hx-trigger": "change",
                "hx-swap": "innerHTML",
            }
        )

    # --- what the views hand to the services -------------------------------------------------------
    def _post_clean(self):
        """Skip the ModelForm's model validation: the service validates (one place per concern)."""

    def service_data(self) -> dict:
        """Model field values for ``record_create``/``record_update``."""
        data = {}
        for name in self._meta.fields:
            if name in self.cleaned_data and name in self.fields:
                value = self.cleaned_data[name]
                if value is None and isinstance(_model_field(self._meta.model, name), models.CharField):
                    value = ""
                data[name] = value
        if "owner" in data and data["owner"] is None:
            data.pop("owner")
        return data

    def custom_values(self) -> dict:
        return {cf.key: custom_stored(self.cleaned_data.get(f"cf_{cf.key}")) for cf in self.custom_fields}

    def tag_names(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("tags", "").split(",") if t.strip()]

    def expected_version(self) -> int | None:
        return self.cleaned_data.get("version")

    def add_service_errors(self, exc: ValidationError) -> None:
        """Put a service's ValidationError beside the fields it names."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for key, errors in exc.message_dict.items():
            name = f"cf_{key[7:]}" if key.startswith("custom.") else key
            name = name[:-3] if name.endswith("_id") and name[:-3] in self.fields else name
            if name in self.fields:
                self.add_error(name, errors)
            elif key == NON_FIELD_ERRORS:
                self.add_error(None, errors)
            else:
                label = _model_label(self._meta.model, key)
                self.add_error(None, [f"{label}: {e}" for e in errors])

    # --- layout ------------------------------------------------------------------------------------
    def layout(self) -> list[dict]:
        """Fieldsets to render: the declared ones, then custom fields, then owner and tags."""
        placed: set[str] = {"version"}
        sets = []
        for title, names in self.fieldsets or [(None, list(self._meta.fields))]:
            fields = [self[n] for n in names if n in self.fields]
            placed.update(names)
            if fields:
                sets.append({"key": "main", "title": title, "fields": fields, "show": self._set_show(fields)})
        custom = [self[f"cf_{cf.key}"] for cf in self.custom_fields]
        placed.update(f"cf_{cf.key}" for cf in self.custom_fields)
        if custom:
            sets.append({"key": "custom", "title": _("More fields"), "fields": custom, "show": ""})
        rest = [self[n] for n in self.fields if n not in placed]
        if rest:
            sets.append({"key": "assignment", "title": _("Assignment"), "fields": rest, "show": ""})
        return sets

    def _set_show(self, fields) -> str:
        """A fieldset whose every field depends on a choice is hidden with them (activity kinds)."""
        exprs = [self.field_show.get(f.name, "") for f in fields]
        if not all(exprs):
            return ""
        return " || ".join(dict.fromkeys(f"({e})" for e in exprs))


def _model_field(model, name):
    try:
        return model._meta.get_field(name)
    except Exception:
        return None


def _model_label(model, name: str) -> str:
    field = _model_field(model, name)
    return str(field.verbose_name).capitalize() if field is not None else name


def conflict_rows(form: RecordForm, current) -> list[dict]:
    """Fields where the stored record differs from what the user submitted: label, theirs, yours."""
    from sencrm.common.display import custom_display, display_value

    rows = []
    for name in form._meta.fields:
        if name not in form.fields or name not in form.cleaned_data:
            continue
        mine = form.cleaned_data[name]
        theirs = getattr(current, name, None)
        if isinstance(mine, models.Model):
            mine = mine.pk
            theirs = getattr(current, f"{name}_id", None)
        if (mine in (None, "") and theirs in (None, "")) or mine == theirs:
            continue
        if name in PHONE_NAMES and isinstance(mine, str):
            try:
                from sencrm.common.phones import normalize_phone

                if normalize_phone(mine) == theirs:
                    continue
            except ValidationError:
                pass
        rows.append({"label": form.fields[name].label, "current": display_value(current, name)})
    for cf in form.custom_fields:
        mine = custom_stored(form.cleaned_data.get(f"cf_{cf.key}"))
        theirs = (current.custom or {}).get(cf.key)
        if mine != theirs and str(mine) != str(theirs):
            rows.append({"label": cf.label, "current": custom_display(cf, theirs)})
    return rows
