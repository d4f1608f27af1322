"""Accounts, contacts, leads and opportunities in global search (core.search), with what each
result shows: the name, and a subtitle that tells two namesakes apart."""

from sencrm.common.phones import format_phone
from sencrm.core.search import register
from sencrm.crm.models import Account, Contact, Lead, Opportunity


def _join(*parts) -> str:
    return " · ".join(str(p) for p in parts if p)


def account_subtitle(account: Account) -> str:
    return _join(account.tax_code, format_phone(account.phone), account.email)


def contact_subtitle(contact: Contact) -> str:
    company = contact.account.name if contact.account_id else ""
    return _join(company or contact.job_title, format_phone(contact.mobile or contact.phone), contact.email)


def lead_subtitle(lead: Lead) -> str:
    company = lead.company if lead.full_name else ""
    return _join(company, format_phone(lead.mobile or lead.phone), lead.email)


def opportunity_subtitle(opportunity: Opportunity) -> str:
    return _join(opportunity.account.name, opportunity.stage.name)


def register_crm() -> None:
    """Called from ``CrmConfig.ready``."""
    register(Account, title="name", subtitle=account_subtitle, icon="building")
    register(Contact, title="full_name", subtitle=contact_subtitle, icon="user", select_related=["account"])
    register(Lead, title=str, subtitle=lead_subtitle, icon="target", index_fields=["full_name", "company"])
    register(
        Opportunity,
        title="name",
        subtitle=opportunity_subtitle,
        icon="coin",
        select_related=["account", "stage"],
    )
