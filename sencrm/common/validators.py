"""Field validators shared by every record kind."""

import re

from django.core.exceptions import ValidationError
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
