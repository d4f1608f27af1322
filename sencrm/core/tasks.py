"""Periodic work of the core: emptying the Trash of records older than SENCRM_TRASH_DAYS."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from sencrm.core.services.trash import trash_purge


# Daily at 02:30 server time, when nobody is restoring anything; safe to run twice.
@db_periodic_task(crontab(hour="2", minute="30"))
def purge_trash() -> dict[str, int]:
    return trash_purge()
