"""Saved views and segments: named filters over a record kind, and who may see and change them.

A **saved view** remembers how a user looks at a list (filter tree, simple filters, search, columns,
sort). A **segment** is a group of contacts, accounts or leads — dynamic (a filter tree, members
are whatever matches now) or static (a fixed list of ids). Neither ever widens visibility:
members and rows always come through ``visible_to(user)``, so two users looking at the same
segment may count different numbers.

Rights: personal views and segments are their owner's; shared ones everyone with the view right
on the record kind sees. Only the owner or an administrator changes or deletes them. A view or
segment the user may not see answers 404 like a missing one; one they see but may not change
raises ``PermissionDenied`` (403).
"""

from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from sencrm.common.filtering import FilterError, apply_tree, build_q, field_catalogue, parse_tree
from sencrm.common.models import Action
from sencrm.core.models import MODULES, SavedView, Segment, SegmentMember
from sencrm.core.services.custom_fields import custom_fields_for

MAX_STATIC_ADD = 10_000

# --------------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------------


def entity_model(entity: str):
    """The model of a record kind named in ``MODULES`` (``crm.contact``); 404 for others."""
    if entity not in MODULES:
        raise Http404
    try:
        return apps.get_model(entity)
    except LookupError:
        raise Http404 from None


def filter_specs(entity: str) -> dict:
    """The fields a filter on ``entity`` may name (``common.filtering.field_catalogue``)."""
    return field_catalogue(entity_model(entity), custom_fields_for(entity))


def clean_filters(entity: str, filters, user=None) -> dict:
    """The tree as stored (a dict), checked against the fields of ``entity``; errors name the rules."""
    try:
        tree = parse_tree(filters)
        build_q(tree, model=entity_model(entity), specs=filter_specs(entity), user=user)
    except FilterError as exc:
        raise ValidationError({"filters": exc.messages}) from None
    return tree.model_dump(exclude_none=False)


def filtered_records(entity: str, user, filters, **kwargs):
    """Records of ``entity`` that ``user`` may see and that match the tree ``filters``."""
    model = entity_model(entity)
    qs = model.objects.visible_to(user)
    return apply_tree(qs, filters, specs=filter_specs(entity), user=user, **kwargs)


def _can_change(user, obj) -> bool:
    # The owner changes their view or segment; an administrator changes any.
    return obj.owner_id == user.pk or bool(getattr(user, "is_admin", False))


def _visible_q(user) -> Q:
    # Shared ones, and the user's own; administrators manage everyone's.
    if getattr(user, "is_admin", False):
        return Q()
    return Q(shared=True) | Q(owner_id=user.pk)


def _entities_viewable(user) -> list[str]:
    return [e for e in MODULES if user.has_right(e, Action.VIEW)]


# --------------------------------------------------------------------------------------------------
# Saved views
# --------------------------------------------------------------------------------------------------


class ViewParams(BaseModel):
    """The simple filters and search of a saved view: ``{"owner": ["4", "me"], "q": ["lan"]}``."""

    model_config = ConfigDict(extra="forbid")

    values: dict[str, list[str]] = Field(default_factory=dict, max_length=40)


def _clean_params(params) -> dict[str, list[str]]:
    try:
        checked = ViewParams(values=params or {}).values
    except PydanticValidationError:
        raise ValidationError({"params": [_("Filters must map names to lists of values.")]}) from None
    cleaned = {}
    for key, values in checked.items():
        if key in ("page", "view", "filter", "sort") or len(key) > 60:
            continue
        cleaned[key] = [v[:200] for v in values[:50]]
    return cleaned


def _clean_columns(columns) -> list[str]:
    if not isinstance(columns, list) or any(not isinstance(c, str) or len(c) > 60 for c in columns):
        raise ValidationError({"columns": [_("Columns must be a list of column names.")]})
    return columns[:60]


def saved_views_for(user, entity: str):
    """The views ``user`` may pick on the list of ``entity``: their own, then the shared ones."""
    if not user.has_right(entity, Action.VIEW):
        return SavedView.objects.none()
    return (
        SavedView.objects.filter(entity=entity)
        .filter(Q(owner_id=user.pk) | Q(shared=True))
        .select_related("owner")
    )


def saved_views_visible(user):
    """Every saved view ``user`` sees, of the kinds their role lets them view (the API list)."""
    return SavedView.objects.filter(entity__in=_entities_viewable(user)).filter(_visible_q(user))


