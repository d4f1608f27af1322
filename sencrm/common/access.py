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
