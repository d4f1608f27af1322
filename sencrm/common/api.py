"""The REST API's shared machinery: authentication, the error shape, lists, concurrency, record routes.

Every app's router builds on this module so the whole API behaves alike (DESIGN.md "API conventions"):

- **Auth**: a bearer token (``Authorization: Bearer <key>``, stored hashed) or the browser's session
  cookie with CSRF protection on unsafe methods. No credentials → 401.
- **Errors**: always ``{"detail": "...", "errors": {"field": ["message"]}}``, translated, with
  400 (malformed JSON), 401, 403 (the role lacks the module right, whatever the id), 404 (missing
  *or* out of the user's scope, identical bodies), 409 (the database refused: duplicates, records
  still in use), 412 (stale ``If-Match``/``version``) and 422 (invalid fields).
- **Lists**: ``?q=`` (``common.lists.search``, as in the UI: diacritic- and case-insensitive word
  starts, phone numbers typed any way),
  ``?sort=field,-field`` over an allow-list with the id as a stable tiebreak, field filters,
  ``?tag=`` (repeatable, all must match), ``?custom.<key>=value``, and offset pagination answered as
  ``{"count": N, "count_exact": bool, "next": url|null, "results": [...]}`` (``?limit=`` ≤ 200,
  ``?offset=``); ``count`` stops at 10,000 (``count_exact`` false) so big lists stay cheap.
- **Concurrency**: details answer ``ETag: "<version>"``; PATCH and DELETE honour ``If-Match`` (and a
  ``version`` in a PATCH body). Without either, the write happens (last writer wins).
- **Record routes**: ``add_record_routes`` gives a record kind list/create/detail/patch/delete/audit
  from one ``RecordResource`` description, so adding a kind is a few lines.

``common`` must not import ``core`` (core imports common): core's models are looked up by name
(``apps.get_model``) and core's services are handed in by the caller (``core.api.record_services``).
"""

import datetime
import json
import logging
import re
import zoneinfo
from collections.abc import Callable
from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, Q, QuerySet, RestrictedError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Query, Router, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf
from pydantic import AfterValidator, ConfigDict, create_model

from sencrm.common.access import RightDenied, get_object_for_user, merged_survivor, require_right
from sencrm.common.lists import capped_count, search
from sencrm.common.models import Action
from sencrm.common.text import fold

log = logging.getLogger(__name__)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
#: ``ApiToken.last_used_at`` is written at most this often, so busy programs do not write on every call.
TOKEN_TOUCH_INTERVAL = datetime.timedelta(minutes=1)


# ---------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------


class ApiError(Exception):
    """An error answer with the API's shape; ``extra`` adds keys beside ``detail`` and ``errors``."""

    def __init__(self, status: int, detail: str, errors: dict | None = None, *, headers=None, **extra):
        self.status = status
        self.detail = detail
        self.errors = errors or {}
        self.headers = headers or {}
        self.extra = extra
        super().__init__(detail)


class ErrorOut(Schema):
    """Every error the API answers (OpenAPI documentation of the shape)."""

    detail: str
    errors: dict[str, list[str]] = {}


def errors_doc(*codes: int) -> dict[int, type[ErrorOut]]:
    """Response documentation for the error statuses an operation may answer."""
    return dict.fromkeys(codes, ErrorOut)


def _messages(values) -> list[str]:
    return [str(v) for v in (values if isinstance(values, list | tuple) else [values])]


