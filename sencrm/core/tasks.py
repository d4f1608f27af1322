"""Periodic work of the core: emptying the Trash of records older than SENCRM_TRASH_DAYS, keeping
the database's planner statistics fresh; and the background tasks of jobs (imports, exports, bulk)."""

import os

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from sencrm.core.services.statistics import statistics_refresh
from sencrm.core.services.trash import trash_purge


# Daily at 02:30 server time, when nobody is restoring anything; safe to run twice.
@db_periodic_task(crontab(hour="2", minute="30"))
def purge_trash() -> dict[str, int]:
    return trash_purge()


# Nightly, after the purge: SQLite's planner statistics follow the data (a no-op on PostgreSQL).
@db_periodic_task(crontab(hour="3", minute="15"))
def refresh_statistics() -> bool:
    return statistics_refresh()


# Exports and bulk actions run as jobs; importing registers their tasks with the consumer.
from sencrm.core import tasks_jobs  # noqa: E402, F401


# Imports (issue 3): the view or API creates the job and enqueues this after commit.
@db_task()
def import_run_task(job_id: int) -> None:
    from sencrm.core.imports.service import import_run

    import_run(job_id)


# The scale-out test (core/tests/test_scale_out.py) starts consumers that also run its probe task.
if os.environ.get("SENCRM_SCALE_OUT_PROBES") == "1":
    from huey.contrib.djhuey import HUEY

    from sencrm.core.tests.scale_out_tasks import register

    register(HUEY)


# The undo of an import runs as a job too (``import_undo_start``).
@db_task()
def import_undo_task(job_id: int) -> None:
    from sencrm.core.imports.service import import_undo_run

    import_undo_run(job_id)
