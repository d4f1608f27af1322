"""Roles: module rights per record kind plus one data scope (U2), as administrators edit them."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sencrm.common.models import Action, DataScope
from sencrm.common.text import nfc
from sencrm.core.models import MODULES, AuditEntry, Role
from sencrm.core.services.audit import audit_record
from sencrm.core.services.uniqueness import name_taken

#: Rights that make no sense without seeing the records first.
NEEDS_VIEW = (Action.CHANGE, Action.DELETE, Action.EXPORT)


def rights_clean(rights: dict) -> dict[str, list[str]]:
    """Validate a rights mapping ``{entity: [action, …]}`` and return it in a stable form.

    Unknown record kinds or actions are errors; edit, delete and export need view (visibility is
    checked per action, so "edit without view" would let a role change what it cannot list).
    Kinds without any right are left out; actions come in the order of ``Action``.
    """
    if not isinstance(rights, dict):
        raise ValidationError({"rights": [_("Rights must map record kinds to lists of actions.")]})
    errors: list[str] = []
    cleaned: dict[str, list[str]] = {}
    for entity, actions in rights.items():
        if entity not in MODULES:
            errors.append(_("Unknown record kind: %(kind)s.") % {"kind": entity})
            continue
        if not isinstance(actions, list | tuple | set) or any(a not in Action.values for a in actions):
            errors.append(_("%(kind)s: unknown right.") % {"kind": MODULES[entity]})
            continue
        granted = [a for a in Action.values if a in actions]
        if granted and Action.VIEW not in granted and any(a in granted for a in NEEDS_VIEW):
            errors.append(_("%(kind)s: edit, delete and export need view.") % {"kind": MODULES[entity]})
            continue
        if granted:
            cleaned[entity] = granted
    if errors:
        raise ValidationError({"rights": errors})
    return cleaned


def _clean_role(role: Role, errors: dict[str, list[str]]) -> None:
    role.name = nfc(role.name).strip()
    role.description = nfc(role.description).strip()
    if role.scope not in DataScope.values:
        errors.setdefault("scope", []).append(_("Choose a data scope from the list."))
    if name_taken(Role.objects.exclude(pk=role.pk), role.name):
        errors.setdefault("name", []).append(_("A role with this name already exists."))
    try:
        role.full_clean(exclude=["rights"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                if message not in errors.get(field, []):
                    errors.setdefault(field, []).append(message)


def _values(role: Role) -> dict[str, object]:
    return {
        "name": role.name,
        "description": role.description,
        "scope": role.scope,
        "is_admin": role.is_admin,
        "rights": role.rights,
    }


@transaction.atomic
def role_create(
    *, by, name: str, scope: str, rights: dict, description: str = "", is_admin: bool = False
) -> Role:
    """Add a role with its data scope, administrator flag and module rights."""
    role = Role(name=name, description=description, scope=scope, is_admin=is_admin)
    errors: dict[str, list[str]] = {}
    try:
        role.rights = rights_clean(rights)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    _clean_role(role, errors)
    if errors:
        raise ValidationError(errors)
    role.save()
    audit_record(instance=role, kind=AuditEntry.Kind.CREATE, by=by)
    return role


@transaction.atomic
def role_update(
    *, by, role: Role, name: str, scope: str, rights: dict, description: str = "", is_admin: bool = False
) -> Role:
    """Change a role; its users get the new rights on their next request.

    An administrator cannot take the administrator flag off their own role.
    """
    current = Role.objects.select_for_update().get(pk=role.pk)
    before = _values(current)
    current.name, current.description, current.scope, current.is_admin = name, description, scope, is_admin
    errors: dict[str, list[str]] = {}
    try:
        current.rights = rights_clean(rights)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    _clean_role(current, errors)
    if before["is_admin"] and not is_admin and by.role_id == current.pk and not by.is_superuser:
        errors.setdefault("is_admin", []).append(
            _("You cannot remove administrator rights from your own role.")
        )
    if errors:
        raise ValidationError(errors)
    after = _values(current)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changes:
        current.save()
        audit_record(instance=current, kind=AuditEntry.Kind.UPDATE, by=by, changes=changes)
    return current


@transaction.atomic
def role_delete(*, by, role: Role) -> None:
    """Delete a role nobody holds (users keep a role; give them another first)."""
    current = Role.objects.select_for_update().get(pk=role.pk)
    if current.users.exists():
        raise ValidationError(_("Users still have this role; give them another role first."))
    audit_record(instance=current, kind=AuditEntry.Kind.DELETE, by=by, message=current.name)
    current.delete()