def _respond(api: NinjaAPI, request, status: int, detail, errors=None, headers=None, **extra) -> HttpResponse:
    body = {
        "detail": str(detail),
        "errors": {str(k): _messages(v) for k, v in (errors or {}).items()},
        **extra,
    }
    response = api.create_response(request, body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _pydantic_message(error: dict) -> str:  # noqa: C901 - one line per error type reads best
    """A translated message for one Pydantic error (its own messages are English only)."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind == "string_too_long":
        return _("Ensure this value has at most %(n)s characters.") % {"n": ctx.get("max_length")}
    if kind == "string_too_short":
        return _("Ensure this value has at least %(n)s characters.") % {"n": ctx.get("min_length")}
    if kind == "string_type":
        return _("Enter text.")
    if kind.startswith("int_"):
        return _("Enter a whole number.")
    if kind.startswith(("float_", "decimal_")):
        return _("Enter a number.")
    if kind.startswith("bool_"):
        return _("Enter true or false.")
    if kind.startswith("datetime_") or kind == "timezone_aware":
        return _("Enter a valid date and time, e.g. 2026-03-05T09:30:00+07:00.")
    if kind.startswith("date_"):
        return _("Enter a valid date, e.g. 2026-03-05.")
    if kind in ("greater_than_equal", "greater_than"):
        return _("Ensure this value is at least %(n)s.") % {"n": ctx.get("ge", ctx.get("gt"))}
    if kind in ("less_than_equal", "less_than"):
        return _("Ensure this value is at most %(n)s.") % {"n": ctx.get("le", ctx.get("lt"))}
    if kind in ("literal_error", "enum"):
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind == "list_type":
        return _("Enter a list.")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("Enter an object.")
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    return str(error.get("msg", _("Enter a valid value.")))


def _pydantic_field(loc: tuple) -> str:
    """Field name of a Pydantic error location: ``("body", "payload", "name")`` → ``"name"``.

    The source (body, query, path) goes; for a body, so does the handler's parameter name. List
    indexes are dropped (``tags.3`` → ``tags``) so forms find the field.
    """
    parts = list(loc)
    source = parts.pop(0) if parts else ""
    if source == "body":
        if len(parts) <= 1:
            return "body"  # the body as a whole: missing or not an object
        parts.pop(0)
    return ".".join(str(p) for p in parts if not isinstance(p, int)) or str(source)


def pydantic_errors(errors: list[dict]) -> dict[str, list[str]]:
    """Pydantic errors as the API's ``{"field": ["message", …]}``."""
    result: dict[str, list[str]] = {}
    for error in errors:
        messages = result.setdefault(_pydantic_field(tuple(error.get("loc", ()))), [])
        message = _pydantic_message(error)
        if message not in messages:
            messages.append(message)
    return result


def django_errors(exc: DjangoValidationError) -> tuple[str, dict[str, list[str]]]:
    """A Django ValidationError as (detail, errors): field dicts pass through, ``custom.<key>`` included."""
    if hasattr(exc, "error_dict"):
        return _("Some fields are not valid."), {k: _messages(v) for k, v in exc.message_dict.items()}
    return " ".join(_messages(exc.messages)), {}


class StaleVersion(Exception):
    """The client's precondition (If-Match or ``version``) does not hold for ``instance``: 412."""

    def __init__(self, instance):
        self.instance = instance
        super().__init__(f"{instance._meta.label_lower}#{instance.pk} is at version {instance.version}")


def install_error_handlers(api: NinjaAPI, *, stale_errors: tuple[type[Exception], ...] = ()) -> None:
    """Replace Ninja's default exception handlers so every error answers the API's shape.

    ``stale_errors`` are further exceptions meaning "stale version" (core's ``ConflictError``); like
    ``StaleVersion`` they carry the current ``instance`` and answer 412.
    """

    def invalid_request(request, exc: NinjaValidationError):
        return _respond(api, request, 422, _("Some fields are not valid."), pydantic_errors(exc.errors))

    def invalid_data(request, exc: DjangoValidationError):
        detail, errors = django_errors(exc)
        return _respond(api, request, 422, detail, errors)

    def api_error(request, exc: ApiError):
        return _respond(api, request, exc.status, exc.detail, exc.errors, exc.headers, **exc.extra)

    def http_error(request, exc: HttpError):
        if isinstance(exc, AuthenticationError):
            return unauthenticated(request, exc)
        if exc.status_code == 400:
            # Ninja turns any failure of the body parser into HttpError(400).
            return _respond(api, request, 400, _("The request body is not valid JSON."), {})
        return _respond(api, request, exc.status_code, str(exc), {})

    def unauthenticated(request, exc):
        return _respond(
            api,
            request,
            401,
            _("Authentication required: log in, or send an API token as 'Authorization: Bearer <key>'."),
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )

    def not_found(request, exc):
        # One answer for "missing" and "not yours" (STYLE.md §5): never say which.
        return _respond(api, request, 404, _("Not found."))

    def right_denied(request, exc: RightDenied):
        return _respond(
            api,
            request,
            403,
            _("Your role does not allow this: %(action)s %(records)s.")
            % {"action": Action(exc.action).label, "records": capfirst(exc.model._meta.verbose_name_plural)},
        )

    def forbidden(request, exc):
        return _respond(api, request, 403, _("You do not have permission to do this."))

    def stale(request, exc):
        return stale_response(api, request, exc.instance)

    def conflict(request, exc):
        log.info("API write refused by the database: %s", exc)
        return _respond(
            api,
            request,
            409,
            _("This conflicts with existing data (a duplicate, or a record in use). Nothing was saved."),
        )

    def server_error(request, exc):
        log.exception("API error on %s %s", request.method, request.path, exc_info=exc)
        return _respond(api, request, 500, _("Internal server error."))

    handlers = {
        NinjaValidationError: invalid_request,
        DjangoValidationError: invalid_data,
        ApiError: api_error,
        HttpError: http_error,
        Http404: not_found,
        ObjectDoesNotExist: not_found,
        RightDenied: right_denied,
        PermissionDenied: forbidden,
        StaleVersion: stale,
        **dict.fromkeys(stale_errors, stale),
        IntegrityError: conflict,
        ProtectedError: conflict,
        RestrictedError: conflict,
        Exception: server_error,
    }
    for exc_class, handler in handlers.items():
        api.add_exception_handler(exc_class, handler)


def stale_response(api: NinjaAPI, request, instance) -> HttpResponse:
    """412 for a write based on an old version; the body and ETag carry the current version."""
    return _respond(
        api,
        request,
        412,
        _("Someone else changed this record (it is now at version %(v)d). Reload it and try again.")
        % {"v": instance.version},
        {"version": [_("The record is now at version %(v)d.") % {"v": instance.version}]},
        headers={"ETag": etag(instance)},
        current_version=instance.version,
    )


class JsonParser(Parser):
    """Parse JSON bodies; anything else is a 400 (Ninja wraps parser failures in HttpError(400))."""

    def parse_body(self, request: HttpRequest):
        return json.loads(request.body)


# ---------------------------------------------------------------------------------------------------
# Authentication
# ---------------------------------------------------------------------------------------------------


def _activate_profile(user) -> None:
    """Use the token user's language and time zone (the middleware only knows session users)."""
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
    try:
        timezone.activate(zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or settings.TIME_ZONE))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        timezone.activate(zoneinfo.ZoneInfo(settings.TIME_ZONE))


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer <key>`` checked against the SHA-256 of stored API tokens.

    A wrong or revoked key is a 401 even when a session cookie is present: a program must learn its
    token is bad. ``last_used_at`` is refreshed at most once a minute. With ``admin_only`` a
    non-administrator gets 403 (one class, so OpenAPI shows one scheme to authorise).
    """

    def __init__(self, *, admin_only: bool = False):
        self.admin_only = admin_only
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str):
        api_token_model = apps.get_model("core", "ApiToken")
        found = (
            api_token_model.objects.select_related("user__role", "user__branch")
            .filter(key_hash=api_token_model.hash(token.strip()))
            .first()
        )
        if found is None or not found.user.is_active:
            raise AuthenticationError()
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at >= TOKEN_TOUCH_INTERVAL:
            api_token_model.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        _activate_profile(found.user)
        if self.admin_only:
            require_admin(found.user)
        return found.user


class SessionAuth(APIKeyCookie):
    """The browser's Django session, with Django's CSRF check on unsafe methods.

    Unlike Ninja's ``django_auth``, a request without a session is 401 (not a CSRF 403), so programs
    that forgot their token are told so. With ``admin_only`` a non-administrator gets 403.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self, *, admin_only: bool = False):
        self.admin_only = admin_only
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if self.admin_only:
            require_admin(user)
        unsafe = request.method not in SAFE_METHODS and not getattr(request, "_ninja_csrf_exempt", False)
        if unsafe and check_csrf(request) is not None:
            raise ApiError(
                403, _("CSRF check failed: send the X-CSRFToken header with the csrftoken cookie's value.")
            )
        return user

    def authenticate(self, request: HttpRequest, key):  # pragma: no cover - __call__ does the work
        return None


