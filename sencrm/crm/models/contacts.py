from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from sencrm.common.models import OwnedModel
from sencrm.common.text import join_name, name_sort_key, nfc, split_name
from sencrm.crm.models.matching import person_match_key
from sencrm.crm.models.mixins import (
    AddressMixin,
    MergeableMixin,
    clean_email_fields,
    clean_phone_fields,
    clean_text_fields,
)


class Channel(models.TextChoices):
    """Ways to reach a person; marketing consent is recorded per channel."""

    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    ZALO = "zalo", _("Zalo")
    VISIT = "visit", _("In person")


class Contact(AddressMixin, MergeableMixin, OwnedModel):
    """A person (Liên hệ): someone at a customer company, or an individual consumer (no account).

    Names keep the Vietnamese parts (họ, tên đệm, tên); lists sort by given name, then middle name,
    then family name. ``consent`` records marketing consent per channel:
    ``{"email": {"granted": true, "at": "2026-01-05", "source": "web form"}}`` (VIETNAM.md §7).
    """

    class Salutation(models.TextChoices):
        ANH = "anh", _("Mr (anh)")
        CHI = "chi", _("Ms (chị)")
        ONG = "ong", _("Mr (ông)")
        BA = "ba", _("Mrs (bà)")
        EM = "em", _("(em)")

    class ContactTime(models.TextChoices):
        MORNING = "morning", _("Morning")
        NOON = "noon", _("Lunchtime")
        AFTERNOON = "afternoon", _("Afternoon")
        EVENING = "evening", _("Evening")
        ANY = "any", _("Any time")

    salutation = models.CharField(_("salutation"), max_length=10, choices=Salutation.choices, blank=True)
    family_name = models.CharField(_("family name"), max_length=100, blank=True, help_text=_("Họ"))
    middle_name = models.CharField(_("middle name"), max_length=100, blank=True, help_text=_("Tên đệm"))
    given_name = models.CharField(_("given name"), max_length=100, blank=True, help_text=_("Tên"))
    full_name = models.CharField(_("full name"), max_length=255, blank=True)
    sort_name = models.CharField(max_length=255, editable=False, default="")
    account = models.ForeignKey(
        "crm.Account",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("account"),
        help_text=_("Leave empty for an individual consumer."),
    )
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    email2 = models.CharField(_("other email"), max_length=254, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Channel.choices, blank=True
    )
    preferred_time = models.CharField(
        _("best time to contact"), max_length=10, choices=ContactTime.choices, blank=True
    )
    consent = models.JSONField(_("marketing consent"), default=dict, blank=True)
    do_not_contact = models.BooleanField(_("do not contact"), default=False)
    last_contacted_at = models.DateTimeField(_("last contacted"), null=True, blank=True, editable=False)
    description = models.TextField(_("description"), blank=True, max_length=10000)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            # Default list order: by given name, Vietnamese style.
            models.Index(fields=["deleted_at", "sort_name"], name="contact_sort_idx"),
            models.Index(fields=["owner", "deleted_at", "sort_name"], name="contact_owner_idx"),
            models.Index(fields=["branch", "deleted_at", "sort_name"], name="contact_branch_idx"),
            models.Index(fields=["team", "deleted_at", "sort_name"], name="contact_team_idx"),
            models.Index(fields=["account", "sort_name"], name="contact_account_idx"),
            models.Index(fields=["province", "deleted_at", "sort_name"], name="contact_prov_sort_idx"),
            models.Index(fields=["province", "deleted_at", "-created_at"], name="contact_prov_created_idx"),
            # The other sortable columns shown by default, over the live rows (issue 4: without
            # "deleted_at" first, SQLite walks the deleted_at index and sorts every row).
            models.Index(fields=["deleted_at", "-created_at"], name="contact_created_idx2"),
            models.Index(fields=["deleted_at", "job_title"], name="contact_job_idx"),
            models.Index(fields=["deleted_at", "mobile"], name="contact_alive_mobile_idx"),
            models.Index(fields=["deleted_at", "email"], name="contact_alive_email_idx"),
            models.Index(fields=["mobile"], name="contact_mobile_idx"),
            models.Index(fields=["email"], name="contact_email_idx"),
            # Duplicate finder: exact keys not indexed above, and the fuzzy blocking key.
            models.Index(fields=["phone"], name="contact_phone_idx"),
            models.Index(fields=["email2"], name="contact_email2_idx"),
            models.Index(fields=["match_key", "deleted_at"], name="contact_match_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def search_parts(self) -> list[str]:
        return [self.full_name, self.email, self.email2, self.mobile, self.phone, self.job_title]

    def clean(self) -> None:
        errors: dict[str, list] = {}
        clean_text_fields(
            self, ["family_name", "middle_name", "given_name", "job_title", "department", "description"]
        )
        if not (self.family_name or self.given_name) and self.full_name:
            self.family_name, self.middle_name, self.given_name = split_name(self.full_name)
        self.full_name = join_name(self.family_name, self.middle_name, self.given_name) or nfc(self.full_name)
        if not self.full_name:
            errors["given_name"] = [_("Enter the contact's name.")]
        clean_phone_fields(self, ["mobile", "phone"], errors)
        clean_email_fields(self, ["email", "email2"], errors)
        self._clean_consent(errors)
        self.clean_address(errors)
        self.sort_name = name_sort_key(self.family_name, self.middle_name, self.given_name)
        self.match_key = person_match_key(self.family_name, self.given_name)
        if errors:
            raise ValidationError(errors)

    def _clean_consent(self, errors: dict) -> None:
        if not isinstance(self.consent, dict) or any(k not in Channel.values for k in self.consent):
            errors["consent"] = [
                _("Consent is recorded per channel: %(channels)s.") % {"channels": ", ".join(Channel.values)}
            ]
            return
        for entry in self.consent.values():
            if not isinstance(entry, dict) or not isinstance(entry.get("granted"), bool):
                errors["consent"] = [_("Each channel needs granted (yes/no), a date and a source.")]
                return

    def has_consent(self, channel: str) -> bool:
        return bool(self.consent.get(channel, {}).get("granted")) and not self.do_not_contact
