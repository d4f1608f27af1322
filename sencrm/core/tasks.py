"""Periodic work of the core: emptying the Trash of records older than SENCRM_TRASH_DAYS."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from sencrm.core.services.trash import trash_purge


# Daily at 02:30 server time, when nobody is restoring anything; safe to run twice.
@db_periodic_task(crontab(hour="2", minute="30"))
def purge_trash() -> dict[str, int]:
    return trash_purge()


# Exports and bulk actions run as jobs; importing registers their tasks with the consumer.
from sencrm.core import tasks_jobs  # noqa: E402, F401


# Imports (issue 3): the view or API creates the job and enqueues this after commit.
@db_task()
def import_run_task(job_id: int) -> None:
    from sencrm.core.imports.service import import_run

    import_run(job_id)
