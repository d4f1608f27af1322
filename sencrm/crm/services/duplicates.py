"""Finding duplicate accounts, contacts and leads (issue 3, REQUIREMENTS C7).

Two kinds of evidence, one 0–100 score:

- **exact keys** — the same email, E.164 phone or tax code: score 100;
- **fuzzy names** — the folded full name (company words for accounts, legal forms dropped) compared
  with rapidfuzz's ``token_sort_ratio``, weighed with the company and the address when both records
  have one (``WRatio``). Fuzzy scores are scaled to at most 95 so they always rank below an exact
  key; folded-equal names ('Nguyen Van Duc' / 'Nguyễn Văn Đức') score 95, the northern/southern
  forms of one family name ('Hoàng'/'Huỳnh', 'Vũ'/'Võ') about 87.

Candidates are never found by comparing all pairs: exact keys are indexed columns, and fuzzy
matching only compares records sharing the blocking key ``match_key`` (canonical family name +
given name, or the first two own words of a company; ``crm.models.matching``), read through an
index and capped at ``BLOCK_LIMIT`` rows. Everything runs on ``visible_to(user)``: a duplicate the
user may not see is never shown, not even as a count.

Public entry points: ``find_duplicates`` (one record or incoming data: forms, API, import) and
``duplicate_groups`` (the duplicates page).
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Count, Model, Q
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz

from sencrm.common.phones import normalize_phone
from sencrm.common.text import fold, join_name, nfc, split_name
from sencrm.common.validators import normalize_tax_code
from sencrm.crm.models import Account, Contact, Lead
from sencrm.crm.models.matching import FAMILY_VARIANTS, company_match_key, company_words, person_match_key

#: Record kinds with duplicate detection, by the names URLs and the API use.
KINDS: dict[str, type[Model]] = {"account": Account, "contact": Contact, "lead": Lead}

#: Exact keys per kind: evidence name → the columns holding it.
EXACT_FIELDS: dict[type[Model], dict[str, tuple[str, ...]]] = {
    Account: {"email": ("email", "email2"), "phone": ("phone", "phone2"), "tax_code": ("tax_code",)},
    Contact: {"email": ("email", "email2"), "phone": ("mobile", "phone")},
    Lead: {"email": ("email",), "phone": ("mobile", "phone"), "tax_code": ("tax_code",)},
}

#: Below this score a pair is not worth showing.
MIN_SCORE = 75
#: Fuzzy scores are scaled into 0–95 so that an exact key (100) always ranks first.
FUZZY_CEILING = 0.95
#: At most this many rows of one block are compared (a very common name stays cheap).
BLOCK_LIMIT = 300
#: At most this many exact-key matches are read for one record.
EXACT_LIMIT = 50

REASON_LABELS = {
    "email": _("same email"),
    "phone": _("same phone"),
    "tax_code": _("same tax code"),
    "name": _("similar name"),
}


def model_for(entity) -> type[Model]:
    """The model of ``entity``: a model class, 'contact', 'contacts' or 'crm.contact'."""
    if isinstance(entity, type) and entity in EXACT_FIELDS:
        return entity
    name = str(entity).lower().removeprefix("crm.")
    name = {"accounts": "account", "contacts": "contact", "leads": "lead"}.get(name, name)
    if name not in KINDS:
        raise ValueError(f"No duplicate detection for {entity!r}")
    return KINDS[name]


# ---------------------------------------------------------------------------------------------------
# What is compared
# ---------------------------------------------------------------------------------------------------


@dataclass
class Probe:
    """The comparable, normalised values of one record or of incoming data."""

    pk: int | None
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    tax_code: str = ""
    name: str = ""  # folded words, space-joined
    canonical: str = ""  # name with the family name's variant merged (Huỳnh → hoang)
    company: str = ""
    street: str = ""
    province_id: int | None = None
    key: str = ""


def _value(source, name: str):
    if isinstance(source, dict):
        value = source.get(name)
        if value is None and f"{name}_id" in source:
            value = source[f"{name}_id"]
        return value
    return getattr(source, name, None)


def _text(source, name: str) -> str:
    value = _value(source, name)
    return nfc(value) if isinstance(value, str) else ""


def _phone(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except ValidationError:
        return ""


def _tax(raw: str) -> str:
    try:
        return normalize_tax_code(raw) if raw else ""
    except ValidationError:
        return raw


def _pk(value) -> int | None:
    if isinstance(value, Model):
        return value.pk
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _person_name(source) -> tuple[str, str, str]:
    family, middle, given = (_text(source, n) for n in ("family_name", "middle_name", "given_name"))
    if not (family or given):
        family, middle, given = split_name(_text(source, "full_name"))
    return family, middle, given


def _account_name(source) -> str:
    """The company a contact works for (an Account, its id, or a plain 'company' text)."""
    company = _text(source, "company")
    if company:
        return company
    account = _value(source, "account")
    if isinstance(account, Account):
        return account.name
    pk = _pk(account)
    if pk:
        return Account.objects.filter(pk=pk).values_list("name", flat=True).first() or ""
    return ""


def probe(model: type[Model], source) -> Probe:
    """Normalise a record (instance) or incoming data (dict of field → value) for comparison.

    Raw values are normalised as the models do (phones to E.164, emails lower-case, tax codes
    without spaces), so an import row can be checked before it is cleaned.
    """
    p = Probe(pk=None if isinstance(source, dict) else source.pk)
    columns = EXACT_FIELDS[model]
    for evidence, names in columns.items():
        for name in names:
            raw = _text(source, name)
            if not raw:
                continue
            if evidence == "email":
                p.emails.add(raw.lower())
            elif evidence == "phone":
                phone = _phone(raw)
                if phone:
                    p.phones.add(phone)
            else:
                p.tax_code = _tax(raw)
    p.street = fold(_text(source, "street"))
    p.province_id = _pk(_value(source, "province"))
    if model is Account:
        p.name = " ".join(company_words(_text(source, "name")))
        p.canonical = p.name
        p.key = company_match_key(_text(source, "name"))
        return p
    family, middle, given = _person_name(source)
    company = _account_name(source) if model is Contact else _text(source, "company")
    p.company = " ".join(company_words(company))
    if given:
        p.name = fold(join_name(family, middle, given))
        words = p.name.split()
        if family and words:
            words[0] = FAMILY_VARIANTS.get(words[0], words[0])
        p.canonical = " ".join(words)
        p.key = person_match_key(family, given)
    elif model is Lead and company:
        p.name = p.canonical = p.company
        p.key = company_match_key(company)
    return p


def score_pair(a: Probe, b: Probe) -> tuple[int, list[str]]:
    """The 0–100 score of two probes and the evidence behind it (``REASON_LABELS`` keys)."""
    reasons = []
    if a.emails & b.emails:
        reasons.append("email")
    if a.phones & b.phones:
        reasons.append("phone")
    if a.tax_code and a.tax_code == b.tax_code:
        reasons.append("tax_code")
    if reasons:
        return 100, reasons
    if not (a.name and b.name):
        return 0, []
    name = fuzz.token_sort_ratio(a.name, b.name)
    if a.canonical == b.canonical:
        # One name in its northern and southern spelling (Hoàng/Huỳnh): very likely, not certain.
        name = max(name, 100 if a.name == b.name else 92)
    context = []
    if a.company and b.company:
        context.append(fuzz.WRatio(a.company, b.company))
    if a.street and b.street:
        context.append(fuzz.token_sort_ratio(a.street, b.street))
    if a.province_id and b.province_id:
        context.append(100 if a.province_id == b.province_id else 40)
    combined = name if not context else 0.7 * name + 0.3 * (sum(context) / len(context))
    return round(combined * FUZZY_CEILING), ["name"]


# ---------------------------------------------------------------------------------------------------
# One record's duplicates
# ---------------------------------------------------------------------------------------------------


@dataclass
class Match:
    """A likely duplicate of the record or data looked up: the record, a 0–100 score, the evidence."""

    record: Model
    score: int
    reasons: list[str]

    @property
    def exact(self) -> bool:
        return self.score >= 100

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASON_LABELS[r]) for r in self.reasons]


def _candidates_queryset(model, user):
    qs = model.objects.visible_to(user)
    if model is Contact:
        qs = qs.select_related("account")
    return qs


def _exact_q(model, p: Probe) -> Q | None:
    q = Q()
    values = {"email": p.emails, "phone": p.phones, "tax_code": {p.tax_code} - {""}}
    for evidence, names in EXACT_FIELDS[model].items():
        if values[evidence]:
            for name in names:
                q |= Q(**{f"{name}__in": sorted(values[evidence])})
    return q or None


def find_duplicates(entity, data_or_instance, user, limit: int = 10, *, min_score: int = MIN_SCORE):
    """Likely duplicates of a record or of incoming data, among the records ``user`` may see.

    ``entity``: 'account' | 'contact' | 'lead' (or the model, or 'crm.contact');
    ``data_or_instance``: a saved or unsaved instance, or a dict of model field names to raw values
    (``full_name`` or the name parts, ``email``, ``mobile``, ``tax_code``, ``company`` or
    ``account``, ``street``, ``province``…). Returns at most ``limit`` ``Match``es, best first;
    a saved instance never matches itself. Costs at most two indexed queries (plus one to read a
    contact's account name when only its id is given).
    """
    model = model_for(entity)
    p = probe(model, data_or_instance)
    found: dict[int, Match] = {}
    base = _candidates_queryset(model, user)
    if p.pk:
        base = base.exclude(pk=p.pk)
    exact_q = _exact_q(model, p)
    if exact_q is not None:
        for record in base.filter(exact_q).order_by("pk")[:EXACT_LIMIT]:
            score, reasons = score_pair(p, probe(model, record))
            found[record.pk] = Match(record, score, reasons)
    if p.key:
        for record in base.filter(match_key=p.key).exclude(pk__in=list(found)).order_by("pk")[:BLOCK_LIMIT]:
            score, reasons = score_pair(p, probe(model, record))
            if score >= min_score:
                found[record.pk] = Match(record, score, reasons)
    matches = sorted(found.values(), key=lambda m: (-m.score, m.record.pk))
    return matches[:limit]


# ---------------------------------------------------------------------------------------------------
# The duplicates page: groups among all visible records
# ---------------------------------------------------------------------------------------------------

#: What the duplicates page may group on: the blocking key, or one exact column.
GROUP_BY = {
    "name": _("Similar names"),
    "email": _("Same email"),
    "phone": _("Same phone"),
    "tax_code": _("Same tax code"),
}
#: Members read per block on the page (pairs compared: at most n·(n−1)/2).
GROUP_BLOCK_LIMIT = 50


@dataclass
class DuplicateGroup:
    """Records that are probably one: the best pair score inside the group, the evidence."""

    records: list[Model]
    score: int
    reasons: list[str]

    @property
    def ids(self) -> list[int]:
        return [r.pk for r in self.records]

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASON_LABELS[r]) for r in self.reasons]


def group_columns(model) -> dict[str, str]:
    """Grouping choice → the column grouped on, for the choices ``model`` has."""
    columns = {"name": "match_key", "email": "email"}
    columns["phone"] = "phone" if model is Account else "mobile"
    if "tax_code" in EXACT_FIELDS[model]:
        columns["tax_code"] = "tax_code"
    return columns


def _cluster(model, records: list[Model], min_score: int) -> list[DuplicateGroup]:
    """Split one block into groups of records linked by pairs scoring ``min_score`` or more."""
    probes = [probe(model, r) for r in records]
    parent = list(range(len(records)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    best: dict[int, tuple[int, list[str]]] = {}
    for i in range(len(records)):
        for j in range(i + 1, len(records)):
            score, reasons = score_pair(probes[i], probes[j])
            if score < min_score:
                continue
            ri, rj = root(i), root(j)
            parent[rj] = ri
            for r in (ri, rj):
                if score > best.get(r, (0, []))[0]:
                    best[r] = (score, reasons)
    members: dict[int, list[Model]] = {}
    for i, record in enumerate(records):
        members.setdefault(root(i), []).append(record)
    groups = []
    for r, group in members.items():
        if len(group) < 2:
            continue
        score, reasons = max((best[k] for k in best if root(k) == r), key=lambda x: x[0])
        groups.append(DuplicateGroup(group, score, reasons))
    return groups


def duplicate_groups(entity, user, *, by: str = "name", page: int = 1, per_page: int = 20,
                     min_score: int = MIN_SCORE) -> tuple[list[DuplicateGroup], bool]:  # fmt: skip
    """One page of likely duplicate groups among the records ``user`` may see.

    Computed on demand: a ``GROUP BY`` on an indexed column (``match_key`` for ``by="name"``, else
    the email, main phone or tax code column) finds the blocks holding two or more visible records,
    one page of blocks at a time; their members are read in one query and scored pair by pair inside
    each block only. Returns (groups, whether a next page exists). Exact groupings score 100.
    """
    model = model_for(entity)
    column = group_columns(model).get(by)
    if column is None:
        raise ValueError(f"Cannot group {model.__name__} by {by!r}")
    visible = _candidates_queryset(model, user)
    blocks = (
        visible.exclude(**{column: ""})
        .values(column)
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .order_by(column)
    )
    offset = (max(page, 1) - 1) * per_page
    rows = list(blocks[offset : offset + per_page + 1])
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    keys = [row[column] for row in rows]
    if not keys:
        return [], False
    by_key: dict[str, list[Model]] = {}
    # Small blocks in one query; a very common key is read alone, capped, so a page stays cheap.
    small = [row[column] for row in rows if row["n"] <= GROUP_BLOCK_LIMIT]
    large = [row[column] for row in rows if row["n"] > GROUP_BLOCK_LIMIT]
    reads = [visible.filter(**{f"{column}__in": small})] if small else []
    reads += [visible.filter(**{column: key}).order_by("pk")[:GROUP_BLOCK_LIMIT] for key in large]
    for read in reads:
        for record in read.order_by(column, "pk") if not read.query.is_sliced else read:
            by_key.setdefault(getattr(record, column), []).append(record)
    groups: list[DuplicateGroup] = []
    for key in keys:
        records = by_key.get(key, [])
        if by == "name":
            groups.extend(_cluster(model, records, min_score))
        elif len(records) > 1:
            groups.append(DuplicateGroup(records, 100, [by]))
    return groups, has_next
