"""API of segments and saved views: ``/api/v1/segments`` and ``/api/v1/saved-views``.

Filters are filter trees (``sencrm.common.filtering``); a bad one answers 422 with messages
naming the rule under ``errors.filters``. Segment counts and members are always what the
calling user may see. Segments and views the user may not see answer 404; changing one they
see but do not own (and do not administer) answers 403.
"""

import datetime
from typing import Any, Literal

from django.db.models import QuerySet
from ninja import Field, Query, Router, Schema, Status

from sencrm.common.api import InSchema, ListParams, check_query_keys, errors_doc, page_schema, paginate
from sencrm.common.lists import search
from sencrm.core.models import SavedView, Segment
from sencrm.core.services import segments as svc

router = Router()

# --------------------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------------------

TreeField = Field(
    default_factory=dict,
    description='A filter tree: `{"op": "and"|"or", "rules": [{"field", "operator", "value"} | group]}`.',
)


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    entity: str
    kind: str
    filters: dict[str, Any]
    shared: bool
    owner: int = Field(validation_alias="owner_id")
    owner_name: str
    count: int = Field(description="Members the calling user may see, counted now.")
    created_at: datetime.datetime
    updated_at: datetime.datetime


class SegmentIn(InSchema):
    name: str = Field(max_length=120)
    entity: Literal[Segment.ENTITIES]  # type: ignore[valid-type]
    kind: Literal["dynamic", "static"] = "dynamic"
    description: str = Field("", max_length=2000)
    filters: dict[str, Any] = TreeField
    shared: bool = True
    ids: list[int] = Field(
        default_factory=list, max_length=svc.MAX_STATIC_ADD, description="Static: first members."
    )


class SegmentPatch(InSchema):
    name: str | None = Field(None, max_length=120)
    description: str | None = Field(None, max_length=2000)
    filters: dict[str, Any] | None = None
    shared: bool | None = None


class SegmentFilters(ListParams):
    entity: str | None = None
    kind: Literal["dynamic", "static"] | None = None


class MemberOut(Schema):
    id: int
    name: str
    url: str
    owner: int = Field(validation_alias="owner_id")
    created_at: datetime.datetime


class MembersIn(InSchema):
    ids: list[int] = Field(min_length=1, max_length=svc.MAX_STATIC_ADD)


class MembersChangedOut(Schema):
    changed: int = Field(description="Members added or removed by this call.")
    count: int = Field(description="Members the calling user may see now.")


class SavedViewOut(Schema):
    id: int
    name: str
    entity: str
    filters: dict[str, Any]
    params: dict[str, list[str]]
    columns: list[str]
    sort: str
    shared: bool
    owner: int = Field(validation_alias="owner_id")
    created_at: datetime.datetime
    updated_at: datetime.datetime


class SavedViewIn(InSchema):
    name: str = Field(max_length=100)
    entity: str = Field(max_length=50)
    filters: dict[str, Any] = TreeField
    params: dict[str, list[str]] = Field(default_factory=dict, description="Simple list filters and `q`.")
    columns: list[str] = Field(default_factory=list, max_length=60)
    sort: str = Field("", max_length=60)
    shared: bool = False


class SavedViewPatch(InSchema):
    name: str | None = Field(None, max_length=100)
    filters: dict[str, Any] | None = None
    params: dict[str, list[str]] | None = None
    columns: list[str] | None = Field(None, max_length=60)
    sort: str | None = Field(None, max_length=60)
    shared: bool | None = None


class SavedViewFilters(ListParams):
    entity: str | None = None


# --------------------------------------------------------------------------------------------------
# Segments
# --------------------------------------------------------------------------------------------------


def _segment_out(segment: Segment, user) -> dict:
    return {
        **{
            f: getattr(segment, f)
            for f in ("id", "name", "description", "entity", "kind", "filters", "shared")
        },
        "owner_id": segment.owner_id,
        "owner_name": str(segment.owner),
        "count": svc.segment_count(segment, user),
        "created_at": segment.created_at,
        "updated_at": segment.updated_at,
    }


def _page(request, qs: QuerySet, params: ListParams, convert) -> dict:
    page = paginate(request, qs, params)
    page["results"] = [convert(o) for o in page["results"]]
    return page


@router.get(
    "/segments",
    response={200: page_schema(SegmentOut), **errors_doc(401, 422)},
    tags=["segments"],
    summary="Segments you may see, with live counts",
)
def segment_list(request, filters: Query[SegmentFilters]):
    check_query_keys(request, SegmentFilters)
    qs = svc.segments_visible(request.user, filters.entity)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    qs = qs.order_by("name", "id")
    return _page(request, qs, filters, lambda s: _segment_out(s, request.user))


@router.post(
    "/segments",
    response={201: SegmentOut, **errors_doc(400, 401, 422)},
    tags=["segments"],
    summary="Create a dynamic or static segment",
)
def segment_create(request, payload: SegmentIn):
    segment = svc.segment_create(by=request.user, data=payload.model_dump())
    return Status(201, _segment_out(segment, request.user))


