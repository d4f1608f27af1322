"""The seller as quotes print it: legal name, tax code, address and logo (the letterhead)."""

from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from sencrm.common.models import BaseModel


class SellerProfile(BaseModel):
    """The company's letterhead on quotes (one row). The organisation tree in core has branch
    names and addresses but no legal name, tax code or logo, so they live here; when no row
    exists, quotes print the top branch's name and address."""

    legal_name = models.CharField(_("legal name"), max_length=255)
    tax_code = models.CharField(_("tax code"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    website = models.CharField(_("website"), max_length=255, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=255, blank=True)
    logo = models.FileField(
        _("logo"),
        upload_to="letterhead/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg"])],
        help_text=_("PNG or JPEG, printed at the top left of quotes."),
    )

    class Meta:
        verbose_name = _("seller profile")
        verbose_name_plural = _("seller profile")

    def __str__(self) -> str:
        return self.legal_name