def api_auth() -> list:
    """The API's authenticators, bearer first so a token request never meets the CSRF check."""
    return [BearerTokenAuth(), SessionAuth()]


def require_admin(user) -> None:
    """403 unless ``user`` administers the company: settings resources are not records, so no 404 hiding."""
    if not getattr(user, "is_admin", False):
        raise ApiError(403, _("Only administrators can do this."))


def admin_auth() -> list:
    """Authenticators of administration routes: 401 without credentials, 403 for non-administrators.

    Checking at authentication, not in the handler, means a non-administrator learns nothing from
    validation errors of a body they may not send.
    """
    return [BearerTokenAuth(admin_only=True), SessionAuth(admin_only=True)]


# ---------------------------------------------------------------------------------------------------
# Schemas
# ---------------------------------------------------------------------------------------------------


class InSchema(Schema):
    """Base of request bodies: unknown fields are errors (422 naming the field), not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def _aware(value: datetime.datetime) -> datetime.datetime:
    """Read a date-time without offset in the user's time zone (activated per request)."""
    return timezone.make_aware(value) if timezone.is_naive(value) else value


#: A date-time; without an offset it is taken in the user's time zone.
LocalDateTime = Annotated[datetime.datetime, AfterValidator(_aware)]


def choice(choices, *, blank: bool = False):
    """A ``Literal`` of a model's choices (OpenAPI lists them; errors name them), '' allowed if ``blank``."""
    values = tuple(choices.values) if hasattr(choices, "values") else tuple(choices)
    return Literal[("", *values) if blank else values]


