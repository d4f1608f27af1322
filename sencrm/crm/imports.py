"""What accounts, contacts and leads accept from an import file (see ``sencrm.core.imports``).

Company names on contacts are looked up among the accounts the user sees (same name regardless of
case and diacritics); a missing account is created when the user may create accounts, and undoing
the import removes it again. City names are matched to the current provinces (VIETNAM.md §1); the
address as typed is kept in ``address_as_entered``.
"""
# ruff: noqa: E501 - choice tables read best one row per line

from django.utils.translation import gettext_lazy as _

from sencrm.common.models import Action
from sencrm.common.text import fold
from sencrm.core.imports import ImportAdapter, ImportField, register
from sencrm.crm.models import Account, Contact, Lead

SALUTATIONS = {
    "anh": "anh", "chi": "chi", "ong": "ong", "ba": "ba", "em": "em",
    "mr": "ong", "mr.": "ong", "sir": "ong", "mrs": "ba", "mrs.": "ba", "ms": "ba", "ms.": "ba", "miss": "chi",
}  # fmt: skip


def _choices(model_choices, extra: dict | None = None) -> dict[str, str]:
    out = {}
    for value, label in model_choices:
        out[fold(str(value))] = value
        out[fold(str(label))] = value
    out.update(extra or {})
    return out


def _common_person_fields() -> list[ImportField]:
    return [
        ImportField("full_name", _("Full name")),
        ImportField("family_name", _("Family name (họ)")),
        ImportField("middle_name", _("Middle name (tên đệm)")),
        ImportField("given_name", _("Given name (tên)")),
        ImportField("salutation", _("Salutation"), "choice", choices=SALUTATIONS),
        ImportField("email", _("Email"), "email"),
        ImportField("mobile", _("Mobile"), "phone"),
        ImportField("phone", _("Phone"), "phone"),
        ImportField("job_title", _("Job title")),
        ImportField("company", _("Company"), "company"),
        ImportField("street", _("Street address")),
        ImportField("city", _("City / province"), "city"),
        ImportField("country", _("Country"), "country"),
        ImportField("description", _("Description")),
        ImportField("owner", _("Owner (username or email)"), "owner"),
    ]


def _provinces(ctx) -> dict[str, int]:
    from sencrm.core.models import Province

    if "provinces" not in ctx.cache:
        table = {}
        for code, name in Province.objects.values_list("code", "name"):
            folded = fold(name)
            table[folded] = code
            for prefix in ("thanh pho ", "tinh "):
                if folded.startswith(prefix):
                    table[folded[len(prefix) :]] = code
        ctx.cache["provinces"] = table
    return ctx.cache["provinces"]


def _address(ctx, data: dict, extra: dict) -> None:
    city, country = extra.get("city", ""), extra.get("country", "")
    if city:
        cities = ctx.cache.setdefault("cities", {})  # as typed → code: a file repeats its cities
        if city not in cities:
            cities[city] = _provinces(ctx).get(fold(city).strip()) if len(cities) < 10_000 else None
        code = cities[city] if city in cities else _provinces(ctx).get(fold(city).strip())
        if code:
            data["province_id"] = code
    if city or country:
        data["address_as_entered"] = ", ".join(p for p in (data.get("street", ""), city, country) if p)[:500]


def _account_for(ctx, name: str) -> int | None:
    """The id of the account called ``name`` the user sees, created when missing (and allowed)."""
    key = fold(name).strip()
    cache = ctx.cache.setdefault("accounts", {})
    if key in cache:
        return cache[key]
    found = None
    for pk, account_name in (
        Account.objects.visible_to(ctx.user)
        .filter(search_text__contains=" ".join(key.split()[:1]))
        .values_list("pk", "name")[:200]
    ):
        if fold(account_name).strip() == key:
            found = pk
            break
    if found is None and not ctx.cache.get("preview") and ctx.user.has_right(Account, Action.CREATE):
        from sencrm.core.services.records import record_create

        account = record_create(Account, by=ctx.user, data={"name": name})
        ctx.side_created.append((ctx.row, Account._meta.label_lower, account.pk))
        found = account.pk
    if len(cache) > 10_000:
        cache.clear()
    cache[key] = found
    return found