def get_saved_view_for_user(user, pk, *, change: bool = False) -> SavedView:
    """The view, 404 when missing or not visible; ``PermissionDenied`` to change another's shared view."""
    try:
        view = saved_views_visible(user).get(pk=pk)
    except (SavedView.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if change and not _can_change(user, view):
        raise PermissionDenied
    return view


def _view_fields(entity: str, data: dict, user) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in data:
        name = (data["name"] or "").strip()
        if not name:
            raise ValidationError({"name": [_("Give the view a name.")]})
        out["name"] = name[:100]
    if "filters" in data:
        out["filters"] = clean_filters(entity, data["filters"] or {}, user)
    if "params" in data:
        out["params"] = _clean_params(data["params"])
    if "columns" in data:
        out["columns"] = _clean_columns(data["columns"] or [])
    if "sort" in data:
        out["sort"] = (data["sort"] or "")[:60]
    if "shared" in data:
        out["shared"] = bool(data["shared"])
    return out


def saved_view_create(*, by, entity: str, data: dict) -> SavedView:
    """Save a view of the list of ``entity`` for ``by`` (shared if ``data["shared"]``)."""
    if entity not in MODULES or not by.has_right(entity, Action.VIEW):
        raise ValidationError({"entity": [_("Choose a record kind you can see.")]})
    fields = _view_fields(entity, {"name": "", **data}, by)
    return SavedView.objects.create(owner=by, entity=entity, **fields)


def saved_view_update(view: SavedView, *, by, data: dict) -> SavedView:
    """Change a view's name, filters, columns, sort or sharing (owner or administrator only)."""
    if not _can_change(by, view):
        raise PermissionDenied
    for name, value in _view_fields(view.entity, data, by).items():
        setattr(view, name, value)
    view.save()
    return view


def saved_view_delete(view: SavedView, *, by) -> None:
    """Delete a view (owner or administrator only)."""
    if not _can_change(by, view):
        raise PermissionDenied
    view.delete()


def saved_view_query(view: SavedView) -> list[tuple[str, str]]:
    """The list URL's query parameters that show ``view`` (simple filters, tree, sort, the view's id)."""
    import json

    pairs = [(k, v) for k, values in (view.params or {}).items() for v in values]
    if view.filters and parse_tree(view.filters).rules:
        pairs.append(("filter", json.dumps(view.filters, ensure_ascii=False, separators=(",", ":"))))
    if view.sort:
        pairs.append(("sort", view.sort))
    pairs.append(("view", str(view.pk)))
    return pairs


# --------------------------------------------------------------------------------------------------
# Segments
# --------------------------------------------------------------------------------------------------


def segments_visible(user, entity: str | None = None):
    """Segments ``user`` sees: shared and their own, of kinds their role lets them view."""
    entities = [e for e in Segment.ENTITIES if user.has_right(e, Action.VIEW)]
    if entity:
        entities = [e for e in entities if e == entity]
    return Segment.objects.filter(entity__in=entities).filter(_visible_q(user)).select_related("owner")


def get_segment_for_user(user, pk, *, change: bool = False) -> Segment:
    """The segment, 404 when missing or not visible; ``PermissionDenied`` to change someone else's."""
    try:
        segment = segments_visible(user).get(pk=pk)
    except (Segment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if change and not _can_change(user, segment):
        raise PermissionDenied
    return segment


def segment_members(segment: Segment, user):
    """The records of ``segment`` that ``user`` may see (dynamic: matching now; static: listed)."""
    model = entity_model(segment.entity)
    if segment.kind == Segment.Kind.STATIC:
        ids = SegmentMember.objects.filter(segment=segment).values("object_id")
        return model.objects.visible_to(user).filter(pk__in=ids)
    return filtered_records(segment.entity, user, segment.filters or {})


def segment_count(segment: Segment, user) -> int:
    """How many members of ``segment`` ``user`` may see (one COUNT query)."""
    try:
        return segment_members(segment, user).count()
    except FilterError:
        return 0  # a field used by the tree was removed since: the page says the filter is broken


def _segment_fields(entity: str, kind: str, data: dict, user) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in data:
        name = (data["name"] or "").strip()
        if not name:
            raise ValidationError({"name": [_("Give the segment a name.")]})
        out["name"] = name[:120]
    if "description" in data:
        out["description"] = (data["description"] or "")[:2000]
    if "shared" in data:
        out["shared"] = bool(data["shared"])
    if "filters" in data:
        if kind == Segment.Kind.STATIC and data["filters"]:
            raise ValidationError({"filters": [_("A static segment has members, not filters.")]})
        out["filters"] = clean_filters(entity, data["filters"] or {}, user)
    return out


def segment_create(*, by, data: dict) -> Segment:
    """Create a dynamic or static segment owned by ``by``; static ones may start with ``ids``."""
    entity = data.get("entity")
    if entity not in Segment.ENTITIES or not by.has_right(entity, Action.VIEW):
        raise ValidationError(
            {"entity": [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(Segment.ENTITIES)}]}
        )
    kind = data.get("kind") or Segment.Kind.DYNAMIC
    if kind not in Segment.Kind.values:
        raise ValidationError({"kind": [_("Choose dynamic or static.")]})
    fields = _segment_fields(entity, kind, {"name": "", **data}, by)
    with transaction.atomic():
        segment = Segment.objects.create(owner=by, entity=entity, kind=kind, **fields)
        if kind == Segment.Kind.STATIC and data.get("ids"):
            segment_add_members(segment=segment, by=by, ids=data["ids"])
    return segment


def segment_update(segment: Segment, *, by, data: dict) -> Segment:
    """Change a segment's name, description, sharing or filter (owner or administrator only)."""
    if not _can_change(by, segment):
        raise PermissionDenied
    for name, value in _segment_fields(segment.entity, segment.kind, data, by).items():
        setattr(segment, name, value)
    segment.save()
    return segment


def segment_delete(segment: Segment, *, by) -> None:
    """Delete a segment and its member list (owner or administrator only)."""
    if not _can_change(by, segment):
        raise PermissionDenied
    segment.delete()


def _clean_ids(ids) -> list[int]:
    try:
        values = sorted({int(i) for i in ids})
    except (TypeError, ValueError):
        raise ValidationError({"ids": [_("Send a list of record ids.")]}) from None
    if len(values) > MAX_STATIC_ADD:
        raise ValidationError({"ids": [_("At most %(n)d records at a time.") % {"n": MAX_STATIC_ADD}]})
    return values


def segment_add_members(*, segment: Segment, by, ids) -> int:
    """Add the records ``ids`` that ``by`` may see to a static segment; returns how many were new.

    Ids ``by`` may not see are refused like missing ones (ValidationError naming them), so nobody
    learns which ids exist.
    """
    if not _can_change(by, segment):
        raise PermissionDenied
    if segment.kind != Segment.Kind.STATIC:
        raise ValidationError({"ids": [_("Only static segments have members to add.")]})
    wanted = _clean_ids(ids)
    model = entity_model(segment.entity)
    seen = set(model.objects.visible_to(by).filter(pk__in=wanted).values_list("pk", flat=True))
    missing = [i for i in wanted if i not in seen]
    if missing:
        shown = ", ".join(map(str, missing[:20]))
        raise ValidationError(
            {"ids": [_("No such records, or you may not see them: %(ids)s.") % {"ids": shown}]}
        )
    with transaction.atomic():
        existing = set(
            SegmentMember.objects.filter(segment=segment, object_id__in=wanted).values_list(
                "object_id", flat=True
            )
        )
        new = [SegmentMember(segment=segment, object_id=i, added_by=by) for i in wanted if i not in existing]
        SegmentMember.objects.bulk_create(new, ignore_conflicts=True)
        Segment.objects.filter(pk=segment.pk).update(updated_at=timezone.now())
    return len(new)


def segment_remove_members(*, segment: Segment, by, ids) -> int:
    """Remove from a static segment the records ``ids`` that ``by`` may see; returns how many went."""
    if not _can_change(by, segment):
        raise PermissionDenied
    if segment.kind != Segment.Kind.STATIC:
        raise ValidationError({"ids": [_("Only static segments have members to remove.")]})
    wanted = _clean_ids(ids)
    model = entity_model(segment.entity)
    # Only records the user sees: members hidden from them stay, unseen and untouched.
    visible = model.objects.visible_to(by).filter(pk__in=wanted).values("pk")
    deleted, _detail = SegmentMember.objects.filter(segment=segment, object_id__in=visible).delete()
    return deleted
