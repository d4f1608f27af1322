"""Periodic work of the CRM: reminders (every minute)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from sencrm.crm.services.activities import reminders_send


@db_periodic_task(crontab(minute="*"))
def send_due_reminders() -> int:
    return reminders_send()
