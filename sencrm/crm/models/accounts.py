from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from sencrm.common.models import OwnedModel
from sencrm.common.text import sort_key
from sencrm.common.validators import normalize_tax_code, validate_tax_code
from sencrm.crm.models.matching import company_match_key
from sencrm.crm.models.mixins import (
    AddressMixin,
    MergeableMixin,
    clean_email_fields,
    clean_phone_fields,
    clean_text_fields,
)


class Account(AddressMixin, MergeableMixin, OwnedModel):
    """An organisation we deal with (Tổ chức): customer company, partner, supplier, investor or competitor."""

    class Type(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        PARTNER = "partner", _("Partner")
        SUPPLIER = "supplier", _("Supplier")
        INVESTOR = "investor", _("Investor")
        COMPETITOR = "competitor", _("Competitor")

    name = models.CharField(_("name"), max_length=255)
    sort_name = models.CharField(max_length=255, editable=False, default="")
    type = models.CharField(_("type"), max_length=20, choices=Type.choices, default=Type.CUSTOMER)
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent account"),
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    tax_code = models.CharField(_("tax code"), max_length=20, blank=True, help_text=_("Mã số thuế (MST)."))
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    phone2 = models.CharField(_("other phone"), max_length=20, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    email2 = models.CharField(_("other email"), max_length=254, blank=True)
    website = models.URLField(_("website"), max_length=255, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    annual_revenue = models.BigIntegerField(_("annual revenue (VND)"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=10000)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        indexes = [
            # Default list order and the name column sort.
            models.Index(fields=["deleted_at", "sort_name"], name="account_sort_idx"),
            # Each data scope (own, team, branch) in the default order.
            models.Index(fields=["owner", "deleted_at", "sort_name"], name="account_owner_sort_idx"),
            models.Index(fields=["branch", "deleted_at", "sort_name"], name="account_branch_sort_idx"),
            models.Index(fields=["team", "deleted_at", "sort_name"], name="account_team_sort_idx"),
            models.Index(fields=["type", "deleted_at", "sort_name"], name="account_type_sort_idx"),
            models.Index(fields=["province", "deleted_at", "sort_name"], name="account_prov_sort_idx"),
            # Sortable columns over the live rows.
            models.Index(fields=["deleted_at", "-created_at"], name="account_created_idx2"),
            models.Index(fields=["deleted_at", "type"], name="account_alive_type_idx"),
            models.Index(fields=["deleted_at", "industry"], name="account_industry_idx"),
            models.Index(fields=["deleted_at", "tax_code"], name="account_alive_tax_idx"),
            models.Index(fields=["deleted_at", "phone"], name="account_alive_phone_idx"),
            models.Index(fields=["tax_code"], name="account_tax_idx"),
            models.Index(fields=["phone"], name="account_phone_idx"),
            models.Index(fields=["email"], name="account_email_idx"),
            # Duplicate finder: exact keys not indexed above, and the fuzzy blocking key.
            models.Index(fields=["phone2"], name="account_phone2_idx"),
            models.Index(fields=["email2"], name="account_email2_idx"),
            models.Index(fields=["match_key", "deleted_at"], name="account_match_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def search_parts(self) -> list[str]:
        return [self.name, self.email, self.email2, self.phone, self.phone2, self.tax_code, self.website]

    def clean(self) -> None:
        errors: dict[str, list] = {}
        clean_text_fields(self, ["name", "industry", "description"])
        if not self.name:
            errors["name"] = [_("This field is required.")]
        clean_phone_fields(self, ["phone", "phone2"], errors)
        clean_email_fields(self, ["email", "email2"], errors)
        if self.tax_code:
            try:
                validate_tax_code(self.tax_code)
                self.tax_code = normalize_tax_code(self.tax_code)
            except ValidationError as exc:
                errors["tax_code"] = exc.messages
        if self.parent_id and self.parent_id == self.pk:
            errors["parent"] = [_("An account cannot be its own parent.")]
        self.clean_address(errors)
        self.sort_name = sort_key(self.name)
        self.match_key = company_match_key(self.name)
        if errors:
            raise ValidationError(errors)
