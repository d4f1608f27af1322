"""Field groups several record kinds share: postal address, contact channels, consent."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from sencrm.common.models import OwnedModel
from sencrm.common.phones import normalize_phone
from sencrm.common.text import nfc
from sencrm.common.validators import validate_email


class MergeableMixin(models.Model):
    """What the duplicate finder and merge (issue 3) keep on a record kind that can be merged."""

    # Set when this record was merged into another (it is then in the Trash); its old URLs and API
    # ids redirect to the survivor.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("merged into"),
    )
    # Blocking key of the duplicate finder (crm.models.matching): fuzzy matching compares only
    # records sharing it, so it never looks at all pairs. Each kind computes it in ``clean()``.
    match_key = models.CharField(max_length=100, editable=False, default="", blank=True)

    audit_exclude = OwnedModel.audit_exclude | {"match_key", "merged_into"}

    class Meta:
        abstract = True


class AddressMixin(models.Model):
    """A Vietnamese address after the 2025 reorganisation: street line + ward + province (no district).

    ``address_as_entered`` keeps what the user or an import typed, for old addresses and auditing.
    """

    street = models.CharField(
        _("street address"), max_length=255, blank=True, help_text=_("House number, street, hamlet.")
    )
    ward = models.ForeignKey(
        "core.Ward",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ward / commune"),
    )
    province = models.ForeignKey(
        "core.Province",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("province / city"),
    )
    address_as_entered = models.CharField(_("address as entered"), max_length=500, blank=True)

    class Meta:
        abstract = True

    @property
    def address(self) -> str:
        """'12 Lê Lợi, Phường Sài Gòn, Thành phố Hồ Chí Minh'."""
        parts = [self.street]
        if self.ward_id:
            parts.append(str(self.ward))
        if self.province_id:
            parts.append(str(self.province))
        return ", ".join(p for p in parts if p)

    def clean_address(self, errors: dict) -> None:
        self.street = nfc(self.street)
        if self.ward_id and self.province_id and self.ward.province_id != self.province_id:
            errors.setdefault("ward", []).append(_("This ward is not in the chosen province."))
        if self.ward_id and not self.province_id:
            self.province_id = self.ward.province_id


def clean_phone_fields(instance, names: list[str], errors: dict) -> None:
    """Normalise each phone field to E.164, collecting messages per field."""
    for name in names:
        try:
            setattr(instance, name, normalize_phone(getattr(instance, name)))
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.messages)


def clean_email_fields(instance, names: list[str], errors: dict) -> None:
    for name in names:
        value = nfc(getattr(instance, name)).lower()
        setattr(instance, name, value)
        if value:
            try:
                validate_email(value)
            except ValidationError:
                errors.setdefault(name, []).append(_("Enter a valid email address."))


def clean_text_fields(instance, names: list[str]) -> None:
    """Store Vietnamese text in NFC (VIETNAM.md §4)."""
    for name in names:
        setattr(instance, name, nfc(getattr(instance, name)))