def text(model, name: str, **kwargs):
    """A ``Field`` whose maximum length is the model field's (TextField limits are not checked by Django)."""
    return Field(max_length=model._meta.get_field(name).max_length, **kwargs)


def patch_schema(schema: type[Schema], name: str | None = None, *, versioned: bool = True) -> type[Schema]:
    """The same fields, all optional (plus ``version`` for records): a PATCH sends only what changes.

    Constraints (maximum lengths, ranges, choices) are kept. Handlers read the body with
    ``model_dump(exclude_unset=True)``, so an absent field is left alone and ``null`` clears it.
    """
    fields: dict[str, Any] = {}
    for field_name, info in schema.model_fields.items():
        optional = copy(info)
        optional.default = None
        optional.default_factory = None
        fields[field_name] = (info.annotation | None, optional)
    if versioned:
        fields["version"] = (
            int | None,
            Field(None, ge=1, description="The version you read; a stale one gets 412, like If-Match."),
        )
    return create_model(name or f"{schema.__name__.removesuffix('In')}Patch", __base__=schema, **fields)


class RecordOut(Schema):
    """Fields every business record answers: placement, tags, custom fields, version and timestamps."""

    id: int
    owner: int = Field(validation_alias="owner_id")
    owner_name: str
    branch: int = Field(validation_alias="branch_id")
    branch_name: str
    team: int | None = Field(validation_alias="team_id")
    team_name: str | None
    tags: list[str]
    custom: dict[str, Any]
    version: int
    created_by: int | None = Field(validation_alias="created_by_id")
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_owner_name(obj) -> str:
        return str(obj.owner)

    @staticmethod
    def resolve_branch_name(obj) -> str:
        return str(obj.branch)

    @staticmethod
    def resolve_team_name(obj) -> str | None:
        return str(obj.team) if obj.team_id else None

    @staticmethod
    def resolve_tags(obj) -> list[str]:
        return [tag.name for tag in obj.tags.all()]


