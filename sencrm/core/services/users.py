"""Users, their own profiles and their API tokens (U1–U3): the writes of the settings and profile pages.

Every write validates the whole user first and raises one ``ValidationError`` keyed by field, so a
form can show each message beside its field and nothing half-written is stored.
"""

import logging
import zoneinfo
from functools import cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from sencrm.common.phones import normalize_phone
from sencrm.common.text import nfc
from sencrm.core.models import ApiToken, AuditEntry, Branch, Role, Team
from sencrm.core.services.audit import audit_record, diff

log = logging.getLogger(__name__)

User = get_user_model()

#: The profile and organisation fields ``user_create``/``user_update`` take (forms and API alike).
EDITABLE_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "phone",
    "job_title",
    "branch",
    "team",
    "role",
    "language",
    "time_zone",
)
#: Fields of a user the audit trail compares (never the password hash).
AUDITED_FIELDS = (*EDITABLE_FIELDS, "is_active")
#: A user may hold this many API tokens; more is a sign of tokens created and forgotten.
MAX_TOKENS = 50


@cache
def time_zone_names() -> list[str]:
    """Time zones a user can pick: the IANA region/city names, sorted (no aliases like 'posixrules')."""
    prefixes = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/", "Europe/")
    prefixes += ("Indian/", "Pacific/")
    return sorted(n for n in zoneinfo.available_timezones() if n.startswith(prefixes)) + ["UTC"]


def _user_values(user) -> dict[str, object]:
    return {name: getattr(user, User._meta.get_field(name).attname) for name in AUDITED_FIELDS}


def _clean_user(user, errors: dict[str, list[str]]) -> None:
    """Normalise and validate ``user`` in place, adding messages to ``errors`` by field."""
    user.username = nfc(user.username).strip()
    user.first_name = nfc(user.first_name).strip()
    user.last_name = nfc(user.last_name).strip()
    user.job_title = nfc(user.job_title).strip()
    user.email = (user.email or "").strip().lower()
    if not user.first_name:
        errors.setdefault("first_name", []).append(_("This field is required."))
    try:
        user.phone = normalize_phone(user.phone)
    except ValidationError as exc:
        errors.setdefault("phone", []).extend(exc.messages)
    if user.time_zone not in time_zone_names():
        errors.setdefault("time_zone", []).append(_("Choose a time zone from the list."))
    # Usernames and email addresses are matched without regard to case at login and password reset,
    # so two users must not differ only by case.
    others = User.objects.exclude(pk=user.pk)
    if user.username and others.filter(username__iexact=user.username).exists():
        errors.setdefault("username", []).append(_("A user with this username already exists."))
    if user.email and others.filter(email__iexact=user.email).exists():
        errors.setdefault("email", []).append(_("Another user already has this email address."))
    # A team works in one branch; its members sit in that branch or, for a team that covers
    # several front offices, in a branch below it.
    if user.team_id and user.branch_id and not user.branch.path.startswith(user.team.branch.path):
        errors.setdefault("team", []).append(_("This team belongs to another branch."))
    try:
        user.full_clean(exclude=["password"], validate_unique=True)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                if message not in errors.get(field, []):
                    errors.setdefault(field, []).append(message)


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def user_create(
    *,
    by,
    username: str,
    first_name: str,
    last_name: str = "",
    email: str = "",
    phone: str = "",
    job_title: str = "",
    branch: Branch,
    team: Team | None = None,
    role: Role | None = None,
    language: str = User.Language.VI,
    time_zone: str = "Asia/Ho_Chi_Minh",
    password: str | None = None,
    send_password_link: bool = False,
    base_url: str = "",
) -> "User":
    """Add a user; give them ``password`` or, with ``send_password_link``, email them a link to set one.

    The email leaves after the transaction commits; until they set a password, the account has an
    unusable one.
    """
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        job_title=job_title,
        branch=branch,
        team=team,
        role=role,
        language=language,
        time_zone=time_zone,
        is_active=True,
    )
    errors: dict[str, list[str]] = {}
    if branch is None:
        errors["branch"] = [_("This field is required.")]
    _clean_user(user, errors)
    if send_password_link:
        if not user.email:
            errors.setdefault("email", []).append(_("An email address is needed to send the link."))
    elif not password:
        errors.setdefault("password", []).append(_("Enter a password or choose to send a link by email."))
    else:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors.setdefault("password", []).extend(exc.messages)
    _raise(errors)
    if send_password_link:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    audit_record(instance=user, kind=AuditEntry.Kind.CREATE, by=by)
    if send_password_link:
        transaction.on_commit(lambda: user_send_password_link(user=user, base_url=base_url))
    return user


