"""Export and bulk-action endpoints of any record list, and the pages of the jobs they start.

Generic for every ``ObjectListView``: ``action_urls("contacts", "contact", ContactListView)``
adds ``contacts/export/`` (``?format=csv|xlsx|vcard`` plus the list's own query string) and
``contacts/bulk/`` (POST; GET ``?action=`` gives the value input of an action). ``job_urls()``
adds the job page (progress, counts; the file downloads from core's ``job_result``) and the
export log of the settings.
"""

import functools

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sencrm.common import bulk, exports
from sencrm.common.access import RightDenied
from sencrm.common.models import Action
from sencrm.common.views import forbidden, safe_next


def _login(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            return view(request, *args, **kwargs)
        except RightDenied:
            return forbidden(request)

    return wrapper


def _redirect(request, url: str) -> HttpResponse:
    if getattr(request, "htmx", None):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _in_language(chunks, language: str, tz):
    """Keep the user's language and time zone while a streamed body is produced (after the view)."""
    with translation.override(language), timezone.override(tz):
        yield from chunks


def export_response(plan, fmt: str) -> HttpResponse:
    """The file itself: CSV and vCard streamed chunk by chunk, XLSX from a spooled temporary file."""
    filename = plan.filename(fmt)
    if fmt == "xlsx":
        out = exports.write_to_file(plan, fmt)
        return FileResponse(
            out, as_attachment=True, filename=filename, content_type=exports.CONTENT_TYPES[fmt]
        )
    chunks = exports.write_vcard(plan) if fmt == "vcard" else exports.write_csv(plan)
    body = _in_language(chunks, translation.get_language(), timezone.get_current_timezone())
    response = StreamingHttpResponse(body, content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_start(view_class, user, params, fmt: str, columns=None):
    """Plan an export and either answer ``("file", plan)`` or queue it: ``("job", job)``."""
    from sencrm.core.services.jobs import job_enqueue
    from sencrm.core.tasks_jobs import export_run

    if fmt not in exports.FORMATS or (fmt == "vcard" and not exports.supports_vcard(view_class.model)):
        raise ValidationError({"format": [_("Choose CSV, Excel or (for contacts) vCard.")]})
    plan = exports.export_plan(view_class, user, params, columns)
    rows = plan.queryset.count()
    if rows <= exports.inline_limit():
        exports.export_record(plan, fmt, rows=rows, inline=True)
        return "file", plan
    job = exports.export_record(plan, fmt, rows=rows, inline=False)
    job_enqueue(job, export_run)
    return "job", job


@_login
def export_view(request, view_class):
    """``GET <list>/export/?format=csv&<the list's query string>``: the file, or a job page."""
    fmt = request.GET.get("format", "csv")
    try:
        outcome, value = export_start(
            view_class, request.user, request.GET, fmt, request.GET.getlist("columns")
        )
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain; charset=utf-8")
    if outcome == "file":
        return export_response(value, fmt)
    messages.info(
        request, _("This export is large: it is being prepared. Download it here when it is ready.")
    )
    return _redirect(request, reverse("crm:job_detail", args=[value.pk]))


@_login
@require_http_methods(["GET", "POST"])
def bulk_view(request, view_class):
    """POST: apply a bulk action to the checked rows (``pk``) or to ``all`` the list matches."""
    model = view_class.model
    if request.method == "GET":
        return bulk_value_input(request, view_class)
    action = request.POST.get("action", "")
    needed = Action.DELETE if action == "delete" else Action.CHANGE
    if not request.user.has_right(model, needed):
        return forbidden(request)
    list_url = reverse(f"{model._meta.app_label}:{model._meta.model_name}_list")
    query = request.POST.get("query", "").lstrip("?")
    back = safe_next(request, f"{list_url}?{query}" if query else list_url)
    ids = None if request.POST.get("all") == "1" else request.POST.getlist("pk")
    value = request.POST.get("value", "")
    if action in ("add_tags", "remove_tags") and request.POST.getlist("tags"):
        value = request.POST.getlist("tags")
    if len(request.POST.getlist("value")) > 1:  # a multiple-choice custom field
        value = request.POST.getlist("value")
    try:
        req = bulk.bulk_prepare(
            model,
            action=action,
            value=value,
            field_name=request.POST.get("field", ""),
            ids=ids,
            query=query,
            lost_reason=request.POST.get("lost_reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _redirect(request, back)
    if bulk.bulk_count(view_class, request.user, req) > bulk.inline_limit():
        from sencrm.core.models import Job
        from sencrm.core.services.jobs import job_create, job_enqueue
        from sencrm.core.tasks_jobs import bulk_run

        job = job_create(
            user=request.user,
            kind=Job.Kind.BULK,
            entity=model.entity(),
            params=req.as_params(view_class),
            total=bulk.bulk_count(view_class, request.user, req),
        )
        job_enqueue(job, bulk_run)
        messages.info(request, _("The bulk action runs in the background; follow it here."))
        return _redirect(request, reverse("crm:job_detail", args=[job.pk]))
    result = bulk.bulk_apply(view_class, user=request.user, req=req)
    messages.success(request, result_text(result))
    for error in result.errors[:5]:
        messages.warning(request, f"{error['record']}: {error['message']}")
    return _redirect(request, back)


def result_text(result) -> str:
    return _(
        "%(changed)s changed, %(unchanged)s already so, %(skipped)s skipped (no right), %(failed)s failed."
    ) % {
        "changed": result.changed,
        "unchanged": result.unchanged,
        "skipped": result.skipped,
        "failed": result.failed,
    }


def bulk_value_input(request, view_class):
    """The value input an action needs (users, branches, tags, the allowed fields and choices)."""
    from django.contrib.auth import get_user_model

    from sencrm.core.models import Branch, Tag

    model = view_class.model
    action = request.GET.get("action", "")
    context = {"action": action}
    if action == "assign_owner":
        context["options"] = [(u.pk, str(u)) for u in get_user_model().objects.filter(is_active=True)]
    elif action == "move_branch":
        context["options"] = [(b.pk, "\u2003" * b.depth + b.name) for b in Branch.objects.all()]
    elif action in ("add_tags", "remove_tags"):
        context["tags"] = list(Tag.objects.values_list("name", flat=True)[:500])
    elif action == "set_field":
        fields = bulk.settable_fields(model)
        context["fields"] = fields
        chosen = request.GET.get("field", "")
        context["field"] = next((f for f in fields if f["name"] == chosen), fields[0] if fields else None)
    return render(request, "components/bulk_value.html", context)


def action_urls(prefix: str, name: str, list_view) -> list:
    """``<name>_export`` and ``<name>_bulk`` for the list ``list_view`` at ``<prefix>/``."""
    return [
        path(
            f"{prefix}/export/", functools.partial(export_view, view_class=list_view), name=f"{name}_export"
        ),
        path(f"{prefix}/bulk/", functools.partial(bulk_view, view_class=list_view), name=f"{name}_bulk"),
    ]


# --------------------------------------------------------------------------------------------------
# Jobs: progress, result, download; the export log of the settings
# --------------------------------------------------------------------------------------------------
def _own_job(request, pk: int):
    """The user's own export or bulk job; 404 for anyone else's (one answer for missing and not yours)."""
    from sencrm.core.models import Job

    return get_object_or_404(Job, pk=pk, user=request.user, kind__in=[Job.Kind.EXPORT, Job.Kind.BULK])


@_login
def job_detail(request, pk: int):
    """The job page: progress while it runs (core's progress fragment polls itself), then the result."""
    return render(request, "core/jobs/job_detail.html", {"job": _own_job(request, pk)})


def export_log(request):
    """``/settings/exports/``: who exported what and when (administrators only)."""
    from sencrm.core.models import Job

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.is_admin:
        raise PermissionDenied
    qs = Job.objects.filter(kind=Job.Kind.EXPORT).select_related("user").order_by("-created_at", "-id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "core/jobs/export_log.html", {"page": page, "section": "exports"})


def job_urls() -> list:
    return [
        path("jobs/<int:pk>/status/", job_detail, name="job_detail"),
        path("settings/exports/", export_log, name="export_log"),
    ]