def _prepare_contact(ctx, data: dict, extra: dict) -> None:
    full = data.pop("full_name", None)
    if full and not (data.get("family_name") or data.get("given_name")):
        data["full_name"] = full
    company = extra.get("company")
    if company:
        account_id = _account_for(ctx, company)
        if account_id:
            data["account_id"] = account_id
        elif ctx.cache.get("preview") and ctx.user.has_right(Account, Action.CREATE):
            ctx.warn("company", company, _("A new account will be created for this company."))
        else:
            ctx.warn(
                "company",
                company,
                _("No such account and you may not create accounts; not linked (row imported)."),
            )
    _address(ctx, data, extra)


def _prepare_lead(ctx, data: dict, extra: dict) -> None:
    full = data.pop("full_name", None)
    if full and not (data.get("family_name") or data.get("given_name")):
        data["full_name"] = full
    if extra.get("company"):
        data["company"] = extra["company"]
    _address(ctx, data, extra)


def _prepare_account(ctx, data: dict, extra: dict) -> None:
    _address(ctx, data, extra)


CONTACTS = ImportAdapter(
    entity="crm.contact",
    model=Contact,
    fields=[
        *_common_person_fields(),
        ImportField("email2", _("Other email"), "email"),
        ImportField("department", _("Department")),
        ImportField("birthday", _("Birthday"), "date"),
    ],
    match=(("email", "email2"), ("mobile", "phone")),
    match_indexed=("email", "mobile"),
    prepare=_prepare_contact,
)

LEADS = ImportAdapter(
    entity="crm.lead",
    model=Lead,
    fields=[
        *_common_person_fields(),
        ImportField("website", _("Website"), "url"),
        ImportField("tax_code", _("Tax code")),
        ImportField("industry", _("Industry")),
        ImportField("status", _("Status"), "choice", choices=_choices(Lead.Status.choices)),
        ImportField(
            "source",
            _("Source"),
            "choice",
            choices=_choices(
                Lead.Source.choices,
                {
                    "web": "website",
                    "web site": "website",
                    "web download": "website",
                    "facebook": "social",
                    "zalo": "social",
                },
            ),
        ),
        ImportField("rating", _("Rating"), "choice", choices=_choices(Lead.Rating.choices)),
        ImportField("estimated_value", _("Estimated value (VND)"), "int"),
    ],
    match=(("email",), ("mobile", "phone"), ("tax_code",)),
    match_indexed=("email", "mobile"),
    prepare=_prepare_lead,
)

ACCOUNTS = ImportAdapter(
    entity="crm.account",
    model=Account,
    fields=[
        ImportField(
            "name",
            _("Name"),
            synonyms=(
                "name",
                "accountname",
                "companyname",
                "company",
                "congty",
                "tencongty",
                "tendoanhnghiep",
                "tentochuc",
                "tochuc",
                "ten",
                "tenkhachhang",
                "organization",
            ),
        ),
        ImportField(
            "type",
            _("Type"),
            "choice",
            choices=_choices(
                Account.Type.choices,
                {"prospect": "customer", "customer - direct": "customer", "customer - channel": "customer"},
            ),
        ),
        ImportField("tax_code", _("Tax code")),
        ImportField("industry", _("Industry")),
        ImportField("phone", _("Phone"), "phone"),
        ImportField("phone2", _("Other phone"), "phone"),
        ImportField("email", _("Email"), "email"),
        ImportField("email2", _("Other email"), "email"),
        ImportField("website", _("Website"), "url"),
        ImportField("employees", _("Employees"), "int"),
        ImportField("annual_revenue", _("Annual revenue (VND)"), "int"),
        ImportField("street", _("Street address")),
        ImportField("city", _("City / province"), "city"),
        ImportField("country", _("Country"), "country"),
        ImportField("description", _("Description")),
        ImportField("owner", _("Owner (username or email)"), "owner"),
    ],
    match=(("tax_code",), ("email", "email2"), ("phone", "phone2")),
    match_indexed=("tax_code", "email", "phone"),
    prepare=_prepare_account,
    fallbacks={"mobile": "phone"},
)

for _adapter in (ACCOUNTS, CONTACTS, LEADS):
    register(_adapter)