class AuditEntryOut(Schema):
    """One change of a record: who, when, and each field's value before and after."""

    id: int
    kind: str
    changes: dict[str, Any]
    message: str
    user: int | None = Field(validation_alias="user_id")
    user_name: str | None
    at: datetime.datetime

    @staticmethod
    def resolve_user_name(obj) -> str | None:
        return str(obj.user) if obj.user_id else None


def page_schema(item: type[Schema]) -> type[Schema]:
    """The list envelope ``{"count", "count_exact", "next", "results"}`` for ``item``."""
    name = f"{item.__name__.removesuffix('Out')}Page"
    return create_model(
        name,
        __base__=Schema,
        count=(
            int,
            Field(description="Rows matching the query over all pages, counted up to 10,000 (count_exact)."),
        ),
        count_exact=(
            bool,
            Field(True, description="False when more rows match than were counted: count is then a floor."),
        ),
        next=(str | None, Field(None, description="URL of the next page; null on the last one.")),
        results=(list[item], ...),
    )


# ---------------------------------------------------------------------------------------------------
# Lists: query parameters, filters, search, sort, pagination
# ---------------------------------------------------------------------------------------------------


class ListParams(Schema):
    """Query parameters every list takes."""

    q: str | None = Field(
        None, max_length=200, description="Words matched in names, emails and phones, diacritics ignored."
    )
    sort: str | None = Field(None, max_length=200, description="Comma-separated fields, '-' for descending.")
    limit: int = Field(settings.SENCRM_PAGE_SIZE, ge=1, le=settings.SENCRM_API_MAX_PAGE_SIZE)
    offset: int = Field(0, ge=0)


class RecordFilters(ListParams):
    """Filters every business record list takes; kinds add theirs (each field is an exact lookup)."""

    owner: int | None = None
    branch: int | None = None
    team: int | None = None
    tag: list[str] = Field(default_factory=list, description="Tag name; repeat to require several.")


#: Query parameters that are not plain ``field=value`` lookups.
NOT_LOOKUPS = {"q", "sort", "limit", "offset", "tag"}


def check_query_keys(request: HttpRequest, filters: type[Schema]) -> None:
    """422 for query parameters the list does not know: a typo must not silently return everything."""
    known = {info.alias or name for name, info in filters.model_fields.items()}
    unknown = [k for k in request.GET if k not in known and not k.startswith("custom.")]
    if unknown:
        raise DjangoValidationError({k: [_("Unknown filter.")] for k in unknown})


def apply_filters(qs: QuerySet, filters: Schema) -> QuerySet:
    """Exact lookups for each filter given, and every ``tag`` (matched like tags are: folded)."""
    for name, value in filters.model_dump(exclude=NOT_LOOKUPS, exclude_none=True).items():
        qs = qs.filter(**{name: value})
    for tag in getattr(filters, "tag", None) or []:
        qs = qs.filter(tags__slug=fold(tag).strip())
    return qs


_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


def _custom_condition(definition, raw: str) -> Q:
    """The condition ``custom.<key>=raw`` stands for, by the field's type; ValueError when raw is bad."""
    key, kind = definition.key, definition.type
    if kind in ("number", "money"):
        try:
            number = Decimal(raw.replace(" ", ""))
        except InvalidOperation:
            raise ValueError(raw) from None
        if not number.is_finite():
            raise ValueError(raw)
        return Q(**{f"custom__{key}": int(number) if number == number.to_integral_value() else float(number)})
    if kind == "bool":
        if raw.lower() not in _TRUE | _FALSE:
            raise ValueError(raw)
        return Q(**{f"custom__{key}": raw.lower() in _TRUE})
    if kind == "date":
        return Q(**{f"custom__{key}": datetime.date.fromisoformat(raw).isoformat()})
    if kind == "user":
        return Q(**{f"custom__{key}": int(raw)})
    if kind == "multi":
        # The JSON text of the list contains the quoted value (SQLite has no JSON containment).
        quoted = {json.dumps(raw), json.dumps(raw, ensure_ascii=False)}
        condition = Q()
        for text_value in quoted:
            condition |= Q(**{f"custom__{key}__icontains": text_value})
        return condition
    if kind == "text":
        return Q(**{f"custom__{key}__icontains": raw})
    return Q(**{f"custom__{key}": raw})  # choice


