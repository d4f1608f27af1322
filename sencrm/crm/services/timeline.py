"""The 360° view: everything that touched an account or a contact, newest first (C5)."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from sencrm.core.models import AuditEntry
from sencrm.crm.models import Account, Activity, Contact, Opportunity


@dataclass
class TimelineItem:
    kind: str  # "activity", "opportunity" or "change"
    at: datetime
    obj: object


KINDS = ("activity", "opportunity", "change")


def _merge(items: list[TimelineItem], limit: int) -> list[TimelineItem]:
    return sorted(items, key=lambda i: i.at, reverse=True)[:limit]


def timeline_for_account(*, account: Account, user, kinds=KINDS, limit: int = 100) -> list[TimelineItem]:
    """Activities, opportunities and changes of the account and of its contacts."""
    items: list[TimelineItem] = []
    contact_ids = list(Contact.objects.visible_to(user).filter(account=account).values_list("pk", flat=True))
    if "activity" in kinds:
        qs = Activity.objects.visible_to(user).filter(Q(account=account) | Q(contact_id__in=contact_ids))
        qs = qs.select_related("owner", "contact", "opportunity").order_by("-occurred_at")[:limit]
        items += [TimelineItem("activity", a.occurred_at, a) for a in qs]
    if "opportunity" in kinds:
        qs = Opportunity.objects.visible_to(user).filter(account=account).select_related("stage", "owner")
        items += [TimelineItem("opportunity", o.created_at, o) for o in qs.order_by("-created_at")[:limit]]
    if "change" in kinds:
        qs = AuditEntry.objects.filter(
            Q(entity="crm.account", object_id=account.pk) | Q(entity="crm.contact", object_id__in=contact_ids)
        )
        items += [TimelineItem("change", e.at, e) for e in qs.select_related("user").order_by("-at")[:limit]]
    return _merge(items, limit)


def timeline_for_contact(*, contact: Contact, user, kinds=KINDS, limit: int = 100) -> list[TimelineItem]:
    items: list[TimelineItem] = []
    if "activity" in kinds:
        qs = Activity.objects.visible_to(user).filter(contact=contact)
        qs = qs.select_related("owner", "opportunity").order_by("-occurred_at")[:limit]
        items += [TimelineItem("activity", a.occurred_at, a) for a in qs]
    if "opportunity" in kinds:
        qs = Opportunity.objects.visible_to(user).filter(contact=contact).select_related("stage", "owner")
        items += [TimelineItem("opportunity", o.created_at, o) for o in qs.order_by("-created_at")[:limit]]
    if "change" in kinds:
        qs = AuditEntry.objects.filter(entity="crm.contact", object_id=contact.pk).select_related("user")
        items += [TimelineItem("change", e.at, e) for e in qs.order_by("-at")[:limit]]
    return _merge(items, limit)
