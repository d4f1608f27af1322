"""Helpers the HTML view tests share: records made through the services, persona logins, HTML checks."""

import copy
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from sencrm.core.services.records import record_create
from sencrm.crm.models import Account, Activity, Contact, Lead, Opportunity
from sencrm.crm.services.opportunities import opportunity_create, pipeline_create_default

# One record per owner: which personas see it is the visibility matrix (common/testing.py).
OWNERS = ("alice", "bob", "dave", "mallory", "erin")
VISIBLE = {
    "alice": {"alice"},  # own
    "bob": {"alice", "bob"},  # team Hà Nội 1
    "carol": {"alice", "bob", "dave"},  # branch Hà Nội and Cầu Giấy below it
    "mallory": {"mallory"},  # team Sài Gòn
    "erin": set(OWNERS),  # all
    "viewer": {"alice", "bob", "dave"},  # branch Hà Nội, view only
}

KINDS = ("account", "contact", "lead", "opportunity", "activity")
MODELS = {
    "account": Account,
    "contact": Contact,
    "lead": Lead,
    "opportunity": Opportunity,
    "activity": Activity,
}


def login(client, user, language: str = "en"):
    """Log ``user`` in with the UI in ``language`` (English by default: messages are asserted)."""
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    client.force_login(user)
    return client


def make(kind: str, owner, label: str = "", /, *, custom=None, tags=None, **data):
    """A record of ``kind`` owned (and created) by ``owner``, through the services."""
    label = label or f"{kind} {owner.username}"
    data = {"owner": owner, **data}
    extra = {"custom": custom, "tags": tags}
    if kind == "account":
        return record_create(Account, by=owner, data={"name": label, **data}, **extra)
    if kind == "contact":
        return record_create(Contact, by=owner, data={"full_name": label, **data}, **extra)
    if kind == "lead":
        return record_create(Lead, by=owner, data={"full_name": label, **data}, **extra)
    if kind == "opportunity":
        pipeline_create_default()
        return opportunity_create(by=owner, data={"name": label, "amount": 1_250_000, **data}, **extra)
    return record_create(Activity, by=owner, data={"subject": label, **data}, **extra)


def url(kind: str, view: str, *args) -> str:
    return reverse(f"crm:{kind}_{view}", args=args)


def row_pks(response) -> list[int]:
    """Primary keys of the rows of a list table, in order."""
    return [int(pk) for pk in re.findall(r'<tr data-pk="(\d+)"', response.content.decode())]


def field_error(response, name: str) -> str:
    """The error text shown beside form field ``name`` ('' when none)."""
    html = response.content.decode()
    match = re.search(rf'data-testid="error-{re.escape(name)}">(.*?)</div>', html, re.S)
    return match.group(1).strip() if match else ""


# What clean() reads of each kind's related records: selected with the rows it checks.
USED_BY_CLEAN = {
    Account: ["ward"],
    Contact: ["ward", "account"],
    Lead: ["ward"],
    Opportunity: ["stage", "contact"],
    Activity: ["contact", "opportunity"],
}


def assert_clean_keeps(rows, derived: list[str]) -> None:
    """Rows written in bulk (demo, benchmark) are what the record services would store: clean()
    accepts each one and derives the same ``derived`` columns and search text.

    Foreign keys exist by construction; checking each one would cost a query per row and field.
    """
    for row in rows:
        relations = [f.name for f in row._meta.fields if f.is_relation]
        before = copy.copy(row)
        try:
            row.clean_fields(exclude=[*relations, "tags"])
            row.clean()
        except ValidationError as exc:  # pragma: no cover - shows which row and why
            pytest.fail(f"{type(row).__name__} {row.pk} {row}: {exc.message_dict}")
        row.refresh_search()
        for name in [*derived, "search_text"]:
            assert getattr(row, name) == getattr(before, name), (row.pk, name)
