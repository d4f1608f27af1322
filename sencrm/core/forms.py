"""Forms of the core pages: sign-in and passwords, the profile, and the settings pages.

Forms check the shape of the input and render it; the services re-check the business rules and do
the writes. ``apply_errors`` puts a service's ``ValidationError`` back beside the fields.
"""

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from sencrm.common.models import Action
from sencrm.common.phones import format_phone, normalize_phone
from sencrm.core.models import MODULES, ApiToken, Branch, CustomField, Role, Team
from sencrm.core.services.field_definitions import CHOICE_TYPES, choices_from_text
from sencrm.core.services.uniqueness import name_taken
from sencrm.core.services.users import time_zone_names

User = get_user_model()


class TablerMixin:
    """Give widgets Tabler's classes, and mark the fields that have errors as invalid."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        _mark_invalid(self)


def _mark_invalid(form: forms.BaseForm) -> None:
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            if "is-invalid" not in widget.attrs.get("class", ""):
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def apply_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's validation errors on ``form``: beside the field when the form has it."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
    else:
        for name, errors in exc.error_dict.items():
            field = name if name in form.fields else None
            for error in errors:
                form.add_error(field, error)
    _mark_invalid(form)


class PhoneInput(forms.TextInput):
    """Phones are stored E.164 (+84912345678) and shown as people write them (0912 345 678)."""

    input_type = "tel"

    def format_value(self, value):
        if isinstance(value, str) and value.startswith("+"):
            return format_phone(value)
        return super().format_value(value)


class PhoneCleanMixin:
    """Check the phone with the other fields, so every message shows on the first round."""

    def clean_phone(self):
        return normalize_phone(self.cleaned_data.get("phone", ""))


class BranchChoiceField(forms.ModelChoiceField):
    """Branches in tree order, indented by depth ("— Chi nhánh Hà Nội")."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Branch.objects.order_by("path"))
        super().__init__(**kwargs)

    def label_from_instance(self, obj: Branch) -> str:
        return f"{'— ' * obj.depth}{obj.name}"


def time_zone_field(**kwargs) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("time zone"), choices=[(n, n.replace("_", " ")) for n in time_zone_names()], **kwargs
    )


# ---------------------------------------------------------------------------------------------------
# Sign-in and passwords
# ---------------------------------------------------------------------------------------------------


class LoginForm(TablerMixin, auth_forms.AuthenticationForm):
    pass


class PasswordChangeForm(TablerMixin, auth_forms.PasswordChangeForm):
    pass


class SetPasswordForm(TablerMixin, auth_forms.SetPasswordForm):
    pass


class PasswordResetForm(TablerMixin, auth_forms.PasswordResetForm):
    """Django's reset form, with the email in the recipient's language.

    Unlike Django's default it also reaches active users without a usable password: those are
    users an administrator invited by email whose link expired, and this is how they get a new one.
    """

    def get_users(self, email):
        field = User.get_email_field_name()
        users = User._default_manager.filter(**{f"{field}__iexact": email, "is_active": True})
        return (u for u in users if getattr(u, field).casefold() == email.casefold())

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        with translation.override(getattr(context.get("user"), "language", None) or None):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


# ---------------------------------------------------------------------------------------------------
# Profile and API tokens
# ---------------------------------------------------------------------------------------------------


class ProfileForm(TablerMixin, PhoneCleanMixin, forms.ModelForm):
    time_zone = time_zone_field()

    class Meta:
        model = User
        fields = ["last_name", "first_name", "email", "phone", "job_title", "language", "time_zone"]
        labels = {"last_name": _("Family name (họ)"), "first_name": _("Given name (tên)")}
        widgets = {"phone": PhoneInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].required = True


class ApiTokenForm(TablerMixin, forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text=_("What will use it, e.g. 'Website form' or 'Accounting sync'."),
    )


# ---------------------------------------------------------------------------------------------------
# Settings: users, teams, branches, roles, custom fields
# ---------------------------------------------------------------------------------------------------


class UserForm(TablerMixin, PhoneCleanMixin, forms.ModelForm):
    """A user as an administrator edits them."""

    branch = BranchChoiceField(label=_("branch"))
    time_zone = time_zone_field(initial="Asia/Ho_Chi_Minh")

    class Meta:
        model = User
        fields = [
            "username",
            "last_name",
            "first_name",
            "email",
            "phone",
            "job_title",
            "branch",
            "team",
            "role",
            "language",
            "time_zone",
        ]
        labels = {"last_name": _("Family name (họ)"), "first_name": _("Given name (tên)")}
        widgets = {"phone": PhoneInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].required = True
        self.fields["role"].required = True
        self.fields["team"].queryset = Team.objects.select_related("branch").order_by("name")
        self.fields["role"].queryset = Role.objects.order_by("name")


