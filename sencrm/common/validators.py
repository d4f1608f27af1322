"""Field validators shared by every record kind."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email as django_validate_email
from django.utils.translation import gettext_lazy as _
from stdnum.vn import mst


def validate_tax_code(value: str) -> None:
    """Mã số thuế: 10 digits with a check digit, 13 for a branch (0101248141-001), or a 12-digit CCCD.

    Since 1/7/2025 individuals and household businesses use their 12-digit personal id as tax code
    (VIETNAM.md §6); it has no check digit.
    """
    compact = re.sub(r"[\s.]", "", value or "")
    if re.fullmatch(r"\d{12}", compact):
        return
    if not mst.is_valid(compact):
        raise ValidationError(
            _("Enter a valid tax code: 10 digits, 10 + 3 for a branch (0101248141-001) or a 12-digit ID."),
            code="invalid_tax_code",
        )


def normalize_tax_code(value: str) -> str:
    """Store tax codes as 10 digits or ``NNNNNNNNNN-NNN``."""
    compact = re.sub(r"[\s.\-]", "", value or "")
    if len(compact) == 13:
        return f"{compact[:10]}-{compact[10:]}"
    return compact


# Addresses of the everyday shape — a lower-case ASCII dot-atom @ host names under a letters-only
# top-level domain — all of which Django's EmailValidator accepts: one regular expression decides
# them (imports check a million of them); anything else goes to the validator itself.
PLAIN_EMAIL = re.compile(
    r"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\Z"
)


def validate_email(value: str) -> None:
    """Django's ``validate_email``, with a fast path for the common shape of address."""
    if len(value) <= 254 and PLAIN_EMAIL.match(value):
        return
    django_validate_email(value)
