"""core's API: the signed-in user (``/me``) and the administration resources (users, teams,
branches, roles, custom fields), plus the generic record services every record kind's routes use.

Administration resources live on ``admin_router``, whose authentication answers 403 to anyone but
administrators; they are not business records, so there is no data scope to hide behind 404 (a
missing id is still 404).
"""

from functools import partial

from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from sencrm.common.api import (
    ListParams,
    admin_auth,
    apply_filters,
    apply_sort,
    check_query_keys,
    errors_doc,
    existing,
    page_schema,
    paginate,
    patch_schema,
    resolve_refs,
)
from sencrm.core.models import AuditEntry, Branch, CustomField, Role, Team, User
from sencrm.core.schemas import (
    BranchFilters,
    BranchIn,
    BranchOut,
    CustomFieldFilters,
    CustomFieldIn,
    CustomFieldOut,
    CustomFieldPatch,
    MeOut,
    RoleIn,
    RoleOut,
    TeamFilters,
    TeamIn,
    TeamOut,
    UserFilters,
    UserIn,
    UserOut,
    UserPatch,
)
from sencrm.core.services.field_definitions import custom_field_create, custom_field_update
from sencrm.core.services.organisation import branch_create, branch_update
from sencrm.core.services.records import record_create, record_delete, record_update
from sencrm.core.services.roles import role_create, role_delete, role_update
from sencrm.core.services.teams import team_create, team_update
from sencrm.core.services.users import (
    EDITABLE_FIELDS,
    user_activate,
    user_create,
    user_deactivate,
    user_update,
)

router = Router()
admin_router = Router(auth=admin_auth())

ADMIN_ERRORS = errors_doc(401, 403, 404, 409, 422)


def record_history(instance):
    """The audit entries of one record, newest first (the ``/audit`` route pages through them)."""
    return (
        AuditEntry.objects.filter(entity=instance._meta.label_lower, object_id=instance.pk)
        .select_related("user")
        .order_by("-at", "-id")
    )


def record_services(model) -> dict:
    """The generic services of a record kind, for ``common.api.RecordResource`` (override as needed)."""
    return {
        "create": partial(record_create, model),
        "update": record_update,
        "delete": record_delete,
        "history": record_history,
    }


def _admin_list(request, qs, params, *, search: tuple[str, ...], sorts: dict[str, str], default: str):
    """A page of an administration table: exact filters, ``q`` on ``search`` fields."""
    check_query_keys(request, type(params))
    qs = apply_filters(qs, params)
    if params.q:
        condition = Q()
        for name in search:
            condition |= Q(**{f"{name}__icontains": params.q.strip()})
        qs = qs.filter(condition)
    return paginate(request, apply_sort(qs, params.sort, sorts, default), params)


# ---------------------------------------------------------------------------------------------------
# The signed-in user
# ---------------------------------------------------------------------------------------------------


@router.get("/me", response={200: MeOut, **errors_doc(401)}, tags=["me"], summary="The signed-in user")
def me(request):
    return request.user


# ---------------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------------

USER_REFS = {
    "branch": existing(Branch.objects.all),
    "team": existing(Team.objects.all),
    "role": existing(Role.objects.all),
}


@admin_router.get("/users", response={200: page_schema(UserOut), **ADMIN_ERRORS}, tags=["users"])
def list_users(request, params: Query[UserFilters]):
    qs = User.objects.all()
    search = ("username", "first_name", "last_name", "email")
    return _admin_list(request, qs, params, search=search, sorts={"username": "username"}, default="username")


@admin_router.post("/users", response={201: UserOut, **ADMIN_ERRORS}, tags=["users"])
def create_user(request, payload: UserIn):
    data = payload.model_dump()
    resolve_refs(request.user, data, USER_REFS)
    user = user_create(by=request.user, base_url=request.build_absolute_uri("/"), **data)
    return Status(201, user)