def apply_custom_filters(qs: QuerySet, request: HttpRequest, entity: str) -> QuerySet:
    """``?custom.<key>=value`` filters, typed by the custom field's definition; 422 for unknown keys."""
    wanted = {
        k.removeprefix("custom."): request.GET.getlist(k) for k in request.GET if k.startswith("custom.")
    }
    if not wanted:
        return qs
    custom_field_model = apps.get_model("core", "CustomField")
    definitions = {f.key: f for f in custom_field_model.objects.filter(entity=entity, active=True)}
    errors: dict[str, list[str]] = {}
    for key, values in wanted.items():
        definition = definitions.get(key)
        if definition is None:
            errors[f"custom.{key}"] = [_("Unknown custom field.")]
            continue
        for raw in values:
            try:
                qs = qs.filter(_custom_condition(definition, raw))
            except ValueError:
                errors[f"custom.{key}"] = [_("Enter a valid value for this field.")]
    if errors:
        raise DjangoValidationError(errors)
    return qs


def apply_sort(qs: QuerySet, sort: str | None, allowed: dict[str, str], default: str) -> QuerySet:
    """Order by ``sort`` (API names mapped to indexed columns), then by id so pages never overlap."""
    order: list[str] = []
    for key in (k.strip() for k in (sort or default).split(",")):
        if not key:
            continue
        name = key.removeprefix("-")
        if name not in allowed:
            message = _("Cannot sort by %(field)s. Choose from: %(fields)s.")
            raise DjangoValidationError(
                {"sort": [message % {"field": name, "fields": ", ".join(sorted(allowed))}]}
            )
        order.append(("-" if key.startswith("-") else "") + allowed[name])
    if not order:
        return apply_sort(qs, None, allowed, default)
    order.append("-id" if order[0].startswith("-") else "id")
    return qs.order_by(*order)


def paginate(request: HttpRequest, qs: QuerySet, params: ListParams) -> dict:
    """One page of ``qs`` as ``{"count", "count_exact", "next", "results"}``; ``next`` keeps the parameters.

    One row more than the page is read to know whether a next page exists. The total is then known
    without counting on a last page; otherwise it is counted up to ``COUNT_LIMIT`` rows
    (``count_exact`` false beyond), so a list of a million rows does not scan them all each call.
    """
    rows = list(qs[params.offset : params.offset + params.limit + 1])
    has_next = len(rows) > params.limit
    results = rows[: params.limit]
    if not has_next and (results or params.offset == 0):
        count, exact = params.offset + len(results), True
    else:
        count, exact = capped_count(qs)
    next_url = None
    if has_next:
        query = request.GET.copy()
        query["offset"] = str(params.offset + params.limit)
        query["limit"] = str(params.limit)
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return {"count": count, "count_exact": exact, "next": next_url, "results": results}


# ---------------------------------------------------------------------------------------------------
# Concurrency
# ---------------------------------------------------------------------------------------------------


def etag(instance) -> str:
    """The ETag of a record: its version, quoted."""
    return f'"{instance.version}"'


def expected_version(request: HttpRequest, instance, body_version: int | None = None) -> int | None:
    """The version the client based its write on (If-Match and/or the body's ``version``), or None.

    ``If-Match: *`` or no precondition → None (the write goes ahead). An If-Match that is no
    version, or two preconditions that disagree, cannot hold: 412 straight away.
    """
    versions: set[int] = set()
    header = request.headers.get("If-Match", "").strip()
    if header and header != "*":
        match = re.fullmatch(r'(?:W/)?"?(\d+)"?', header)
        if match is None:
            raise StaleVersion(instance)
        versions.add(int(match.group(1)))
    if body_version is not None:
        versions.add(body_version)
    if len(versions) > 1:
        raise StaleVersion(instance)
    return versions.pop() if versions else None


# ---------------------------------------------------------------------------------------------------
# References from a body to other rows
# ---------------------------------------------------------------------------------------------------

#: A body field's source: the rows a user may point it at.
RefSource = Callable[[Any], QuerySet]