class UserCreateForm(UserForm):
    """A new user: either an initial password now, or a link by email to set one."""

    PASSWORD, LINK = "password", "link"
    password_mode = forms.ChoiceField(
        label=_("Password"),
        choices=[(LINK, _("Send a link by email to set a password")), (PASSWORD, _("Set a password now"))],
        initial=LINK,
        widget=forms.RadioSelect,
    )
    password1 = forms.CharField(
        label=_("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=True),
    )
    password2 = forms.CharField(
        label=_("Repeat the password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=True),
    )

    def clean(self):
        data = super().clean()
        if data.get("password_mode") == self.PASSWORD:
            if not data.get("password1"):
                self.add_error("password1", _("This field is required."))
            elif data.get("password1") != data.get("password2"):
                self.add_error("password2", _("The two passwords differ."))
            else:
                # Strength now, with the other fields, so every message shows on the first round.
                probe = User(
                    **{k: data.get(k) or "" for k in ("username", "first_name", "last_name", "email")}
                )
                try:
                    validate_password(data["password1"], probe)
                except ValidationError as exc:
                    self.add_error("password1", exc)
        elif data.get("password_mode") == self.LINK and not data.get("email"):
            self.add_error("email", _("An email address is needed to send the link."))
        return data


class TeamForm(TablerMixin, forms.ModelForm):
    branch = BranchChoiceField(label=_("branch"))

    class Meta:
        model = Team
        fields = ["name", "branch", "leader"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = User.objects.filter(is_active=True).order_by(
            "first_name", "last_name"
        )


class BranchForm(TablerMixin, forms.ModelForm):
    parent = BranchChoiceField(label=_("parent"), required=False, empty_label=_("(top of the tree)"))

    class Meta:
        model = Branch
        fields = ["name", "code", "parent", "address"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = True
        if self.instance.pk:
            # A branch cannot move below itself: leave its own subtree out of the choices.
            self.fields["parent"].queryset = Branch.objects.exclude(path__startswith=self.instance.path)

    def clean_code(self):
        code = (self.cleaned_data.get("code") or "").strip()
        if name_taken(Branch.objects.exclude(pk=self.instance.pk), code, field="code"):
            raise ValidationError(_("Another branch has this code."))
        return code


def right_field_name(entity: str, action: str) -> str:
    return f"right__{entity}__{action}"


class RoleForm(TablerMixin, forms.ModelForm):
    """A role, with one checkbox per record kind and right (the rights matrix)."""

    class Meta:
        model = Role
        fields = ["name", "description", "scope", "is_admin"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rights = self.instance.rights if self.instance.pk else {}
        for entity, label in MODULES.items():
            for action in Action:
                self.fields[right_field_name(entity, action.value)] = forms.BooleanField(
                    label=f"{label}: {action.label}",
                    required=False,
                    initial=action.value in rights.get(entity, ()),
                )

    def rights(self) -> dict[str, list[str]]:
        """The rights the matrix grants, as ``Role.rights`` stores them."""
        data = self.cleaned_data
        return {
            entity: [a.value for a in Action if data.get(right_field_name(entity, a.value))]
            for entity in MODULES
        }

    def matrix(self) -> list[dict]:
        """Rows for the template: the record kind, its checkboxes in column order, its errors."""
        rows = []
        for entity, label in MODULES.items():
            cells = [self[right_field_name(entity, a.value)] for a in Action]
            errors = [e for cell in cells for e in cell.errors]
            rows.append({"entity": entity, "label": label, "cells": cells, "errors": errors})
        return rows

    def clean(self):
        data = super().clean()
        for entity in MODULES:
            granted = [a for a in Action if data.get(right_field_name(entity, a.value))]
            needs_view = [a for a in granted if a in (Action.CHANGE, Action.DELETE, Action.EXPORT)]
            if needs_view and Action.VIEW not in granted:
                self.add_error(
                    right_field_name(entity, Action.VIEW.value), _("Edit, delete and export need view.")
                )
        return data


class CustomFieldForm(TablerMixin, forms.ModelForm):
    """A custom-field definition. The key is fixed once the field exists."""

    choices_text = forms.CharField(
        label=_("choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One choice per line (choice and multiple-choice fields)."),
    )

    class Meta:
        model = CustomField
        fields = ["label", "key", "type", "required", "show_in_list", "position", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].required = False
        self.fields["type"].widget.attrs["x-model"] = "type"  # shows the choices box for choice types
        if self.instance.pk:
            self.fields["key"].disabled = True
            self.fields["key"].help_text = _("The key cannot change: imports and the API use it.")
            self.initial.setdefault("choices_text", "\n".join(self.instance.choices or []))

    def _post_clean(self):
        # The service checks the definition as a whole (key format and uniqueness per kind);
        # the model's own full_clean would not know the record kind of a new field yet.
        pass

    def clean(self):
        data = super().clean()
        data["choices"] = choices_from_text(data.get("choices_text", ""))
        if data.get("type") in CHOICE_TYPES and not data["choices"]:
            self.add_error("choices_text", _("List the choices, one per line."))
        return data
