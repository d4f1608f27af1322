"""Import pages: upload → column mapping → preview and match choice → progress → result, undo.

Also the generic job progress fragment (``job_progress``) any background job page can poll.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sencrm.common.access import RightDenied
from sencrm.common.views import forbidden
from sencrm.core.imports import adapters, get_adapter
from sencrm.core.imports import legacy as legacy_codecs
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
    max_bytes,
    preview_rows,
)
from sencrm.core.models import Job


def _entity_choices(user):
    return [(e, a.label) for e, a in adapters().items() if user.has_right(a.model, "create")]


@login_required
def import_new(request):
    entity = request.POST.get("entity") or request.GET.get("entity") or ""
    choices = _entity_choices(request.user)
    if entity and get_adapter(entity) is None:
        raise Http404
    if entity:
        try:
            import_check_rights(user=request.user, entity=entity)
        except RightDenied:
            return forbidden(request)
    elif not choices:
        return forbidden(request)
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if not upload:
            error = _("Choose a file to import.")
        elif not entity:
            error = _("Choose what the file holds.")
        else:
            try:
                with transaction.atomic():
                    job, _table = import_create(user=request.user, entity=entity, upload=upload)
                return redirect("import_mapping", pk=job.pk)
            except ImportFileError as exc:
                error = str(exc)
    return render(
        request,
        "core/imports/upload.html",
        {"entity": entity, "choices": choices, "error": error, "max_mb": round(max_bytes() / 1_048_576)},
        status=400 if error else 200,
    )


def _mapping_rows(job):
    adapter = get_adapter(job.entity)
    headers = job.params.get("headers", [])
    mapping = job.params.get("mapping", {})
    return adapter, [(i, h, mapping.get(str(i), "")) for i, h in enumerate(headers)]


@login_required
def import_mapping(request, pk: int):
    job = get_import_for_user(request.user, pk)
    if job.status != Job.Status.PENDING:
        return redirect("import_detail", pk=job.pk)
    if request.method == "POST":
        mapping = {k.removeprefix("col_"): v for k, v in request.POST.items() if k.startswith("col_") and v}
        try:
            import_configure(
                job, mapping=mapping, match=job.params.get("match", "skip"), legacy=request.POST.get("legacy")
            )
        except RightDenied:
            return forbidden(request)
        return redirect("import_preview", pk=job.pk)
    adapter, rows = _mapping_rows(job)
    try:
        table, _preview = preview_rows(job, limit=5)
    except ImportFileError as exc:
        messages.error(request, str(exc))
        return redirect("import_new")
    # The legacy-font conversion, before and after, for the user to confirm.
    original = table.raw_samples[:5] if table.legacy else []
    samples = table.samples[:3]
    context = {
        "job": job,
        "adapter": adapter,
        "fields": adapter.all_fields(),
        "rows": [(i, h, key, [s[i] if i < len(s) else "" for s in samples]) for i, h, key in rows],
        "table": table,
        "legacy_label": legacy_codecs.LABELS.get(table.legacy or ""),
        "legacy_pairs": list(zip(original, table.samples[:5], strict=False)),
    }
    return render(request, "core/imports/mapping.html", context)


@login_required
def import_preview(request, pk: int):
    job = get_import_for_user(request.user, pk)
    if job.status != Job.Status.PENDING:
        return redirect("import_detail", pk=job.pk)
    if request.method == "POST":
        match = request.POST.get("match", "skip")
        try:
            import_configure(job, mapping=job.params.get("mapping", {}), match=match)
        except RightDenied:
            return forbidden(request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("import_preview", pk=job.pk)
        with transaction.atomic():
            import_enqueue(job)
        return redirect("import_detail", pk=job.pk)
    adapter, rows = _mapping_rows(job)
    table, preview = preview_rows(job, limit=20)
    fields = {f.key: f for f in adapter.all_fields()}
    mapped = [(i, h, fields[key]) for i, h, key in rows if key in fields]
    context = {
        "job": job,
        "adapter": adapter,
        "mapped": mapped,
        "preview": [
            {**p, "shown": [p["cells"][i] if i < len(p["cells"]) else "" for i, _h, _f in mapped]}
            for p in preview
        ],
        "table": table,
        "legacy_label": legacy_codecs.LABELS.get(table.legacy or ""),
        "match_choices": [
            ("skip", _("Skip the row (keep the existing record as it is)")),
            ("update", _("Update the existing record with the file's non-empty values")),
            ("create", _("Create a new record anyway")),
        ],
        "can_update": request.user.has_right(adapter.model, "change"),
    }
    assert {c for c, _l in context["match_choices"]} == set(MATCH_CHOICES)
    return render(request, "core/imports/preview.html", context)


@login_required
def import_detail(request, pk: int):
    job = get_import_for_user(request.user, pk)
    adapter = get_adapter(job.entity)
    undo_id = job.params.get("undo_job")
    undo_job = Job.objects.filter(pk=undo_id, user=request.user).first() if undo_id else None
    context = {
        "job": job,
        "adapter": adapter,
        "errors": import_errors(job, limit=50),
        "undo_job": undo_job,
        "undo_running": undo_job is not None and undo_job.status in (Job.Status.PENDING, Job.Status.RUNNING),
    }
    return render(request, "core/imports/detail.html", context)


@login_required
@require_POST
def import_undo_view(request, pk: int):
    job = get_import_for_user(request.user, pk)
    try:
        with transaction.atomic():
            import_undo_start(job, by=request.user)
        messages.success(request, _("The undo has started; this page shows its progress."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("import_detail", pk=job.pk)


def _job_for_user(user, pk: int) -> Job:
    job = Job.objects.filter(pk=pk, user=user).first() if user.is_authenticated else None
    if job is None:
        raise Http404
    return job


@login_required
def job_progress(request, pk: int):
    """The progress fragment of any job; it polls itself every second until the job ends."""
    job = _job_for_user(request.user, pk)
    return render(request, "core/partials/job_progress.html", {"job": job})


@login_required
def job_result(request, pk: int):
    """Download a job's result file (an export, an import's error report)."""
    job = _job_for_user(request.user, pk)
    if not job.result_file:
        raise Http404
    name = job.result_file.name.rsplit("/", 1)[-1]
    return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=name)
