"""``GET /api/v1/search``: global search for programs, the same engine and rules as the top bar."""

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from sencrm.common.api import ApiError, errors_doc
from sencrm.core.search import search, search_kinds

router = Router(tags=["search"])


class SearchParams(Schema):
    q: str = Field("", max_length=200, description="Words, a phone number, an email or a tax code.")
    type: str = Field("", description="Record kinds, comma separated (account,contact,lead,opportunity).")
    limit: int = Field(20, ge=1, le=50)


class SearchHitOut(Schema):
    type: str
    id: int
    title: str
    subtitle: str
    url: str


class SearchOut(Schema):
    results: list[SearchHitOut]


@router.get("/search", response={200: SearchOut, **errors_doc(401, 422)}, summary="Search records")
def search_records(request, params: Query[SearchParams]):
    """Records the caller may see matching ``q``, best first: exact name, name start, other fields."""
    types = [t.strip() for t in params.type.split(",") if t.strip()]
    known = {k.type for k in search_kinds()}
    unknown = [t for t in types if t not in known]
    if unknown:
        raise ApiError(
            422,
            _("Some fields are not valid."),
            {"type": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(sorted(known))}]},
        )
    hits = search(request.user, params.q, types=types or None, limit=params.limit)
    return {"results": [hit.as_dict() for hit in hits]}
