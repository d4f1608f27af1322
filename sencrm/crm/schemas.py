"""Request and response bodies of the CRM API: <Entity>In / <Entity>Out / <Entity>Filters.

Foreign keys are ids named like the model field (``owner``, ``account``, ``stage``), so an error
about a field is keyed by the name the client sent. Organisation rows (owner, branch, team, stage,
pipeline) also come with their display names; linked business records come as ids only, so a record
never shows anything of a linked record its reader may not see.
"""

import datetime
from typing import Annotated, Any

from ninja import Field, Schema

from sencrm.common.api import InSchema, LocalDateTime, RecordFilters, RecordOut, choice, text
from sencrm.core.models import Tag
from sencrm.crm.models import Account, Activity, Contact, Lead, Opportunity
from sencrm.crm.models.contacts import Channel

#: Money in VND has no minor unit; BigIntegerField holds far more, but no deal is worth a quadrillion.
MAX_AMOUNT = 10**15
TagName = Annotated[str, Field(max_length=Tag._meta.get_field("name").max_length)]

# ---------------------------------------------------------------------------------------------------
# Shared parts
# ---------------------------------------------------------------------------------------------------


class PlacementIn(InSchema):
    """Who is responsible and where the record lives; both default to the person creating it.

    The team always follows the owner. ``custom`` values are merged on PATCH (null clears one);
    ``tags`` replaces the record's tags when given.
    """

    owner: int | None = Field(None, description="User id; defaults to you.")
    branch: int | None = Field(None, description="Branch id; defaults to the owner's branch.")
    tags: list[TagName] | None = Field(None, description="Tag names; new ones are created.")
    custom: dict[str, Any] | None = Field(None, description="Custom field values by key.")


class AddressIn(InSchema):
    street: str = text(Account, "street", default="")
    ward: int | None = Field(None, description="Ward code (after the 2025 reorganisation).")
    province: int | None = Field(None, description="Province code; taken from the ward when omitted.")
    address_as_entered: str = text(Account, "address_as_entered", default="")


class AddressOut(Schema):
    street: str
    ward: int | None = Field(validation_alias="ward_id")
    province: int | None = Field(validation_alias="province_id")
    address: str = Field(description="Street, ward, province, as displayed.")
    address_as_entered: str


# ---------------------------------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------------------------------


class AccountIn(AddressIn, PlacementIn):
    name: str = text(Account, "name")
    type: choice(Account.Type) = Account.Type.CUSTOMER.value
    parent: int | None = Field(None, description="Parent account id.")
    industry: str = text(Account, "industry", default="")
    tax_code: str = text(Account, "tax_code", default="", description="Mã số thuế: 10, 10-3 or 12 digits.")
    phone: str = text(Account, "phone", default="")
    phone2: str = text(Account, "phone2", default="")
    email: str = text(Account, "email", default="")
    email2: str = text(Account, "email2", default="")
    website: str = text(Account, "website", default="")
    employees: int | None = Field(None, ge=0, le=2**31 - 1)
    annual_revenue: int | None = Field(None, ge=0, le=MAX_AMOUNT)
    description: str = text(Account, "description", default="")


class AccountOut(AddressOut, RecordOut):
    name: str
    type: str
    parent: int | None = Field(validation_alias="parent_id")
    industry: str
    tax_code: str
    phone: str
    phone2: str
    email: str
    email2: str
    website: str
    employees: int | None
    annual_revenue: int | None
    description: str


class AccountFilters(RecordFilters):
    type: choice(Account.Type) | None = None
    province: int | None = None
    parent: int | None = None


# ---------------------------------------------------------------------------------------------------
# Contacts
# ---------------------------------------------------------------------------------------------------


class ContactIn(AddressIn, PlacementIn):
    """A person. Give the name parts (họ, tên đệm, tên) or ``full_name`` alone to have it split."""

    salutation: choice(Contact.Salutation, blank=True) = ""
    family_name: str = text(Contact, "family_name", default="")
    middle_name: str = text(Contact, "middle_name", default="")
    given_name: str = text(Contact, "given_name", default="")
    full_name: str = text(Contact, "full_name", default="")
    account: int | None = Field(None, description="Account id; none for an individual consumer.")
    job_title: str = text(Contact, "job_title", default="")
    department: str = text(Contact, "department", default="")
    mobile: str = text(Contact, "mobile", default="")
    phone: str = text(Contact, "phone", default="")
    email: str = text(Contact, "email", default="")
    email2: str = text(Contact, "email2", default="")
    birthday: datetime.date | None = None
    preferred_channel: choice(Channel, blank=True) = ""
    preferred_time: choice(Contact.ContactTime, blank=True) = ""
    consent: dict[str, Any] = Field(
        default_factory=dict,
        description='Per channel: {"email": {"granted": true, "at": "2026-01-05", "source": "web form"}}.',
    )
    do_not_contact: bool = False
    description: str = text(Contact, "description", default="")


