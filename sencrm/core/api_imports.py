"""The import API: ``POST /imports`` (multipart) starts an import job, ``GET /imports/{id}`` follows
it; ``GET /jobs/{id}`` answers any background job of the user (imports, exports, bulk actions).

A job belongs to the user who started it; anybody else gets 404. Starting an import needs the
create right on the record kind (and change, to update on a match): 403 otherwise.
"""

import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from sencrm.common.api import ApiError, errors_doc
from sencrm.core.imports.readers import ImportFileError
from sencrm.core.imports.service import (
    MATCH_CHOICES,
    get_import_for_user,
    import_check_rights,
    import_configure,
    import_create,
    import_enqueue,
    import_errors,
    import_undo_start,
    mapping_from_headers,
    max_bytes,
)
from sencrm.core.models import Job

router = Router(tags=["imports"])


class JobOut(Schema):
    id: int
    kind: str
    status: str
    entity: str
    total: int
    done: int
    percent: int
    counts: dict
    message: str
    result_url: str | None = None
    created_at: str
    finished_at: str | None = None


class ImportErrorOut(Schema):
    row: int
    column: str
    value: str
    message: str


class ImportOut(JobOut):
    filename: str
    format: str
    encoding: str
    legacy: str
    mapping: dict[str, str]
    match: str
    errors: list[ImportErrorOut]


def _job_out(job: Job) -> dict:
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "entity": job.entity,
        "total": job.total,
        "done": job.done,
        "percent": job.percent,
        "counts": job.counts,
        "message": job.message,
        "result_url": reverse("job_result", args=[job.pk]) if job.result_file else None,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def _import_out(job: Job) -> dict:
    headers = job.params.get("headers", [])
    mapping = {headers[int(i)]: k for i, k in job.params.get("mapping", {}).items() if int(i) < len(headers)}
    return {
        **_job_out(job),
        "filename": job.params.get("filename", ""),
        "format": job.params.get("format", ""),
        "encoding": job.params.get("encoding", ""),
        "legacy": job.params.get("legacy", "none"),
        "mapping": mapping,
        "match": job.params.get("match", "skip"),
        "errors": import_errors(job, limit=100),
    }


@router.post("/imports", response={202: ImportOut, **errors_doc(400, 401, 403, 413, 422)})
def import_start(
    request,
    file: File[UploadedFile],
    entity: Form[str],
    mapping: Form[str] = "",
    match: Form[str] = "skip",
    legacy: Form[str] = "auto",
):
    """Upload a CSV, XLSX or vCard file and import it as a background job.

    ``entity``: ``crm.contact``, ``crm.account``, ``crm.lead``…; ``mapping``: optional JSON object
    ``{"header in the file": "field"}`` (suggested from the headers when left out); ``match``:
    what a row matching an existing record does — ``skip``, ``update`` or ``create``;
    ``legacy``: ``auto``, ``none``, ``tcvn3`` or ``vni``.
    """
    if match not in MATCH_CHOICES:
        raise ApiError(422, _("Some fields are not valid."), {"match": [_("Choose skip, update or create.")]})
    try:
        by_name = json.loads(mapping) if mapping else None
    except json.JSONDecodeError:
        by_name = "bad"
    if by_name is not None and not isinstance(by_name, dict):
        raise ApiError(422, _("Some fields are not valid."), {"mapping": [_("Enter a JSON object.")]})
    import_check_rights(user=request.user, entity=entity, match=match)  # 403 before reading the file
    if file.size and file.size > max_bytes():
        message = _("The file is too large (%(size)s MB); the limit is %(limit)s MB.") % {
            "size": round(file.size / 1_048_576, 1),
            "limit": round(max_bytes() / 1_048_576, 1),
        }
        raise ApiError(413, message, {"file": [message]})
    try:
        with transaction.atomic():
            job, table = import_create(user=request.user, entity=entity, upload=file, legacy=legacy)
            new_mapping = (
                mapping_from_headers(table.headers, by_name) if by_name is not None else job.params["mapping"]
            )
            import_configure(job, mapping=new_mapping, match=match)
            import_enqueue(job)
    except ImportFileError as exc:
        raise ApiError(400, str(exc), {"file": [str(exc)]}) from None
    job.refresh_from_db()
    return Status(202, _import_out(job))


@router.get("/imports/{job_id}", response={200: ImportOut, **errors_doc(401, 404)})
def import_get(request, job_id: int):
    """Status, progress, counts and the first 100 lines of the error file of an import."""
    return _import_out(get_import_for_user(request.user, job_id))


@router.post("/imports/{job_id}/undo", response={202: JobOut, **errors_doc(401, 404, 409)})
def import_undo_api(request, job_id: int):
    """Undo a finished import (remove what it created, put back what it changed) as a background
    job: answers the undo job; follow it with ``GET /jobs/{id}``."""
    job = get_import_for_user(request.user, job_id)
    try:
        with transaction.atomic():
            undo = import_undo_start(job, by=request.user)
    except ValidationError as exc:
        raise ApiError(409, " ".join(exc.messages)) from None
    undo.refresh_from_db()
    return Status(202, _job_out(undo))


@router.get("/jobs/{job_id}", response={200: JobOut, **errors_doc(401, 404)})
def job_get(request, job_id: int):
    """Any background job the user started: status, progress, counts, result file."""
    job = Job.objects.filter(pk=job_id, user=request.user).first()
    if job is None:
        raise Http404
    return _job_out(job)