def visible(model) -> RefSource:
    """Records of ``model`` the user can see: pointing at another one is refused like a missing one."""
    return lambda user: model.objects.visible_to(user)


def existing(queryset_factory: Callable[[], QuerySet]) -> RefSource:
    """Any row of an organisation table (users, branches, stages…)."""
    return lambda user: queryset_factory()


def resolve_refs(user, data: dict, refs: dict[str, RefSource]) -> None:
    """Replace the ids in ``data`` by the rows they name; 422 naming each field whose id is unknown.

    Out-of-scope records answer exactly like missing ones, so a reference cannot probe for them.
    """
    errors: dict[str, list[str]] = {}
    for name, source in refs.items():
        if data.get(name) is None:
            continue
        try:
            data[name] = source(user).get(pk=data[name])
        except (ObjectDoesNotExist, ValueError, TypeError):
            errors[name] = [_("No such choice, or you may not see it.")]
    if errors:
        raise DjangoValidationError(errors)


# ---------------------------------------------------------------------------------------------------
# Record routes
# ---------------------------------------------------------------------------------------------------


def merged_redirect(request: HttpRequest, survivor) -> HttpResponse:
    """301 to the survivor of a merge: GET clients follow ``Location``; the body names it too."""
    kind = survivor._meta.verbose_name
    location = request.build_absolute_uri(request.path.rsplit("/", 1)[0] + f"/{survivor.pk}")
    response = HttpResponse(
        json.dumps(
            {
                "detail": _("This record was merged into %(kind)s %(id)d.")
                % {"kind": kind, "id": survivor.pk},
                "errors": {},
                "merged_into": survivor.pk,
            }
        ),
        status=301,
        content_type="application/json",
    )
    response["Location"] = location
    return response


@dataclass(frozen=True)
class RecordResource:
    """How one kind of business record is served at ``/<path>``: schemas, lists and services.

    ``create(by=, data=, custom=, tags=)``, ``update(instance, by=, data=, custom=, tags=,
    expected_version=)``, ``delete(instance, by=, expected_version=)`` and ``history(instance)``
    (audit entries, newest first) are the record kind's services; ``core.api.record_services``
    gives the generic ones. ``refs`` maps body fields holding ids to the rows they may name.
    """

    path: str
    model: type
    schema_in: type[Schema]
    schema_out: type[Schema]
    filters: type[Schema]
    sorts: dict[str, str]
    default_sort: str
    create: Callable
    update: Callable
    delete: Callable
    history: Callable
    refs: dict[str, RefSource] = field(default_factory=dict)
    related: tuple[str, ...] = ("owner", "branch", "team")
    schema_patch: type[Schema] | None = None

    def queryset(self) -> QuerySet:
        return self.model.objects.select_related(*self.related).prefetch_related("tags")

    def get_for(self, user, record_id: int, action: str = Action.VIEW):
        """The record for ``user`` (403 without the module right, 404 when missing or out of scope)."""
        require_right(user, self.model, action)
        return get_object_for_user(self.queryset(), user, record_id, action=action)

    def reload(self, instance):
        return self.queryset().get(pk=instance.pk)


def split_body(payload: Schema) -> tuple[dict, dict | None, list[str] | None]:
    """A body as (field values given, custom values or None, tag names or None)."""
    data = payload.model_dump(exclude_unset=True)
    return data, data.pop("custom", None), data.pop("tags", None)


