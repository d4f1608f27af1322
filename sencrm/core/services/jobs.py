"""Background jobs users start and follow (imports, exports, bulk actions).

A view creates the job and enqueues its task after commit; the task reports progress with
``job_progress`` (one UPDATE, no read) and ends with ``job_finish`` or ``job_fail``. The progress
page polls the job. Tasks must be safe to run twice: ``job_start`` claims a pending job once.
"""

from collections.abc import Callable

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from sencrm.core.models import Job
from sencrm.core.queue import delivery_count


def job_create(
    *, user, kind: str, entity: str, params: dict | None = None, source=None, total: int = 0
) -> Job:
    """Record a job; ``source`` (an uploaded file) is stored with it for the task to read."""
    job = Job(user=user, kind=kind, entity=entity, params=params or {}, total=total)
    if source is not None:
        job.source_file.save(getattr(source, "name", "upload"), source, save=False)
    job.save()
    return job


def job_enqueue(job: Job, task: Callable) -> None:
    """Run ``task(job_id)`` in the task queue once the current transaction commits."""
    transaction.on_commit(lambda: task(job.pk))


def job_start(job_id: int) -> Job | None:
    """Claim a pending job for this worker; None when another run already took it.

    On Redis, the task of a consumer that died mid-run is delivered again (``sencrm.core.queue``) and
    finds its job still running: the job is then marked failed, so the user sees it stopped and can
    start it again (running it again from the start could, for an import, create rows twice).
    """
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.PENDING).update(
        status=Job.Status.RUNNING, started_at=timezone.now()
    )
    if claimed:
        return Job.objects.get(pk=job_id)
    if delivery_count():
        Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(
            status=Job.Status.FAILED,
            finished_at=timezone.now(),
            message=gettext("The worker running this job stopped before the end. Start it again."),
        )
    return None


def job_progress(job_id: int, *, done: int, total: int | None = None) -> None:
    fields = {"done": done} if total is None else {"done": done, "total": total}
    Job.objects.filter(pk=job_id).update(**fields)


def job_finish(
    job_id: int,
    *,
    counts: dict | None = None,
    message: str = "",
    result: tuple[str, bytes] | None = None,
    status: str = Job.Status.DONE,
) -> Job:
    """End a job with its counts and, optionally, a result file ``(name, content)``."""
    job = Job.objects.get(pk=job_id)
    if result is not None:
        job.result_file.save(result[0], ContentFile(result[1]), save=False)
    job.status, job.message, job.finished_at = status, message, timezone.now()
    if counts is not None:
        job.counts = counts
    if status == Job.Status.DONE:
        job.done = max(job.done, job.total)
    job.save()
    return job


def job_fail(job_id: int, message: str) -> Job:
    return job_finish(job_id, message=message, status=Job.Status.FAILED)


def jobs_for(user, *, kind: str | None = None):
    """The user's jobs, newest first (a user sees only their own)."""
    qs = Job.objects.filter(user=user).order_by("-created_at", "-id")
    return qs.filter(kind=kind) if kind else qs