class ContactOut(AddressOut, RecordOut):
    salutation: str
    family_name: str
    middle_name: str
    given_name: str
    full_name: str
    account: int | None = Field(validation_alias="account_id")
    job_title: str
    department: str
    mobile: str
    phone: str
    email: str
    email2: str
    birthday: datetime.date | None
    preferred_channel: str
    preferred_time: str
    consent: dict[str, Any]
    do_not_contact: bool
    last_contacted_at: datetime.datetime | None
    description: str


class ContactFilters(RecordFilters):
    account: int | None = None
    province: int | None = None


# ---------------------------------------------------------------------------------------------------
# Leads
# ---------------------------------------------------------------------------------------------------

#: A lead becomes "converted" only through POST /leads/{id}/convert.
LEAD_STATUSES = [s for s in Lead.Status.values if s != Lead.Status.CONVERTED]


class LeadIn(AddressIn, PlacementIn):
    salutation: str = text(Lead, "salutation", default="")
    family_name: str = text(Lead, "family_name", default="")
    middle_name: str = text(Lead, "middle_name", default="")
    given_name: str = text(Lead, "given_name", default="")
    full_name: str = text(Lead, "full_name", default="")
    company: str = text(Lead, "company", default="")
    job_title: str = text(Lead, "job_title", default="")
    mobile: str = text(Lead, "mobile", default="")
    phone: str = text(Lead, "phone", default="")
    email: str = text(Lead, "email", default="")
    website: str = text(Lead, "website", default="")
    tax_code: str = text(Lead, "tax_code", default="")
    industry: str = text(Lead, "industry", default="")
    source: choice(Lead.Source) = Lead.Source.OTHER.value
    status: choice(LEAD_STATUSES) = Lead.Status.NEW.value
    rating: choice(Lead.Rating) = Lead.Rating.WARM.value
    estimated_value: int | None = Field(None, ge=0, le=MAX_AMOUNT)
    description: str = text(Lead, "description", default="")


class LeadOut(AddressOut, RecordOut):
    salutation: str
    family_name: str
    middle_name: str
    given_name: str
    full_name: str
    company: str
    job_title: str
    mobile: str
    phone: str
    email: str
    website: str
    tax_code: str
    industry: str
    source: str
    status: str
    rating: str
    estimated_value: int | None
    description: str
    converted_at: datetime.datetime | None
    converted_account: int | None = Field(validation_alias="converted_account_id")
    converted_contact: int | None = Field(validation_alias="converted_contact_id")
    converted_opportunity: int | None = Field(validation_alias="converted_opportunity_id")


class LeadFilters(RecordFilters):
    status: choice(Lead.Status) | None = None
    rating: choice(Lead.Rating) | None = None
    source: choice(Lead.Source) | None = None
    province: int | None = None


class LeadConvertIn(InSchema):
    """Conversion choices; every field is optional (``{}`` creates account, contact and deal)."""

    account_id: int | None = Field(None, description="Link to this existing account instead of creating one.")
    contact_id: int | None = Field(None, description="Link to this existing contact instead of creating one.")
    create_account: bool = Field(True, description="Create an account from the lead's company.")
    create_opportunity: bool = True
    opportunity_name: str = text(Opportunity, "name", default="")
    amount: int | None = Field(None, ge=0, le=MAX_AMOUNT)
    pipeline_id: int | None = None
    expected_close: datetime.date | None = None


class LeadConvertOut(Schema):
    account_id: int | None
    contact_id: int
    opportunity_id: int | None


class LeadWarningOut(Schema):
    field: str
    message: str
    url: str


# ---------------------------------------------------------------------------------------------------
# Opportunities and pipelines
# ---------------------------------------------------------------------------------------------------


class OpportunityIn(PlacementIn):
    """A deal. ``pipeline`` defaults to the default pipeline, ``stage`` to its first stage (which
    must be of the same pipeline), ``probability`` to the stage's."""

    name: str = text(Opportunity, "name")
    account: int | None = None
    contact: int | None = None
    pipeline: int | None = None
    stage: int | None = None
    amount: int = Field(0, ge=0, le=MAX_AMOUNT)
    currency: str = text(Opportunity, "currency", default="VND")
    probability: int | None = Field(None, ge=0, le=100)
    expected_close: datetime.date | None = None
    products: str = text(Opportunity, "products", default="")
    competitors: str = text(Opportunity, "competitors", default="")
    next_step: str = text(Opportunity, "next_step", default="")
    lost_reason: str = text(Opportunity, "lost_reason", default="", description="Required in a lost stage.")
    description: str = text(Opportunity, "description", default="")


