"""Background runs of exports and bulk actions users start from a list (``core.Job``).

Thin wrappers: the work lives in ``common.exports`` and ``common.bulk`` (STYLE.md §8). Each task
takes the job id, claims the job once (``job_start``), so running it twice does nothing more.
The consumer finds these tasks because ``core/tasks.py`` imports this module.
"""

from huey.contrib.djhuey import db_task

from sencrm.common.bulk import bulk_job_run
from sencrm.common.exports import export_job_run


@db_task()
def export_run(job_id: int) -> None:
    export_job_run(job_id)


@db_task()
def bulk_run(job_id: int) -> None:
    bulk_job_run(job_id)