def add_record_routes(router: Router, res: RecordResource) -> None:  # noqa: C901 - one closure per route
    """List, create, detail, patch, delete and audit routes for ``res`` on ``router``."""
    name = res.path.replace("-", "_")
    plural = str(res.model._meta.verbose_name_plural)
    patch_in = res.schema_patch or patch_schema(res.schema_in)
    tags = [res.path]

    @router.get(
        f"/{res.path}",
        response={200: page_schema(res.schema_out), **errors_doc(401, 403, 422)},
        operation_id=f"{name}_list",
        url_name=f"{name}_list",
        summary=f"List {plural}",
        description="Filters are exact; `custom.<key>=value` filters on a custom field. "
        "A role without the view right gets 403.",
        tags=tags,
    )
    def list_records(request, filters: Query[res.filters]):
        require_right(request.user, res.model, Action.VIEW)
        check_query_keys(request, res.filters)
        qs = apply_filters(res.queryset().visible_to(request.user), filters)
        qs = apply_custom_filters(qs, request, res.model.entity())
        qs = search(qs, filters.q or "")  # the same search as the UI's lists
        qs = apply_sort(qs, filters.sort, res.sorts, res.default_sort)
        return paginate(request, qs, filters)

    @router.post(
        f"/{res.path}",
        response={201: res.schema_out, **errors_doc(400, 401, 403, 409, 422)},
        operation_id=f"{name}_create",
        url_name=f"{name}_create",
        summary=f"Create one of {plural}",
        tags=tags,
    )
    def create_record(request, payload: res.schema_in, response: HttpResponse):
        require_right(request.user, res.model, Action.CREATE)
        data, custom, tag_names = split_body(payload)
        resolve_refs(request.user, data, res.refs)
        instance = res.reload(res.create(by=request.user, data=data, custom=custom, tags=tag_names))
        response["ETag"] = etag(instance)
        response["Location"] = request.build_absolute_uri(f"{request.path}/{instance.pk}")
        return Status(201, instance)

    @router.get(
        f"/{res.path}/{{record_id}}",
        response={200: res.schema_out, **errors_doc(401, 403, 404)},
        operation_id=f"{name}_get",
        url_name=f"{name}_detail",
        summary=f"One of {plural}",
        description="A record merged into another answers 301 with `Location` (the survivor's URL) "
        "and `merged_into` (its id) in the body; only reads redirect, writes to it answer 404.",
        tags=tags,
    )
    def get_record(request, record_id: int, response: HttpResponse):
        try:
            instance = res.get_for(request.user, record_id)
        except Http404:
            survivor = merged_survivor(res.model.objects.all(), request.user, record_id)
            if survivor is None:
                raise
            return merged_redirect(request, survivor)
        response["ETag"] = etag(instance)
        return instance

    @router.patch(
        f"/{res.path}/{{record_id}}",
        response={200: res.schema_out, **errors_doc(400, 401, 403, 404, 409, 412, 422)},
        operation_id=f"{name}_update",
        url_name=f"{name}_update",
        summary=f"Change one of {plural}",
        description='Send only the fields to change. `If-Match: "<version>"` (or `version` in the body) '
        "makes a stale write fail with 412; without either the write goes ahead.",
        tags=tags,
    )
    def update_record(request, record_id: int, payload: patch_in, response: HttpResponse):
        instance = res.get_for(request.user, record_id, Action.CHANGE)
        data, custom, tag_names = split_body(payload)
        version = expected_version(request, instance, data.pop("version", None))
        resolve_refs(request.user, data, res.refs)
        updated = res.update(
            instance, by=request.user, data=data, custom=custom, tags=tag_names, expected_version=version
        )
        updated = res.reload(updated)
        response["ETag"] = etag(updated)
        return updated

    @router.delete(
        f"/{res.path}/{{record_id}}",
        response={204: None, **errors_doc(401, 403, 404, 412)},
        operation_id=f"{name}_delete",
        url_name=f"{name}_delete",
        summary=f"Move one of {plural} to the Trash",
        tags=tags,
    )
    def delete_record(request, record_id: int):
        instance = res.get_for(request.user, record_id, Action.DELETE)
        res.delete(instance, by=request.user, expected_version=expected_version(request, instance))
        return Status(204, None)

    @router.get(
        f"/{res.path}/{{record_id}}/audit",
        response={200: page_schema(AuditEntryOut), **errors_doc(401, 403, 404, 422)},
        operation_id=f"{name}_audit",
        url_name=f"{name}_audit",
        summary="Audit trail, newest first",
        tags=tags,
    )
    def record_audit(request, record_id: int, params: Query[ListParams]):
        instance = res.get_for(request.user, record_id)
        return paginate(request, res.history(instance), params)