@admin_router.get("/users/{user_id}", response={200: UserOut, **ADMIN_ERRORS}, tags=["users"])
def get_user(request, user_id: int):
    return get_object_or_404(User, pk=user_id)


@admin_router.patch("/users/{user_id}", response={200: UserOut, **ADMIN_ERRORS}, tags=["users"])
def update_user(request, user_id: int, payload: UserPatch):
    user = get_object_or_404(User.objects.select_related("branch", "team", "role"), pk=user_id)
    data = payload.model_dump(exclude_unset=True)
    is_active = data.pop("is_active", None)
    resolve_refs(request.user, data, USER_REFS)
    values = {name: getattr(user, name) for name in EDITABLE_FIELDS} | data
    # The changes and the (de)activation stand or fall together.
    with transaction.atomic():
        user = user_update(by=request.user, user=user, **values)
        if is_active is False:
            user = user_deactivate(by=request.user, user=user)
        elif is_active is True:
            user = user_activate(by=request.user, user=user)
    return user


# ---------------------------------------------------------------------------------------------------
# Teams
# ---------------------------------------------------------------------------------------------------

TEAM_REFS = {"branch": existing(Branch.objects.all), "leader": existing(User.objects.all)}
TeamPatch = patch_schema(TeamIn, "TeamPatch", versioned=False)


@admin_router.get("/teams", response={200: page_schema(TeamOut), **ADMIN_ERRORS}, tags=["teams"])
def list_teams(request, params: Query[TeamFilters]):
    return _admin_list(
        request, Team.objects.all(), params, search=("name",), sorts={"name": "name"}, default="name"
    )


@admin_router.post("/teams", response={201: TeamOut, **ADMIN_ERRORS}, tags=["teams"])
def create_team(request, payload: TeamIn):
    data = payload.model_dump()
    resolve_refs(request.user, data, TEAM_REFS)
    return Status(201, team_create(**data))


@admin_router.get("/teams/{team_id}", response={200: TeamOut, **ADMIN_ERRORS}, tags=["teams"])
def get_team(request, team_id: int):
    return get_object_or_404(Team, pk=team_id)


@admin_router.patch("/teams/{team_id}", response={200: TeamOut, **ADMIN_ERRORS}, tags=["teams"])
def update_team(request, team_id: int, payload: TeamPatch):
    team = get_object_or_404(Team, pk=team_id)
    data = payload.model_dump(exclude_unset=True)
    resolve_refs(request.user, data, TEAM_REFS)
    values = {"name": team.name, "branch": team.branch, "leader": team.leader} | data
    return team_update(team=team, **values)


# ---------------------------------------------------------------------------------------------------
# Branches
# ---------------------------------------------------------------------------------------------------

BRANCH_REFS = {"parent": existing(Branch.objects.all)}
BranchPatch = patch_schema(BranchIn, "BranchPatch", versioned=False)


@admin_router.get("/branches", response={200: page_schema(BranchOut), **ADMIN_ERRORS}, tags=["branches"])
def list_branches(request, params: Query[BranchFilters]):
    sorts = {"path": "path", "name": "name"}
    return _admin_list(
        request, Branch.objects.all(), params, search=("name", "code"), sorts=sorts, default="path"
    )


@admin_router.post("/branches", response={201: BranchOut, **ADMIN_ERRORS}, tags=["branches"])
def create_branch(request, payload: BranchIn):
    data = payload.model_dump()
    resolve_refs(request.user, data, BRANCH_REFS)
    return Status(201, branch_create(**data))


@admin_router.get("/branches/{branch_id}", response={200: BranchOut, **ADMIN_ERRORS}, tags=["branches"])
def get_branch(request, branch_id: int):
    return get_object_or_404(Branch, pk=branch_id)


