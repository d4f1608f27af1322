"""Settings pages for administrators: users, teams, branches, roles and custom fields.

Pipelines and stages are configured by the CRM (``sencrm.crm.views.settings``): core may not
import it. Every view is ``admin_required``; every write goes through a service.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sencrm.common.models import Action
from sencrm.core.decorators import admin_required
from sencrm.core.forms import (
    BranchForm,
    CustomFieldForm,
    RoleForm,
    TeamForm,
    UserCreateForm,
    UserForm,
    apply_errors,
)
from sencrm.core.models import MODULES, Branch, CustomField, Role, Team
from sencrm.core.services.field_definitions import custom_field_create, custom_field_update
from sencrm.core.services.organisation import branch_create, branch_update
from sencrm.core.services.roles import role_create, role_delete, role_update
from sencrm.core.services.teams import team_create, team_update
from sencrm.core.services.users import (
    EDITABLE_FIELDS,
    user_activate,
    user_create,
    user_deactivate,
    user_send_password_link,
    user_update,
)

User = get_user_model()
PAGE_SIZE = 50


def _base_url(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


@admin_required
def settings_index(request):
    counts = {
        "users": User.objects.filter(is_active=True).count(),
        "teams": Team.objects.count(),
        "branches": Branch.objects.count(),
        "roles": Role.objects.count(),
        "custom_fields": CustomField.objects.count(),
    }
    return render(request, "core/settings/index.html", {"counts": counts, "section": "index"})


# ---------------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------------


@admin_required
def user_list(request):
    status = request.GET.get("status", "active")
    q = request.GET.get("q", "").strip()
    users = User.objects.select_related("branch", "team", "role").order_by("first_name", "last_name", "id")
    if status == "active":
        users = users.filter(is_active=True)
    elif status == "inactive":
        users = users.filter(is_active=False)
    if q:
        users = users.filter(
            Q(username__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(email__icontains=q)
        )
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "q": q, "section": "users"}
    return render(request, "core/settings/user_list.html", context)


@admin_required
def user_create_view(request):
    form = UserCreateForm(request.POST or None, initial={"time_zone": "Asia/Ho_Chi_Minh"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        send_link = data["password_mode"] == UserCreateForm.LINK
        try:
            user = user_create(
                by=request.user,
                **{name: data[name] for name in EDITABLE_FIELDS},
                password=None if send_link else data["password1"],
                send_password_link=send_link,
                base_url=_base_url(request),
            )
        except ValidationError as exc:
            if "password" in getattr(exc, "error_dict", {}):
                exc.error_dict["password1"] = exc.error_dict.pop("password")
            apply_errors(form, exc)
        else:
            if send_link:
                messages.success(
                    request,
                    _("%(user)s has been added; a link to set a password was sent to %(email)s.")
                    % {"user": user, "email": user.email},
                )
            else:
                messages.success(request, _("%(user)s has been added.") % {"user": user})
            return redirect("settings_users")
    return render(request, "core/settings/user_form.html", {"form": form, "section": "users"})


@admin_required
def user_edit(request, pk: int):
    target = get_object_or_404(User, pk=pk)
    form = UserForm(request.POST or None, instance=User.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            user_update(
                by=request.user, user=target, **{name: form.cleaned_data[name] for name in EDITABLE_FIELDS}
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("%(user)s has been saved.") % {"user": target})
            return redirect("settings_users")
    context = {"form": form, "target": target, "section": "users"}
    return render(request, "core/settings/user_form.html", context)


@admin_required
@require_POST
def user_deactivate_view(request, pk: int):
    target = get_object_or_404(User, pk=pk)
    try:
        user_deactivate(by=request.user, user=target)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(user)s can no longer log in.") % {"user": target})
    return redirect("settings_user_edit", pk=pk)


@admin_required
@require_POST
def user_activate_view(request, pk: int):
    target = get_object_or_404(User, pk=pk)
    user_activate(by=request.user, user=target)
    messages.success(request, _("%(user)s can log in again.") % {"user": target})
    return redirect("settings_user_edit", pk=pk)


@admin_required
@require_POST
def user_send_link_view(request, pk: int):
    target = get_object_or_404(User, pk=pk, is_active=True)
    try:
        user_send_password_link(user=target, base_url=_base_url(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("A link to set a password was sent to %(email)s.") % {"email": target.email}
        )
    return redirect("settings_user_edit", pk=pk)


# ---------------------------------------------------------------------------------------------------
# Teams
# ---------------------------------------------------------------------------------------------------


@admin_required
def team_list(request):
    teams = (
        Team.objects.select_related("branch", "leader")
        .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
        .order_by("name")
    )
    return render(request, "core/settings/team_list.html", {"teams": teams, "section": "teams"})


@admin_required
def team_form(request, pk: int | None = None):
    team = get_object_or_404(Team, pk=pk) if pk else None
    form = TeamForm(request.POST or None, instance=Team.objects.get(pk=pk) if pk else None)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in ("name", "branch", "leader")}
        try:
            team = team_update(team=team, **data) if team else team_create(**data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The team “%(name)s” has been saved.") % {"name": team.name})
            return redirect("settings_teams")
    context = {"form": form, "team": team, "section": "teams"}
    return render(request, "core/settings/team_form.html", context)


# ---------------------------------------------------------------------------------------------------
# Branches
# ---------------------------------------------------------------------------------------------------


def branch_tree() -> list[Branch]:
    """All branches in tree order, siblings by name; each with ``depth`` for the indentation."""
    branches = list(Branch.objects.annotate(user_count=Count("users", filter=Q(users__is_active=True))))
    children: dict[int | None, list[Branch]] = {}
    for branch in branches:
        children.setdefault(branch.parent_id, []).append(branch)
    ordered: list[Branch] = []

    def walk(parent_id, depth):
        for branch in sorted(children.get(parent_id, []), key=lambda b: b.name.casefold()):
            branch.level = depth
            ordered.append(branch)
            walk(branch.pk, depth + 1)

    walk(None, 0)
    return ordered


@admin_required
def branch_list(request):
    return render(
        request, "core/settings/branch_list.html", {"branches": branch_tree(), "section": "branches"}
    )


@admin_required
def branch_form(request, pk: int | None = None):
    branch = get_object_or_404(Branch, pk=pk) if pk else None
    initial = {}
    if not branch and request.GET.get("parent", "").isdigit():
        initial["parent"] = request.GET["parent"]
    form = BranchForm(
        request.POST or None, instance=Branch.objects.get(pk=pk) if pk else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in ("name", "parent", "code", "address")}
        try:
            branch = branch_update(branch=branch, **data) if branch else branch_create(**data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The branch “%(name)s” has been saved.") % {"name": branch.name})
            return redirect("settings_branches")
    context = {"form": form, "branch": branch, "section": "branches"}
    return render(request, "core/settings/branch_form.html", context)


# ---------------------------------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------------------------------


@admin_required
def role_list(request):
    roles = Role.objects.annotate(user_count=Count("users", filter=Q(users__is_active=True))).order_by("name")
    context = {"roles": roles, "modules": MODULES, "section": "roles"}
    return render(request, "core/settings/role_list.html", context)


@admin_required
def role_form(request, pk: int | None = None):
    role = get_object_or_404(Role, pk=pk) if pk else None
    form = RoleForm(request.POST or None, instance=Role.objects.get(pk=pk) if pk else None)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in ("name", "description", "scope", "is_admin")}
        try:
            if role:
                role = role_update(by=request.user, role=role, rights=form.rights(), **data)
            else:
                role = role_create(by=request.user, rights=form.rights(), **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The role “%(name)s” has been saved.") % {"name": role.name})
            return redirect("settings_roles")
    context = {"form": form, "role": role, "actions": list(Action), "section": "roles"}
    return render(request, "core/settings/role_form.html", context)


@admin_required
@require_POST
def role_delete_view(request, pk: int):
    role = get_object_or_404(Role, pk=pk)
    try:
        role_delete(by=request.user, role=role)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("settings_role_edit", pk=pk)
    messages.success(request, _("The role “%(name)s” has been deleted.") % {"name": role.name})
    return redirect("settings_roles")


# ---------------------------------------------------------------------------------------------------
# Custom fields
# ---------------------------------------------------------------------------------------------------


def _entity(request) -> str:
    entity = request.GET.get("entity") or request.POST.get("entity") or next(iter(MODULES))
    return entity if entity in MODULES else next(iter(MODULES))


@admin_required
def custom_field_list(request):
    entity = _entity(request)
    counts = dict(CustomField.objects.values_list("entity").annotate(n=Count("id")))
    tabs = [{"entity": e, "label": label, "count": counts.get(e, 0)} for e, label in MODULES.items()]
    fields = CustomField.objects.filter(entity=entity).order_by("position", "id")
    context = {"entity": entity, "entity_label": MODULES[entity], "tabs": tabs, "fields": fields}
    return render(request, "core/settings/customfield_list.html", {**context, "section": "custom_fields"})


@admin_required
def custom_field_form(request, pk: int | None = None):
    field = get_object_or_404(CustomField, pk=pk) if pk else None
    entity = field.entity if field else _entity(request)
    form = CustomFieldForm(request.POST or None, instance=CustomField.objects.get(pk=pk) if pk else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        values = {
            "label": data["label"],
            "type": data["type"],
            "choices": data["choices"],
            "required": data["required"],
            "show_in_list": data["show_in_list"],
            "active": data["active"],
        }
        try:
            if field:
                field = custom_field_update(field=field, position=data.get("position") or 0, **values)
            else:
                field = custom_field_create(
                    entity=entity, key=data["key"], position=data.get("position"), **values
                )
        except ValidationError as exc:
            if "choices" in getattr(exc, "error_dict", {}):
                exc.error_dict["choices_text"] = exc.error_dict.pop("choices")
            apply_errors(form, exc)
        else:
            messages.success(request, _("The field “%(label)s” has been saved.") % {"label": field.label})
            return redirect(f"{reverse('settings_custom_fields')}?entity={entity}")
    context = {"form": form, "field": field, "entity": entity, "entity_label": MODULES[entity]}
    return render(request, "core/settings/customfield_form.html", {**context, "section": "custom_fields"})