class OpportunityOut(RecordOut):
    name: str
    account: int | None = Field(validation_alias="account_id")
    contact: int | None = Field(validation_alias="contact_id")
    pipeline: int = Field(validation_alias="pipeline_id")
    pipeline_name: str
    stage: int = Field(validation_alias="stage_id")
    stage_name: str
    status: str
    amount: int
    currency: str
    probability: int
    weighted_amount: int
    expected_close: datetime.date | None
    closed_at: datetime.datetime | None
    products: str
    competitors: str
    next_step: str
    lost_reason: str
    description: str

    @staticmethod
    def resolve_pipeline_name(obj) -> str:
        return str(obj.pipeline)

    @staticmethod
    def resolve_stage_name(obj) -> str:
        return str(obj.stage)


class OpportunityFilters(RecordFilters):
    status: choice(Opportunity.Status) | None = None
    pipeline: int | None = None
    stage: int | None = None
    account: int | None = None
    contact: int | None = None


class OpportunityMoveIn(InSchema):
    stage_id: int
    lost_reason: str = text(Opportunity, "lost_reason", default="", description="Required for a lost stage.")


class StageChangeOut(Schema):
    id: int
    from_stage: int | None = Field(validation_alias="from_stage_id")
    from_stage_name: str | None
    to_stage: int | None = Field(validation_alias="to_stage_id")
    to_stage_name: str | None
    at: datetime.datetime
    by: int | None = Field(validation_alias="by_id")
    by_name: str | None

    @staticmethod
    def resolve_from_stage_name(obj) -> str | None:
        return str(obj.from_stage) if obj.from_stage_id else None

    @staticmethod
    def resolve_to_stage_name(obj) -> str | None:
        return str(obj.to_stage) if obj.to_stage_id else None

    @staticmethod
    def resolve_by_name(obj) -> str | None:
        return str(obj.by) if obj.by_id else None


class StageOut(Schema):
    id: int
    name: str
    position: int
    probability: int
    kind: str


class PipelineOut(Schema):
    id: int
    name: str
    is_default: bool
    position: int
    active: bool
    stages: list[StageOut]

    @staticmethod
    def resolve_stages(obj) -> list:
        return list(obj.stages.all())


# ---------------------------------------------------------------------------------------------------
# Activities
# ---------------------------------------------------------------------------------------------------


class ActivityIn(PlacementIn):
    """A call, meeting, task, logged email or note. Date-times without an offset are in your time zone."""

    kind: choice(Activity.Kind) = Activity.Kind.TASK.value
    subject: str = text(Activity, "subject")
    description: str = text(Activity, "description", default="")
    priority: choice(Activity.Priority) = Activity.Priority.NORMAL.value
    due_at: LocalDateTime | None = None
    start_at: LocalDateTime | None = None
    end_at: LocalDateTime | None = None
    location: str = text(Activity, "location", default="")
    remind_at: LocalDateTime | None = None
    done: bool = False
    direction: choice(Activity.Direction, blank=True) = ""
    call_duration: int | None = Field(None, ge=0, le=100_000, description="Minutes (calls only).")
    call_result: choice(Activity.CallResult, blank=True) = ""
    outcome: str = text(Activity, "outcome", default="")
    account: int | None = None
    contact: int | None = None
    lead: int | None = None
    opportunity: int | None = None


class ActivityOut(RecordOut):
    kind: str
    subject: str
    description: str
    priority: str
    due_at: datetime.datetime | None
    start_at: datetime.datetime | None
    end_at: datetime.datetime | None
    location: str
    remind_at: datetime.datetime | None
    done: bool
    done_at: datetime.datetime | None
    direction: str
    call_duration: int | None
    call_result: str
    outcome: str
    account: int | None = Field(validation_alias="account_id")
    contact: int | None = Field(validation_alias="contact_id")
    lead: int | None = Field(validation_alias="lead_id")
    opportunity: int | None = Field(validation_alias="opportunity_id")
    occurred_at: datetime.datetime


class ActivityFilters(RecordFilters):
    kind: choice(Activity.Kind) | None = None
    done: bool | None = None
    account: int | None = None
    contact: int | None = None
    lead: int | None = None
    opportunity: int | None = None


class ActivityCompleteIn(InSchema):
    outcome: str = text(Activity, "outcome", default="")
