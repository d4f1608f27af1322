"""Periodic work of sales: expiring sent quotes past their validity (daily)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from sencrm.sales.services.quotes import quotes_expire


@db_periodic_task(crontab(minute="5", hour="0"))
def expire_quotes() -> int:
    """Just after midnight (server time zone): quotes valid "until yesterday" are expired."""
    return quotes_expire()
