"""Phone numbers: parse what people type in Vietnam and store E.164 (VIETNAM.md §2)."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The 2018 move from 11 to 10 digit mobile numbers: old prefix → new prefix (last 7 digits kept).
OLD_MOBILE_PREFIXES = {
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036",
    "0167": "037", "0168": "038", "0169": "039", "0186": "056", "0188": "058", "0199": "059",
}  # fmt: skip


def _rewrite_old_mobile(digits: str) -> str:
    if digits.startswith("84") and len(digits) == 12:
        digits = "0" + digits[2:]
    if len(digits) == 11 and digits[:4] in OLD_MOBILE_PREFIXES:
        return OLD_MOBILE_PREFIXES[digits[:4]] + digits[4:]
    return digits


def parse_phone(raw: str) -> phonenumbers.PhoneNumber | None:
    """Parse a phone number as typed in Vietnam; None when it cannot be a phone number at all."""
    raw = (raw or "").strip()
    if not raw:
        return None
    digits = re.sub(r"\D", "", raw)
    if not raw.startswith("+") and not raw.startswith("00"):
        digits = _rewrite_old_mobile(digits)
        raw = digits
    try:
        number = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


# A Vietnamese mobile number as usually typed ('0912 345 678', '+84 912345678', '84-912-345-678'):
# its E.164 form without the full parser, which is 50 times slower (an import calls this twice a
# row). The parser gives the same for every such number (sencrm/core/tests/test_import_speed.py).
_VN_MOBILE = re.compile(r"^(?:\+84|84|0)([35789]\d{8})$")
_SEPARATORS = str.maketrans("", "", " .-")


def normalize_phone(raw: str) -> str:
    """Return the E.164 form of ``raw`` ('' for blank); raise ValidationError when it is no phone."""
    if not (raw or "").strip():
        return ""
    quick = _VN_MOBILE.match(raw.strip().translate(_SEPARATORS))
    if quick:
        return "+84" + quick.group(1)
    number = parse_phone(raw)
    if number is None:
        raise ValidationError(_("Enter a valid phone number, e.g. 0912 345 678."), code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_valid_phone(e164: str) -> bool:
    """True when the number is in an allocated range (possible numbers may still be unassigned)."""
    number = parse_phone(e164)
    return bool(number and phonenumbers.is_valid_number(number))


def format_phone(e164: str) -> str:
    """National format for Vietnamese numbers ('0912 345 678'), international otherwise."""
    number = parse_phone(e164)
    if number is None:
        return e164 or ""
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 84
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)
