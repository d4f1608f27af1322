"""Lead verification and conversion into account + contact + opportunity (C1)."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.common.access import get_object_for_user, require_right
from sencrm.common.models import Action
from sencrm.common.phones import is_valid_phone
from sencrm.common.text import fold, sort_key
from sencrm.core.models import AuditEntry
from sencrm.core.services.audit import audit_record
from sencrm.core.services.records import record_create
from sencrm.crm.models import Account, Contact, Lead, Opportunity, Pipeline
from sencrm.crm.services.duplicates import find_duplicates

_FREE_MAIL = {"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "yahoo.com.vn"}


@dataclass
class Warning:
    """A verification finding shown on the lead: the field concerned, a message, maybe a link."""

    field: str
    message: str
    url: str = ""


def lead_verify(*, lead: Lead, user) -> list[Warning]:
    """Check a lead's data: unassigned phone numbers, implausible emails, likely duplicates.

    Duplicates are searched among records ``user`` may see: other leads through
    ``crm.services.duplicates.find_duplicates`` (exact E.164 phone, email, tax code, and similar
    folded names); contacts on exact phone and email; accounts on tax code and the company name.
    """
    warnings: list[Warning] = []
    for name in ("mobile", "phone"):
        value = getattr(lead, name)
        if value and not is_valid_phone(value):
            warnings.append(
                Warning(name, _("%(phone)s is not an assigned Vietnamese number range.") % {"phone": value})
            )
    if lead.email:
        domain = lead.email.rsplit("@", 1)[-1]
        if "." not in domain or domain.endswith((".con", ".cmo", ".vnn")):
            warnings.append(
                Warning("email", _("The email domain %(domain)s looks mistyped.") % {"domain": domain})
            )
    phones = [p for p in (lead.mobile, lead.phone) if p]

    def exact(*fields_values):
        q = Q()
        for field, value in fields_values:
            if value:
                q |= Q(**{field: value})
        return q

    # Other leads: exact keys and similar names, through the duplicate finder (issue 3).
    for match in find_duplicates(Lead, lead, user, limit=3):
        warnings.append(
            Warning(
                "duplicate",
                _("Possible duplicate of lead %(name)s.") % {"name": match.record},
                match.record.get_absolute_url(),
            )
        )
    if phones or lead.email or lead.tax_code:
        contact_q = exact(("email", lead.email)) | Q(mobile__in=phones) | Q(phone__in=phones)
        for other in Contact.objects.visible_to(user).filter(contact_q)[:3]:
            warnings.append(
                Warning(
                    "duplicate", _("Already a contact: %(name)s.") % {"name": other}, other.get_absolute_url()
                )
            )
    account_q = exact(("tax_code", lead.tax_code))
    if lead.company:
        account_q |= Q(sort_name=sort_key(lead.company))
    if account_q:
        for other in Account.objects.visible_to(user).filter(account_q)[:3]:
            warnings.append(
                Warning(
                    "duplicate",
                    _("Account %(name)s already exists.") % {"name": other},
                    other.get_absolute_url(),
                )
            )
    return warnings


@dataclass
class ConversionResult:
    account: Account | None
    contact: Contact
    opportunity: Opportunity | None


@transaction.atomic
def lead_convert(
    *,
    lead: Lead,
    by,
    account: Account | None = None,
    contact: Contact | None = None,
    create_account: bool = True,
    create_opportunity: bool = True,
    opportunity_name: str = "",
    amount: int | None = None,
    pipeline: Pipeline | None = None,
    expected_close=None,
) -> ConversionResult:
    """Turn a lead into account + contact + opportunity in one transaction.

    Pass an existing ``account`` or ``contact`` to link to it instead of creating one (they must be
    visible to ``by``). Any failure rolls back every part; the lead then stays unconverted.
    """
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.is_converted:
        raise ValidationError({"lead": [_("This lead has already been converted.")]})
    placement = {"owner": lead.owner}
    if account is not None:
        account = get_object_for_user(Account.objects.all(), by, account.pk)
    elif create_account and lead.company:
        require_right(by, Account, Action.CREATE)
        account = record_create(
            Account,
            by=by,
            data={
                **placement,
                "name": lead.company,
                "tax_code": lead.tax_code,
                "phone": lead.phone,
                "email": lead.email if fold(lead.email).rsplit("@", 1)[-1] not in _FREE_MAIL else "",
                "website": lead.website,
                "industry": lead.industry,
                "street": lead.street,
                "ward_id": lead.ward_id,
                "province_id": lead.province_id,
            },
        )
    if contact is not None:
        contact = get_object_for_user(Contact.objects.all(), by, contact.pk)
    else:
        require_right(by, Contact, Action.CREATE)
        contact = record_create(
            Contact,
            by=by,
            data={
                **placement,
                "salutation": lead.salutation if lead.salutation in Contact.Salutation.values else "",
                "family_name": lead.family_name,
                "middle_name": lead.middle_name,
                "given_name": lead.given_name or (lead.company if not lead.full_name else ""),
                "account": account,
                "job_title": lead.job_title,
                "mobile": lead.mobile,
                "phone": lead.phone,
                "email": lead.email,
                "street": lead.street,
                "ward_id": lead.ward_id,
                "province_id": lead.province_id,
            },
        )
    opportunity = None
    if create_opportunity:
        from sencrm.crm.services.opportunities import default_pipeline

        require_right(by, Opportunity, Action.CREATE)
        pipeline = pipeline or default_pipeline()
        first_stage = pipeline.stages.filter(kind="open").order_by("position").first()
        opportunity = record_create(
            Opportunity,
            by=by,
            data={
                **placement,
                "name": opportunity_name or lead.company or lead.full_name,
                "account": account,
                "contact": contact,
                "pipeline": pipeline,
                "stage": first_stage,
                "probability": first_stage.probability if first_stage else 0,
                "amount": amount if amount is not None else (lead.estimated_value or 0),
                "expected_close": expected_close,
                "description": lead.description,
            },
        )
    Lead.objects.filter(pk=lead.pk).update(
        status=Lead.Status.CONVERTED,
        converted_at=timezone.now(),
        converted_account=account,
        converted_contact=contact,
        converted_opportunity=opportunity,
        updated_by=by,
    )
    # The lead's activities follow the customer it became.
    lead.activities.update(account=account, contact=contact, opportunity=opportunity)
    audit_record(
        instance=lead,
        kind=AuditEntry.Kind.CONVERT,
        by=by,
        changes={"status": [lead.status, Lead.Status.CONVERTED]},
        message=", ".join(str(x) for x in (account, contact, opportunity) if x),
    )
    return ConversionResult(account=account, contact=contact, opportunity=opportunity)
