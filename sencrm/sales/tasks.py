"""Work of sales in the background: expiring quotes, contract renewal and overdue-invoice
reminders (daily), and delivering orders to the ERP (after commit, then retried every minute)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from sencrm.sales.services.quotes import quotes_expire


@db_periodic_task(crontab(minute="5", hour="0"))
def expire_quotes() -> int:
    """Just after midnight (server time zone): quotes valid "until yesterday" are expired."""
    return quotes_expire()


@db_periodic_task(crontab(minute="20", hour="7"))
def remind_overdue_invoices() -> int:
    """Each morning: a task for the owner of every invoice that became overdue (once per invoice)."""
    from sencrm.sales.services.invoices import overdue_remind

    return overdue_remind()


@db_periodic_task(crontab(minute="10", hour="7"))
def remind_contract_renewals() -> int:
    """Each morning: a task for the owner of every contract entering its notice period."""
    from sencrm.sales.services.contracts import contracts_remind

    return contracts_remind()


@db_task()
def deliver_webhooks(delivery_ids: list[int]) -> None:
    """The first try of new ERP deliveries, right after the order's transaction commits."""
    from sencrm.sales.services.erp import webhook_deliver

    for delivery_id in delivery_ids:
        webhook_deliver(delivery_id)


@db_periodic_task(crontab(minute="*"))
def retry_webhooks() -> int:
    """Every minute: the ERP deliveries whose next try is due (exponential backoff)."""
    from sencrm.sales.services.erp import webhooks_deliver_due

    return webhooks_deliver_due()
