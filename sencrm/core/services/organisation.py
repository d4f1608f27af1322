"""Branches, teams and users: the organisation tree (U5) and its administration."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sencrm.core.models import Branch


@transaction.atomic
def branch_create(*, name: str, parent: Branch | None = None, code: str = "", address: str = "") -> Branch:
    """Add a branch under ``parent`` (a root branch when None)."""
    branch = Branch.objects.create(name=name, parent=parent, code=code, address=address)
    branch.path = f"{parent.path if parent else '/'}{branch.pk}/"
    branch.save(update_fields=["path"])
    return branch


@transaction.atomic
def branch_update(
    *, branch: Branch, name: str, parent: Branch | None, code: str = "", address: str = ""
) -> Branch:
    """Rename or move a branch; moving rewrites the paths of the whole subtree."""
    if parent is not None and parent.path.startswith(branch.path):
        raise ValidationError({"parent": [_("A branch cannot be moved below itself.")]})
    old_path = branch.path
    branch.name, branch.parent, branch.code, branch.address = name, parent, code, address
    branch.path = f"{parent.path if parent else '/'}{branch.pk}/"
    branch.save()
    if old_path != branch.path:
        for child in Branch.objects.filter(path__startswith=old_path).exclude(pk=branch.pk):
            child.path = branch.path + child.path[len(old_path) :]
            child.save(update_fields=["path"])
    return branch