@transaction.atomic
def user_update(
    *,
    by,
    user,
    username: str,
    first_name: str,
    last_name: str = "",
    email: str = "",
    phone: str = "",
    job_title: str = "",
    branch: Branch,
    team: Team | None = None,
    role: Role | None = None,
    language: str = User.Language.VI,
    time_zone: str = "Asia/Ho_Chi_Minh",
) -> "User":
    """Change a user's identity, place in the organisation and role; audit what changed.

    An administrator cannot take their own administrator rights away (they would lock themselves
    out of these pages).
    """
    current = User.objects.select_for_update().get(pk=user.pk)
    before = _user_values(current)
    current.username, current.first_name, current.last_name = username, first_name, last_name
    current.email, current.phone, current.job_title = email, phone, job_title
    current.branch, current.team, current.role = branch, team, role
    current.language, current.time_zone = language, time_zone
    errors: dict[str, list[str]] = {}
    if branch is None:
        errors["branch"] = [_("This field is required.")]
    _clean_user(current, errors)
    if current.pk == by.pk and not current.is_superuser and not (role and role.is_admin):
        errors.setdefault("role", []).append(_("You cannot remove your own administrator rights."))
    _raise(errors)
    changes = diff(before, _user_values(current), current)
    if changes:
        current.save()
        audit_record(instance=current, kind=AuditEntry.Kind.UPDATE, by=by, changes=changes)
    return current


@transaction.atomic
def user_deactivate(*, by, user) -> "User":
    """Stop a user from logging in and revoke their API tokens; their records stay theirs.

    Users are never deleted: records, the audit trail and reports keep pointing at them.
    """
    if user.pk == by.pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    current = User.objects.select_for_update().get(pk=user.pk)
    if not current.is_active:
        return current
    current.is_active = False
    current.save(update_fields=["is_active"])
    revoked, _counts = ApiToken.objects.filter(user=current).delete()
    changes: dict[str, list] = {"is_active": [True, False]}
    if revoked:
        changes["api_tokens"] = [revoked, 0]
    audit_record(instance=current, kind=AuditEntry.Kind.UPDATE, by=by, changes=changes)
    return current


@transaction.atomic
def user_activate(*, by, user) -> "User":
    """Let a deactivated user log in again."""
    current = User.objects.select_for_update().get(pk=user.pk)
    if current.is_active:
        return current
    current.is_active = True
    current.save(update_fields=["is_active"])
    audit_record(instance=current, kind=AuditEntry.Kind.UPDATE, by=by, changes={"is_active": [False, True]})
    return current


def user_send_password_link(*, user, base_url: str) -> None:
    """Email ``user`` a one-time link to set their password, in their own language.

    ``base_url`` is the site's scheme and host ("https://crm.example.vn"); the link stays valid for
    ``PASSWORD_RESET_TIMEOUT`` seconds and dies once the password is set.
    """
    if not user.email:
        raise ValidationError({"email": [_("An email address is needed to send the link.")]})
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {
        "user": user,
        "link": base_url.rstrip("/") + path,
        "site_url": base_url,
        "valid_days": max(settings.PASSWORD_RESET_TIMEOUT // 86400, 1),
    }
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = "".join(render_to_string("registration/password_set_subject.txt", context).splitlines())
        body = render_to_string("registration/password_set_email.txt", context)
    EmailMultiAlternatives(subject, body, to=[user.email]).send()
    log.info("password-set link sent to user %s", user.pk)


# ---------------------------------------------------------------------------------------------------
# The user's own profile and API tokens
# ---------------------------------------------------------------------------------------------------


@transaction.atomic
def profile_update(
    *,
    user,
    first_name: str,
    last_name: str = "",
    email: str = "",
    phone: str = "",
    job_title: str = "",
    language: str = User.Language.VI,
    time_zone: str = "Asia/Ho_Chi_Minh",
) -> "User":
    """Change what a user may change about themselves: name, contact details, language, time zone."""
    current = User.objects.select_for_update().get(pk=user.pk)
    before = _user_values(current)
    current.first_name, current.last_name, current.email = first_name, last_name, email
    current.phone, current.job_title = phone, job_title
    current.language, current.time_zone = language, time_zone
    errors: dict[str, list[str]] = {}
    _clean_user(current, errors)
    _raise(errors)
    changes = diff(before, _user_values(current), current)
    if changes:
        current.save()
        audit_record(instance=current, kind=AuditEntry.Kind.UPDATE, by=user, changes=changes)
    return current


def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """Issue an API token for ``user``; return it with the clear key, which is never stored."""
    name = nfc(name).strip()
    if not name:
        raise ValidationError({"name": [_("Give the token a name, e.g. the program that will use it.")]})
    if len(name) > ApiToken._meta.get_field("name").max_length:
        raise ValidationError({"name": [_("At most %(n)d characters.") % {"n": 100}]})
    if ApiToken.objects.filter(user=user).count() >= MAX_TOKENS:
        raise ValidationError({"name": [_("You have too many tokens; revoke the ones you no longer use.")]})
    return ApiToken.issue(user=user, name=name)


def api_token_revoke(*, user, token_id: int) -> bool:
    """Delete one of ``user``'s tokens; False when they have no such token."""
    deleted, _counts = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return bool(deleted)
