"""The 360° view: everything that touched an account or a contact, newest first (C5).

An account's timeline holds its own activities, opportunities and changes, and those of its
contacts, the changes of its opportunities (stage moves, amounts…) and the conversion of the lead
it came from. A contact's holds the same for the contact alone. Every part goes through
``visible_to``: a user sees on a timeline only what they may see elsewhere.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Q

from sencrm.core.models import AuditEntry
from sencrm.crm.models import Account, Activity, Contact, Lead, Opportunity


@dataclass
class TimelineItem:
    kind: str  # "activity", "opportunity" or "change"
    at: datetime
    obj: object
    # For changes: the display name of the record the entry is about (an account's contact, a lead…).
    title: str = ""


KINDS = ("activity", "opportunity", "change")


def _merge(items: list[TimelineItem], limit: int) -> list[TimelineItem]:
    return sorted(items, key=lambda i: i.at, reverse=True)[:limit]


def _changes(q: Q, titles: dict[tuple[str, int], str], limit: int) -> list[TimelineItem]:
    qs = AuditEntry.objects.filter(q).select_related("user").order_by("-at", "-id")[:limit]
    return [TimelineItem("change", e.at, e, titles.get((e.entity, e.object_id), "")) for e in qs]


#: Conditions per query on SQLite (each is a subquery; SQLite nests ORs up to 1,000 deep).
SQLITE_CONDITIONS_PER_QUERY = 200


def _activities(user, conditions: list[Q], limit: int) -> list[TimelineItem]:
    """The newest ``limit`` activities matching any of ``conditions`` (the account, each contact).

    PostgreSQL plans the OR of the conditions with one index scan each. SQLite (without statistics)
    prefers walking every activity newest first to avoid a sort as soon as a condition is an OR or an
    IN list; there each condition picks its own newest rows in a subquery that seeks its index, and
    one query merges them (one per 200 conditions).
    """
    visible = Activity.objects.visible_to(user)
    if connection.vendor != "sqlite":
        either = Q(pk__in=[])
        for condition in conditions:
            either |= condition
        batches = [visible.filter(either)]
    else:
        batches = []
        for start in range(0, len(conditions), SQLITE_CONDITIONS_PER_QUERY):
            picks = Q(pk__in=[])
            for condition in conditions[start : start + SQLITE_CONDITIONS_PER_QUERY]:
                newest = visible.filter(condition).order_by("-occurred_at", "-id").values("pk")[:limit]
                picks |= Q(pk__in=newest)
            batches.append(Activity.objects.filter(picks))
    found: dict[int, Activity] = {}
    for qs in batches:
        qs = qs.select_related("owner", "contact", "opportunity").order_by("-occurred_at", "-id")[:limit]
        found.update((a.pk, a) for a in qs)
    newest = sorted(found.values(), key=lambda a: (a.occurred_at, a.pk), reverse=True)[:limit]
    return [TimelineItem("activity", a.occurred_at, a) for a in newest]


def _timeline(
    *,
    user,
    kinds,
    limit: int,
    records: dict[tuple[str, int], str],
    activities: list[Q],
    opportunities: Q,
    leads: Q,
) -> list[TimelineItem]:
    """Merge the parts of a timeline; ``records`` are the (entity, id) whose every change is shown.

    ``activities`` (conditions, any of which links an activity), ``opportunities`` and ``leads``
    select the linked rows; the changes of those opportunities after their creation and the
    conversion of those leads are shown too.
    """
    items: list[TimelineItem] = []
    if "activity" in kinds:
        items += _activities(user, activities, limit)
    if "opportunity" in kinds:
        qs = Opportunity.objects.visible_to(user).filter(opportunities).select_related("stage", "owner")
        items += [TimelineItem("opportunity", o.created_at, o) for o in qs.order_by("-created_at")[:limit]]
    if "change" in kinds:
        opportunity_names = dict(
            Opportunity.objects.visible_to(user).filter(opportunities).values_list("pk", "name")
        )
        lead_names = {
            pk: full_name or company
            for pk, full_name, company in Lead.objects.visible_to(user)
            .filter(leads)
            .values_list("pk", "full_name", "company")
        }
        titles = dict(records)
        titles |= {("crm.opportunity", pk): name for pk, name in opportunity_names.items()}
        titles |= {("crm.lead", pk): name for pk, name in lead_names.items()}
        q = Q()
        for entity in sorted({entity for entity, _ in records}):
            q |= Q(entity=entity, object_id__in=[pk for e, pk in records if e == entity])
        q |= (
            # An opportunity's creation is already its own item; its later changes are news.
            Q(entity="crm.opportunity", object_id__in=list(opportunity_names))
            & ~Q(kind=AuditEntry.Kind.CREATE)
        ) | Q(entity="crm.lead", object_id__in=list(lead_names), kind=AuditEntry.Kind.CONVERT)
        items += _changes(q, titles, limit)
    return _merge(items, limit)


def timeline_for_account(*, account: Account, user, kinds=KINDS, limit: int = 100) -> list[TimelineItem]:
    """Activities, opportunities and changes of the account and of its contacts (6 queries)."""
    contacts = dict(Contact.objects.visible_to(user).filter(account=account).values_list("pk", "full_name"))
    records = {("crm.account", account.pk): str(account)}
    records |= {("crm.contact", pk): name for pk, name in contacts.items()}
    return _timeline(
        user=user,
        kinds=kinds,
        limit=limit,
        records=records,
        activities=[Q(account=account), *(Q(contact_id=pk) for pk in contacts)],
        opportunities=Q(account=account),
        leads=Q(converted_account=account),
    )


def timeline_for_contact(*, contact: Contact, user, kinds=KINDS, limit: int = 100) -> list[TimelineItem]:
    """Activities, opportunities and changes of one contact (up to 5 queries)."""
    return _timeline(
        user=user,
        kinds=kinds,
        limit=limit,
        records={("crm.contact", contact.pk): str(contact)},
        activities=[Q(contact=contact)],
        opportunities=Q(contact=contact),
        leads=Q(converted_contact=contact),
    )
