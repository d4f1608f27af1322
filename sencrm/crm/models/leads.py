from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from sencrm.common.models import OwnedModel, VisibleQuerySet
from sencrm.common.text import join_name, name_sort_key, nfc, split_name
from sencrm.common.validators import normalize_tax_code, validate_tax_code
from sencrm.crm.models.matching import company_match_key, person_match_key
from sencrm.crm.models.mixins import (
    AddressMixin,
    MergeableMixin,
    clean_email_fields,
    clean_phone_fields,
    clean_text_fields,
)


class LeadQuerySet(VisibleQuerySet):
    def open(self):
        return self.exclude(status__in=[Lead.Status.CONVERTED, Lead.Status.UNQUALIFIED])


class Lead(AddressMixin, MergeableMixin, OwnedModel):
    """A prospective customer not yet qualified (Tiềm năng), captured from campaigns, forms or imports.

    Conversion turns it into an account, a contact and an opportunity; the lead keeps links to them.
    """

    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        QUALIFIED = "qualified", _("Qualified")
        UNQUALIFIED = "unqualified", _("Unqualified")
        CONVERTED = "converted", _("Converted")

    class Rating(models.TextChoices):
        HOT = "hot", _("Hot")
        WARM = "warm", _("Warm")
        COLD = "cold", _("Cold")

    class Source(models.TextChoices):
        WEBSITE = "website", _("Website")
        REFERRAL = "referral", _("Referral")
        PHONE = "phone", _("Inbound call")
        EMAIL = "email", _("Email")
        CAMPAIGN = "campaign", _("Campaign")
        EVENT = "event", _("Event / trade fair")
        SOCIAL = "social", _("Social media (Facebook, Zalo)")
        PARTNER = "partner", _("Partner")
        WALK_IN = "walk_in", _("Walk-in")
        OTHER = "other", _("Other")

    salutation = models.CharField(_("salutation"), max_length=10, blank=True)
    family_name = models.CharField(_("family name"), max_length=100, blank=True, help_text=_("Họ"))
    middle_name = models.CharField(_("middle name"), max_length=100, blank=True, help_text=_("Tên đệm"))
    given_name = models.CharField(_("given name"), max_length=100, blank=True, help_text=_("Tên"))
    full_name = models.CharField(_("full name"), max_length=255, blank=True)
    sort_name = models.CharField(max_length=255, editable=False, default="")
    company = models.CharField(_("company"), max_length=255, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    website = models.URLField(_("website"), max_length=255, blank=True)
    tax_code = models.CharField(_("tax code"), max_length=20, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.OTHER)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    rating = models.CharField(_("rating"), max_length=10, choices=Rating.choices, default=Rating.WARM)
    estimated_value = models.BigIntegerField(_("estimated value (VND)"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=10000)
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True, editable=False)
    converted_account = models.ForeignKey(
        "crm.Account",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("converted to account"),
    )
    converted_contact = models.ForeignKey(
        "crm.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("converted to contact"),
    )
    converted_opportunity = models.ForeignKey(
        "crm.Opportunity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("converted to opportunity"),
    )

    objects = LeadQuerySet.as_manager()

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            models.Index(fields=["deleted_at", "-created_at"], name="lead_created_idx"),
            models.Index(fields=["deleted_at", "sort_name"], name="lead_sort_idx"),
            models.Index(fields=["owner", "deleted_at", "-created_at"], name="lead_owner_idx"),
            models.Index(fields=["branch", "deleted_at", "-created_at"], name="lead_branch_idx"),
            models.Index(fields=["team", "deleted_at", "-created_at"], name="lead_team_idx"),
            models.Index(fields=["status", "-created_at"], name="lead_status_idx"),
            models.Index(fields=["rating", "-created_at"], name="lead_rating_idx"),
            models.Index(fields=["source", "-created_at"], name="lead_source_idx"),
            models.Index(fields=["mobile"], name="lead_mobile_idx"),
            # Sortable columns shown by default, over the live rows.
            models.Index(fields=["deleted_at", "company"], name="lead_company_idx"),
            models.Index(fields=["deleted_at", "mobile"], name="lead_alive_mobile_idx"),
            models.Index(fields=["email"], name="lead_email_idx"),
            # Duplicate finder: exact keys not indexed above, and the fuzzy blocking key.
            models.Index(fields=["phone"], name="lead_phone_idx"),
            models.Index(fields=["tax_code"], name="lead_tax_idx"),
            models.Index(fields=["match_key", "deleted_at"], name="lead_match_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.company

    def search_parts(self) -> list[str]:
        return [self.full_name, self.company, self.email, self.mobile, self.phone, self.tax_code]

    def clean(self) -> None:
        errors: dict[str, list] = {}
        clean_text_fields(
            self, ["family_name", "middle_name", "given_name", "company", "job_title", "industry"]
        )
        if not (self.family_name or self.given_name) and self.full_name:
            self.family_name, self.middle_name, self.given_name = split_name(self.full_name)
        self.full_name = join_name(self.family_name, self.middle_name, self.given_name) or nfc(self.full_name)
        if not self.full_name and not self.company:
            errors["given_name"] = [_("Enter a name or a company.")]
        clean_phone_fields(self, ["mobile", "phone"], errors)
        clean_email_fields(self, ["email"], errors)
        if self.tax_code:
            try:
                validate_tax_code(self.tax_code)
                self.tax_code = normalize_tax_code(self.tax_code)
            except ValidationError as exc:
                errors["tax_code"] = exc.messages
        if self.estimated_value is not None and self.estimated_value < 0:
            errors["estimated_value"] = [_("Enter an amount of zero or more.")]
        self.clean_address(errors)
        self.sort_name = name_sort_key(self.family_name, self.middle_name, self.given_name or self.company)
        self.match_key = (
            person_match_key(self.family_name, self.given_name)
            if self.given_name
            else company_match_key(self.company)
        )
        if errors:
            raise ValidationError(errors)

    @property
    def is_converted(self) -> bool:
        return self.status == self.Status.CONVERTED
