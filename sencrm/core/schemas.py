"""Request and response bodies of core's API: the signed-in user and the administration resources."""

import datetime
from typing import Any

from ninja import Field, Schema

from sencrm.common.api import InSchema, ListParams, choice, text
from sencrm.common.models import DataScope
from sencrm.core.models import MODULES, Branch, CustomField, Role, Team, User

# ---------------------------------------------------------------------------------------------------
# The signed-in user
# ---------------------------------------------------------------------------------------------------


class MeOut(Schema):
    """Who the API is talking to, and what their role lets them do (programs adapt their UI to it)."""

    id: int
    username: str
    full_name: str
    email: str
    language: str
    time_zone: str
    branch: int | None = Field(validation_alias="branch_id")
    team: int | None = Field(validation_alias="team_id")
    role: int | None = Field(validation_alias="role_id")
    role_name: str | None
    scope: str
    is_admin: bool
    rights: dict[str, list[str]]

    @staticmethod
    def resolve_full_name(obj) -> str:
        return str(obj)

    @staticmethod
    def resolve_role_name(obj) -> str | None:
        return obj.role.name if obj.role_id else None

    @staticmethod
    def resolve_scope(obj) -> str:
        return str(obj.data_scope)

    @staticmethod
    def resolve_rights(obj) -> dict[str, list[str]]:
        if obj.is_superuser:
            return Role.all_rights()
        return dict(obj.role.rights) if obj.role_id else {}


# ---------------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------------


class UserIn(InSchema):
    """A new user. Give a ``password``, or ``send_password_link`` to email them a link to set one."""

    username: str = text(User, "username")
    password: str | None = Field(None, max_length=128, description="Write-only; never answered.")
    send_password_link: bool = False
    first_name: str = text(User, "first_name")
    last_name: str = text(User, "last_name", default="")
    email: str = text(User, "email", default="")
    phone: str = text(User, "phone", default="")
    job_title: str = text(User, "job_title", default="")
    branch: int
    team: int | None = None
    role: int | None = None
    language: choice(User.Language) = User.Language.VI.value
    time_zone: str = text(User, "time_zone", default="Asia/Ho_Chi_Minh")


class UserPatch(InSchema):
    """Changes to a user; ``is_active: false`` deactivates them and revokes their API tokens."""

    username: str | None = text(User, "username", default=None)
    first_name: str | None = text(User, "first_name", default=None)
    last_name: str | None = text(User, "last_name", default=None)
    email: str | None = text(User, "email", default=None)
    phone: str | None = text(User, "phone", default=None)
    job_title: str | None = text(User, "job_title", default=None)
    branch: int | None = None
    team: int | None = None
    role: int | None = None
    language: choice(User.Language) | None = None
    time_zone: str | None = text(User, "time_zone", default=None)
    is_active: bool | None = None


class UserOut(Schema):
    """A user as administrators see them (never the password hash)."""

    id: int
    username: str
    first_name: str
    last_name: str
    full_name: str
    email: str
    phone: str
    job_title: str
    branch: int | None = Field(validation_alias="branch_id")
    team: int | None = Field(validation_alias="team_id")
    role: int | None = Field(validation_alias="role_id")
    language: str
    time_zone: str
    is_active: bool
    is_admin: bool
    last_login: datetime.datetime | None
    date_joined: datetime.datetime

    @staticmethod
    def resolve_full_name(obj) -> str:
        return str(obj)


class UserFilters(ListParams):
    branch: int | None = None
    team: int | None = None
    role: int | None = None
    is_active: bool | None = None


# ---------------------------------------------------------------------------------------------------
# Teams and branches
# ---------------------------------------------------------------------------------------------------


class TeamIn(InSchema):
    name: str = text(Team, "name")
    branch: int
    leader: int | None = None


class TeamOut(Schema):
    id: int
    name: str
    branch: int = Field(validation_alias="branch_id")
    leader: int | None = Field(validation_alias="leader_id")


class TeamFilters(ListParams):
    branch: int | None = None


class BranchIn(InSchema):
    """A branch; ``parent`` null makes it a root of the organisation tree."""

    name: str = text(Branch, "name")
    code: str = text(Branch, "code", default="")
    address: str = text(Branch, "address", default="")
    parent: int | None = None


class BranchOut(Schema):
    id: int
    name: str
    code: str
    address: str
    parent: int | None = Field(validation_alias="parent_id")
    path: str = Field(description="Ids from the root down, e.g. /1/4/9/.")
    depth: int = Field(description="0 for a root branch.")


class BranchFilters(ListParams):
    parent: int | None = None


# ---------------------------------------------------------------------------------------------------
# Roles and custom fields
# ---------------------------------------------------------------------------------------------------


class RoleIn(InSchema):
    """A role: a data scope plus module rights, e.g. ``{"crm.lead": ["view", "create", "change"]}``."""

    name: str = text(Role, "name")
    description: str = text(Role, "description", default="")
    scope: choice(DataScope) = DataScope.OWN.value
    rights: dict[str, list[str]] = Field(
        default_factory=dict, description="Record kinds: " + ", ".join(MODULES) + "."
    )
    is_admin: bool = False


class RoleOut(Schema):
    id: int
    name: str
    description: str
    scope: str
    rights: dict[str, list[str]]
    is_admin: bool


class CustomFieldIn(InSchema):
    """A custom field on a record kind; ``entity`` and ``key`` never change afterwards."""

    entity: choice(MODULES.keys())
    key: str = text(CustomField, "key")
    label: str = text(CustomField, "label")
    type: choice(CustomField.Type) = CustomField.Type.TEXT.value
    choices: list[str] = Field(default_factory=list, description="For choice and multi: the allowed values.")
    required: bool = False
    show_in_list: bool = False
    position: int | None = Field(None, ge=0, le=100_000)
    active: bool = True


class CustomFieldPatch(InSchema):
    label: str | None = text(CustomField, "label", default=None)
    type: choice(CustomField.Type) | None = None
    choices: list[str] | None = None
    required: bool | None = None
    show_in_list: bool | None = None
    position: int | None = Field(None, ge=0, le=100_000)
    active: bool | None = None


class CustomFieldOut(Schema):
    id: int
    entity: str
    key: str
    label: str
    type: str
    choices: list[Any]
    required: bool
    show_in_list: bool
    position: int
    active: bool


class CustomFieldFilters(ListParams):
    entity: choice(MODULES.keys()) | None = None
    active: bool | None = None