@router.get(
    "/segments/{segment_id}",
    response={200: SegmentOut, **errors_doc(401, 404)},
    tags=["segments"],
    summary="One segment",
)
def segment_get(request, segment_id: int):
    return _segment_out(svc.get_segment_for_user(request.user, segment_id), request.user)


@router.patch(
    "/segments/{segment_id}",
    response={200: SegmentOut, **errors_doc(400, 401, 403, 404, 422)},
    tags=["segments"],
    summary="Change a segment (owner or administrator)",
)
def segment_patch(request, segment_id: int, payload: SegmentPatch):
    segment = svc.get_segment_for_user(request.user, segment_id, change=True)
    data = payload.model_dump(exclude_unset=True)
    return _segment_out(svc.segment_update(segment, by=request.user, data=data), request.user)


@router.delete(
    "/segments/{segment_id}",
    response={204: None, **errors_doc(401, 403, 404)},
    tags=["segments"],
    summary="Delete a segment (owner or administrator)",
)
def segment_remove(request, segment_id: int):
    segment = svc.get_segment_for_user(request.user, segment_id, change=True)
    svc.segment_delete(segment, by=request.user)
    return Status(204, None)


@router.get(
    "/segments/{segment_id}/members",
    response={200: page_schema(MemberOut), **errors_doc(401, 404, 422)},
    tags=["segments"],
    summary="Members of a segment you may see, by name",
)
def segment_member_list(request, segment_id: int, params: Query[ListParams]):
    check_query_keys(request, ListParams)
    segment = svc.get_segment_for_user(request.user, segment_id)
    qs = search(svc.segment_members(segment, request.user), params.q or "").order_by("sort_name", "id")

    def member(obj) -> dict:
        return {
            "id": obj.pk,
            "name": str(obj),
            "url": obj.get_absolute_url(),
            "owner_id": obj.owner_id,
            "created_at": obj.created_at,
        }

    return _page(request, qs, params, member)


@router.post(
    "/segments/{segment_id}/members",
    response={200: MembersChangedOut, **errors_doc(400, 401, 403, 404, 422)},
    tags=["segments"],
    summary="Add records to a static segment",
)
def segment_member_add(request, segment_id: int, payload: MembersIn):
    segment = svc.get_segment_for_user(request.user, segment_id, change=True)
    added = svc.segment_add_members(segment=segment, by=request.user, ids=payload.ids)
    return {"changed": added, "count": svc.segment_count(segment, request.user)}


@router.post(
    "/segments/{segment_id}/members/remove",
    response={200: MembersChangedOut, **errors_doc(400, 401, 403, 404, 422)},
    tags=["segments"],
    summary="Remove records from a static segment",
)
def segment_member_remove(request, segment_id: int, payload: MembersIn):
    segment = svc.get_segment_for_user(request.user, segment_id, change=True)
    removed = svc.segment_remove_members(segment=segment, by=request.user, ids=payload.ids)
    return {"changed": removed, "count": svc.segment_count(segment, request.user)}


# --------------------------------------------------------------------------------------------------
# Saved views
# --------------------------------------------------------------------------------------------------


@router.get(
    "/saved-views",
    response={200: page_schema(SavedViewOut), **errors_doc(401, 422)},
    tags=["saved views"],
    summary="Your saved views and the shared ones",
)
def saved_view_list(request, filters: Query[SavedViewFilters]):
    check_query_keys(request, SavedViewFilters)
    qs = svc.saved_views_visible(request.user)
    if filters.entity:
        qs = qs.filter(entity=filters.entity)
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    return paginate(request, qs.order_by("name", "id"), filters)


@router.post(
    "/saved-views",
    response={201: SavedViewOut, **errors_doc(400, 401, 422)},
    tags=["saved views"],
    summary="Save a view of a list",
)
def saved_view_create(request, payload: SavedViewIn):
    data = payload.model_dump()
    entity = data.pop("entity")
    return Status(201, svc.saved_view_create(by=request.user, entity=entity, data=data))


@router.get(
    "/saved-views/{view_id}",
    response={200: SavedViewOut, **errors_doc(401, 404)},
    tags=["saved views"],
    summary="One saved view",
)
def saved_view_get(request, view_id: int):
    return svc.get_saved_view_for_user(request.user, view_id)


@router.patch(
    "/saved-views/{view_id}",
    response={200: SavedViewOut, **errors_doc(400, 401, 403, 404, 422)},
    tags=["saved views"],
    summary="Change a saved view (owner or administrator)",
)
def saved_view_patch(request, view_id: int, payload: SavedViewPatch):
    view = svc.get_saved_view_for_user(request.user, view_id, change=True)
    return svc.saved_view_update(view, by=request.user, data=payload.model_dump(exclude_unset=True))


@router.delete(
    "/saved-views/{view_id}",
    response={204: None, **errors_doc(401, 403, 404)},
    tags=["saved views"],
    summary="Delete a saved view (owner or administrator)",
)
def saved_view_remove(request, view_id: int):
    view: SavedView = svc.get_saved_view_for_user(request.user, view_id, change=True)
    svc.saved_view_delete(view, by=request.user)
    return Status(204, None)
