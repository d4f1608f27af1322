"""Duplicates and merge in the API (issue 3): ``GET /<kind>/{id}/duplicates``, ``POST /<kind>/merge``.

Kinds: accounts, contacts, leads. Creating a record never refuses a duplicate (the UI warns, the
API answers 201 as usual); programs ask ``…/duplicates`` when they want to know.
"""

from django.http import HttpResponse
from ninja import Field, Router, Schema

from sencrm.common.access import require_right
from sencrm.common.api import errors_doc, etag
from sencrm.common.models import Action
from sencrm.crm.api import accounts, contacts, leads
from sencrm.crm.services.duplicates import find_duplicates
from sencrm.crm.services.merge import MAX_RECORDS, record_merge

router = Router()


class DuplicateOut(Schema):
    id: int
    type: str
    title: str
    url: str
    score: int = Field(description="0–100; 100 is the same email, phone or tax code.")
    reasons: list[str] = Field(description="Evidence: email, phone, tax_code, name.")


class DuplicatesOut(Schema):
    results: list[DuplicateOut]


class MergeIn(Schema):
    survivor_id: int = Field(description="The record that stays.")
    merged_ids: list[int] = Field(min_length=1, max_length=MAX_RECORDS - 1, description="Merged away.")
    values: dict[str, int] = Field(
        default_factory=dict,
        description="Field name (or `custom.<key>`) → id of the record whose value survives. Fields not "
        "named keep the survivor's value, or the first non-empty one. Tags are always united.",
    )
    version: int | None = Field(None, description="The survivor's version you saw: 412 if it changed since.")


def _add_routes(res) -> None:
    kind = res.model._meta.model_name
    name = res.path.replace("-", "_")
    schema_out = res.schema_out

    @router.get(
        f"/{res.path}/{{record_id}}/duplicates",
        response={200: DuplicatesOut, **errors_doc(401, 403, 404)},
        operation_id=f"{name}_duplicates",
        summary="Likely duplicates, best first",
        description="Among the records you may see: exact email, phone or tax code (score 100), "
        "then similar names weighed with company and address.",
        tags=[res.path],
    )
    def duplicates(request, record_id: int, limit: int = 10):
        instance = res.get_for(request.user, record_id)
        matches = find_duplicates(res.model, instance, request.user, limit=max(1, min(limit, 50)))
        return {
            "results": [
                {
                    "id": m.record.pk,
                    "type": kind,
                    "title": str(m.record),
                    "url": m.record.get_absolute_url(),
                    "score": m.score,
                    "reasons": m.reasons,
                }
                for m in matches
            ]
        }

    @router.post(
        f"/{res.path}/merge",
        response={200: schema_out, **errors_doc(400, 401, 403, 404, 412, 422)},
        operation_id=f"{name}_merge",
        summary="Merge records into one",
        description="One transaction: the survivor takes the chosen values and every linked activity, "
        "opportunity, contact and tag; the others go to the Trash and their ids answer 301 to the "
        "survivor. Needs the edit right on the survivor and the delete right on the others (403 "
        "without the role's right, 404 if one is missing or out of your scope).",
        tags=[res.path],
    )
    def merge(request, payload: MergeIn, response: HttpResponse):
        require_right(request.user, res.model, Action.CHANGE)
        require_right(request.user, res.model, Action.DELETE)
        result = record_merge(
            model=res.model,
            survivor_id=payload.survivor_id,
            other_ids=payload.merged_ids,
            by=request.user,
            choices=payload.values,
            expected_version=payload.version,
        )
        survivor = res.reload(result.survivor)
        response["ETag"] = etag(survivor)
        return survivor


for _resource in (accounts, contacts, leads):
    _add_routes(_resource)