@admin_router.patch("/branches/{branch_id}", response={200: BranchOut, **ADMIN_ERRORS}, tags=["branches"])
def update_branch(request, branch_id: int, payload: BranchPatch):
    """Rename or move a branch (``parent``); the paths of everything below follow."""
    branch = get_object_or_404(Branch, pk=branch_id)
    data = payload.model_dump(exclude_unset=True)
    resolve_refs(request.user, data, BRANCH_REFS)
    values = {"name": branch.name, "parent": branch.parent, "code": branch.code, "address": branch.address}
    return branch_update(branch=branch, **(values | data))


# ---------------------------------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------------------------------

RolePatch = patch_schema(RoleIn, "RolePatch", versioned=False)


@admin_router.get("/roles", response={200: page_schema(RoleOut), **ADMIN_ERRORS}, tags=["roles"])
def list_roles(request, params: Query[ListParams]):
    return _admin_list(
        request, Role.objects.all(), params, search=("name",), sorts={"name": "name"}, default="name"
    )


@admin_router.post("/roles", response={201: RoleOut, **ADMIN_ERRORS}, tags=["roles"])
def create_role(request, payload: RoleIn):
    """Rights name record kinds of ``core.models.MODULES`` and actions view/create/change/delete/export."""
    return Status(201, role_create(by=request.user, **payload.model_dump()))


@admin_router.get("/roles/{role_id}", response={200: RoleOut, **ADMIN_ERRORS}, tags=["roles"])
def get_role(request, role_id: int):
    return get_object_or_404(Role, pk=role_id)


@admin_router.patch("/roles/{role_id}", response={200: RoleOut, **ADMIN_ERRORS}, tags=["roles"])
def update_role(request, role_id: int, payload: RolePatch):
    role = get_object_or_404(Role, pk=role_id)
    values = {
        "name": role.name,
        "description": role.description,
        "scope": role.scope,
        "rights": role.rights,
        "is_admin": role.is_admin,
    }
    return role_update(by=request.user, role=role, **(values | payload.model_dump(exclude_unset=True)))


@admin_router.delete("/roles/{role_id}", response={204: None, **ADMIN_ERRORS}, tags=["roles"])
def delete_role(request, role_id: int):
    """Only a role nobody holds can go (422 otherwise)."""
    role_delete(by=request.user, role=get_object_or_404(Role, pk=role_id))
    return Status(204, None)


# ---------------------------------------------------------------------------------------------------
# Custom fields
# ---------------------------------------------------------------------------------------------------

CUSTOM_FIELD_FIELDS = ("label", "type", "choices", "required", "show_in_list", "position", "active")


@admin_router.get(
    "/custom-fields", response={200: page_schema(CustomFieldOut), **ADMIN_ERRORS}, tags=["custom-fields"]
)
def list_custom_fields(request, params: Query[CustomFieldFilters]):
    sorts = {"entity": "entity", "position": "position", "key": "key"}
    qs = CustomField.objects.all()
    return _admin_list(request, qs, params, search=("key", "label"), sorts=sorts, default="entity,position")


@admin_router.post("/custom-fields", response={201: CustomFieldOut, **ADMIN_ERRORS}, tags=["custom-fields"])
def create_custom_field(request, payload: CustomFieldIn):
    return Status(201, custom_field_create(**payload.model_dump()))


@admin_router.get(
    "/custom-fields/{field_id}", response={200: CustomFieldOut, **ADMIN_ERRORS}, tags=["custom-fields"]
)
def get_custom_field(request, field_id: int):
    return get_object_or_404(CustomField, pk=field_id)


@admin_router.patch(
    "/custom-fields/{field_id}", response={200: CustomFieldOut, **ADMIN_ERRORS}, tags=["custom-fields"]
)
def update_custom_field(request, field_id: int, payload: CustomFieldPatch):
    """Change a custom field; its ``entity`` and ``key`` are fixed (sending them is a 422)."""
    definition = get_object_or_404(CustomField, pk=field_id)
    values = {name: getattr(definition, name) for name in CUSTOM_FIELD_FIELDS}
    return custom_field_update(field=definition, **(values | payload.model_dump(exclude_unset=True)))
