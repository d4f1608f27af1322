"""Record access helpers: the one way views, API handlers and tasks fetch a record for a user."""

from django.http import Http404

from sencrm.common.models import Action


def get_object_for_user(queryset, user, pk, action: str = Action.VIEW):
    """Return the record or raise Http404: one answer for 'missing' and 'not allowed' (STYLE.md §5)."""
    try:
        return queryset.visible_to(user, action).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


class RightDenied(Exception):
    """The user's role lacks a module right (create, export…): the API answers 403."""

    def __init__(self, model, action: str):
        self.model = model
        self.action = action
        super().__init__(f"{action} on {model._meta.label_lower}")


def require_right(user, model, action: str) -> None:
    """Raise RightDenied unless the user's role grants ``action`` on ``model``."""
    if not (getattr(user, "is_authenticated", False) and user.is_active and user.has_right(model, action)):
        raise RightDenied(model, action)


def merged_survivor(queryset, user, pk):
    """The record ``pk`` was merged into, if it was and the user may see it; else None (issue 3).

    A merged-away record is in the Trash with ``merged_into`` set; its old URLs and API ids lead to
    the survivor. Kinds without ``merged_into`` and survivors out of scope give None (then 404).
    """
    model = queryset.model
    if not any(f.name == "merged_into" for f in model._meta.concrete_fields):
        return None
    try:
        target = model._base_manager.filter(pk=pk).values_list("merged_into_id", flat=True).first()
    except (ValueError, TypeError):
        return None
    if target is None:
        return None
    return queryset.visible_to(user).filter(pk=target).first()
