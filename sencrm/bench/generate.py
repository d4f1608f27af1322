"""A deterministic, large CRM data set for the benchmark, written fast with bulk inserts.

``full`` is 1,000,000 contacts, 200,000 accounts, 300,000 leads, 300,000 opportunities and
5,000,000 activities (about 1,000,000 stage changes come with the deals); ``quick`` is half a
percent of it, a number scales ``full``. Owners are a few hundred users across the demo company's
branches and teams (the demo's users and logins included) with Zipf-skewed shares: some reps own
tens of thousands of records, most own a few. Dates spread over three years before ``ANCHOR``.

It extends the demo builder (same name tables, companies, addresses, activity texts) but writes
rows as tuples, not model instances: executemany in big transactions on SQLite, COPY on
PostgreSQL, with secondary indexes dropped during the load and built once at the end. Every
derived column is computed by the functions the models and services use (``sort_key``,
``name_sort_key``, ``person_match_key``/``company_match_key``, ``search_text``, E.164 phones,
owner → team/branch, opportunity status/probability/closed_at from the stage, activity
``occurred_at``, contact ``last_contacted_at``), and the global-search index is rebuilt with
``search_reindex()``. The tests check the derived values against the models' own ``clean()``.
"""

import json
import math
import time
from datetime import UTC, date, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction

from sencrm.common.text import fold, join_name, name_sort_key, search_text, sort_key
from sencrm.core.models import ApiToken, Role, Team, User
from sencrm.core.search import search_reindex
from sencrm.crm.demo import names as N
from sencrm.crm.demo.builder import (
    ACCOUNT_TYPE_WEIGHTS,
    ACTIVITY_ANCHOR_WEIGHTS,
    ACTIVITY_KIND_WEIGHTS,
    CALL_RESULT_WEIGHTS,
    DEMO_PASSWORD,
    LEAD_SOURCE_WEIGHTS,
    LEAD_STATUS_WEIGHTS,
    TZ,
    DemoBuilder,
    weighted,
)
from sencrm.crm.models import Account, Activity, Contact, Lead, Opportunity, Stage, StageChange
from sencrm.crm.models.matching import company_match_key, person_match_key
from sencrm.crm.services.opportunities import pipeline_create_default

FULL_COUNTS = {
    "accounts": 200_000,
    "contacts": 1_000_000,
    "leads": 300_000,
    "opportunities": 300_000,
    "activities": 5_000_000,
}
SIZES = {"full": 1.0, "quick": 0.005}
SEED = 4004
#: The data set's "now": fixed, so a size always gives the same rows whatever day it is built.
ANCHOR = datetime(2026, 11, 2, 10, 0, tzinfo=TZ)
SPAN_DAYS = 3 * 365
#: Every user's password (the demo's) and the API key of the admin user, both for benchmarking only.
BENCH_PASSWORD = DEMO_PASSWORD
BENCH_TOKEN = "sen_bench_0123456789abcdefghijklmnopqrstuv"
FULL_USERS = 300  # users added to the demo's 14 at full size
# Mobile prefixes whose every 7-digit number is valid (phonenumbers); '89' is not, in places.
PHONE_PREFIXES = [
    "86", "96", "97", "98", "32", "33", "34", "35", "36", "37", "38", "39",
    "88", "91", "94", "81", "82", "83", "84", "85", "90", "93", "70", "76", "77", "78", "79",
]  # fmt: skip
CHUNK = 50_000


def parse_size(text: str) -> tuple[str, float]:
    """'full', 'quick' or a factor of full ('0.1') → (label, factor)."""
    if text in SIZES:
        return text, SIZES[text]
    try:
        factor = float(text)
    except ValueError:
        raise ValueError(f"size must be full, quick or a positive number, not {text!r}") from None
    if not 0 < factor <= 10:
        raise ValueError(f"size must be between 0 and 10 times full, not {text!r}")
    return "x" + f"{factor:g}".replace(".", "_"), factor


def bench_counts(factor: float) -> dict[str, int]:
    return {kind: max(1, round(n * factor)) for kind, n in FULL_COUNTS.items()}


def utc_text(moment: datetime | None) -> str | None:
    """The text Django stores for an aware datetime (UTC, naive ISO with a space), and COPY reads."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


# ---------------------------------------------------------------------------------------------------
# Writing rows
# ---------------------------------------------------------------------------------------------------


class Table:
    """A model's table: its columns in order and the database value of each field's default."""

    def __init__(self, model):
        self.model = model
        self.name = model._meta.db_table
        self.fields = list(model._meta.concrete_fields)
        self.columns = [f.column for f in self.fields]
        self.defaults = [self._default(f) for f in self.fields]
        self.checked = False

    @staticmethod
    def _default(field) -> object:
        value = field.get_default()  # "" for text fields without a default, as Django stores
        if isinstance(field, models.JSONField):
            return json.dumps(value)
        if isinstance(value, datetime):
            return None  # timezone.now: the generator always gives its own moment
        return value

    def row(self, values: dict) -> tuple:
        if not self.checked:
            unknown = set(values) - set(self.columns)
            if unknown:
                raise ValueError(f"{self.name}: no columns {sorted(unknown)}")
            self.checked = True
        return tuple(values.get(c, d) for c, d in zip(self.columns, self.defaults, strict=True))


class Writer:
    """Bulk insert into the default database: executemany (SQLite) or COPY (PostgreSQL)."""

    def __init__(self, log=None):
        self.vendor = connection.vendor
        self.log = log or (lambda message: None)
        self.dropped: list[str] = []

    def prepare(self) -> None:
        with connection.cursor() as cursor:
            if self.vendor == "sqlite":
                if connection.in_atomic_block:
                    return  # inside a transaction (tests) SQLite keeps its settings
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("PRAGMA cache_size=-1048576")
                cursor.execute("PRAGMA foreign_keys=OFF")
            else:
                # Rows are consistent by construction: skip the per-row foreign-key triggers.
                cursor.execute("SET session_replication_role = replica")
                cursor.execute("SET maintenance_work_mem = '1GB'")

    def finish(self) -> None:
        """Back to the connection's normal settings."""
        with connection.cursor() as cursor:
            if self.vendor == "sqlite":
                if connection.in_atomic_block:
                    return
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("PRAGMA cache_size=-65536")
            else:
                cursor.execute("SET session_replication_role = DEFAULT")

    def drop_indexes(self, tables: list[str]) -> None:
        """Drop the secondary (non-unique) indexes of ``tables``; ``create_indexes`` rebuilds them."""
        with connection.cursor() as cursor:
            for table in tables:
                if self.vendor == "sqlite":
                    cursor.execute(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                        "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'",
                        [table],
                    )
                else:
                    cursor.execute(
                        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
                        "AND i.indexdef NOT LIKE 'CREATE UNIQUE%%' AND NOT EXISTS (SELECT 1 FROM "
                        "pg_constraint c WHERE c.conname = i.indexname)",
                        [table],
                    )
                for name, sql in cursor.fetchall():
                    cursor.execute(f'DROP INDEX "{name}"')
                    self.dropped.append(sql)

    def create_indexes(self) -> None:
        with connection.cursor() as cursor:
            for sql in self.dropped:
                cursor.execute(sql)
        self.dropped = []

    def insert(self, table: Table, rows) -> int:
        """Write ``rows`` (tuples in ``table.columns`` order); returns how many."""
        started, count = time.monotonic(), 0
        columns = ", ".join(f'"{c}"' for c in table.columns)
        if self.vendor == "sqlite":
            raw = connection.connection
            sql = f'INSERT INTO "{table.name}" ({columns}) VALUES ({", ".join("?" * len(table.columns))})'
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) >= CHUNK:
                    raw.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                raw.executemany(sql, batch)
                count += len(batch)
        else:
            with connection.cursor() as cursor:
                raw = cursor.cursor
                with raw.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
        self.log(f"  {table.name}: {count:,} rows in {time.monotonic() - started:.1f} s")
        return count


# ---------------------------------------------------------------------------------------------------
# Generating rows
# ---------------------------------------------------------------------------------------------------


class _Activity:
    """What ``DemoBuilder.fill`` sets on an activity, without a model instance."""

    __slots__ = (
        "kind", "subject", "description", "due_at", "start_at", "end_at", "location", "remind_at",
        "reminded_at", "done", "done_at", "direction", "call_duration", "call_result", "outcome",
    )  # fmt: skip

    def __init__(self, kind):
        self.kind = kind
        self.subject = self.description = self.location = self.direction = self.call_result = ""
        self.outcome = ""
        self.due_at = self.start_at = self.end_at = self.remind_at = self.reminded_at = self.done_at = None
        self.call_duration = None
        self.done = False


class BenchBuilder(DemoBuilder):
    """The demo company's organisation with a few hundred more users, and millions of records."""

    def __init__(self, *, factor: float, seed: int = SEED, log=None):
        super().__init__(seed=seed, size=1.0, log=log)
        self.factor = factor
        self.counts = bench_counts(factor)
        self.now = ANCHOR
        self.today = ANCHOR.date()
        self._phone_serial = 0
        self._line_serial: dict[str, int] = {}
        self._names: dict[tuple[str, str, str], tuple[str, str, str]] = {}
        self._slugs: dict[str, str] = {}
        self._subject_text: dict[str, str] = {}
        self.timings: dict[str, float] = {}

    # --- phones: unique by construction (a serial spread over the number space), always valid ------
    def mobile(self) -> str:
        serial = self._phone_serial
        self._phone_serial += 1
        prefix = PHONE_PREFIXES[serial % len(PHONE_PREFIXES)]
        return f"+84{prefix}{(serial // len(PHONE_PREFIXES)) * 104729 % 10**7:07d}"

    def landline(self, province_code: int) -> str:
        area = N.AREA_CODES.get(province_code)
        if area is None:
            return self.mobile()
        code, digits = area
        serial = self._line_serial.get(code, 0)
        self._line_serial[code] = serial + 1
        subscriber = (serial // 2) * 7919 % 10 ** (digits - 1)
        return f"+84{code}{'36'[serial % 2]}{subscriber:0{digits - 1}d}"

    # --- cached derivations (names repeat a lot; the functions are the models' own) ----------------
    def names(self, family: str, middle: str, given: str) -> tuple[str, str, str]:
        """(full_name, sort_name, match_key) of a person."""
        key = (family, middle, given)
        found = self._names.get(key)
        if found is None:
            found = (
                join_name(family, middle, given),
                name_sort_key(family, middle, given),
                person_match_key(family, given),
            )
            self._names[key] = found
        return found

    def slug(self, text: str) -> str:
        found = self._slugs.get(text)
        if found is None:
            found = self._slugs[text] = "".join(ch for ch in fold(text) if ch.isalnum())
        return found

    def past_span(self, min_days: float = 0) -> datetime:
        return self.past(SPAN_DAYS, min_days)

    # --- organisation -------------------------------------------------------------------------------
    def build_users(self) -> None:
        """The demo organisation, then more teams and users with skewed shares of the records."""
        self.build_organisation()
        extra = max(10, round(FULL_USERS * self.factor**0.5)) if self.factor < 1 else FULL_USERS
        password = self.users["admin"].password
        rep_role = Role.objects.get(name="Nhân viên kinh doanh")
        team_role = Role.objects.get(name="Trưởng nhóm")
        viewer_role = Role.objects.get(name="Nhân viên xem")
        regions = {"hn": "north", "cg": "north", "sg": "south", "dn": "central"}
        base_teams = list(self.teams.items())
        new_teams = []
        for index in range(max(4, extra // 15)):
            key, team = base_teams[index % len(base_teams)]
            new_teams.append(
                (
                    regions[key],
                    Team(name=f"{team.name} {index // len(base_teams) + 2}", branch_id=team.branch_id),
                )
            )
        Team.objects.bulk_create([t for _r, t in new_teams])
        teams = [(regions[k], t) for k, t in base_teams] + new_teams
        people = []
        for index in range(extra):
            region, team = teams[index % len(teams)]
            _gender, family, middle, given = self.person(region)
            if index < len(new_teams):
                role, title = team_role, "Trưởng nhóm kinh doanh"
            elif index % 25 == 7:
                role, title = viewer_role, "Trợ lý kinh doanh"
            else:
                role, title = rep_role, "Nhân viên kinh doanh"
            people.append(
                User(
                    username=f"nv{index + 1:04d}",
                    password=password,
                    last_name=join_name(family, middle, ""),
                    first_name=given,
                    email=f"nv{index + 1:04d}@senviet.vn",
                    phone=self.mobile(),
                    job_title=title,
                    branch_id=team.branch_id,
                    team=team if role != viewer_role else None,
                    role=role,
                )
            )
        User.objects.bulk_create(people)
        # Zipf shares: the n-th rep by rank owns ~1/n of the top rep's records (viewers own nothing).
        owner_weights = [(u, w) for u, w in self._owner_pairs() if w]
        reps = User.objects.filter(username__startswith="nv").exclude(role=viewer_role).order_by("username")
        for rank, user in enumerate(reps):
            owner_weights.append((user, 60 / (rank + 1) ** 0.9))
        self._owners = weighted(owner_weights)
        self.owners_by_region = {}
        for user, weight in owner_weights:
            self.owners_by_region.setdefault(self.region_of(user), []).append((user, weight))
        self._owners_by_region = {r: weighted(pairs) for r, pairs in self.owners_by_region.items()}
        # A known API key for the admin (benchmark databases only).
        ApiToken.objects.create(
            user=self.users["admin"],
            name="bench",
            prefix=BENCH_TOKEN[:10],
            key_hash=ApiToken.hash(BENCH_TOKEN),
        )
        self.user_count = User.objects.count()

    def _owner_pairs(self):
        from sencrm.crm.demo.builder import USERS

        weights = {row[0]: row[-1] for row in USERS}
        return [(self.users[name], weight * 3) for name, weight in weights.items()]

    def place(self, values: dict, owner: User, at: datetime) -> None:
        """Owner, its team and branch (what record_create() stores); created and changed at ``at``."""
        values["owner_id"] = values["created_by_id"] = values["updated_by_id"] = owner.pk
        values["team_id"] = owner.team_id
        values["branch_id"] = owner.branch_id
        values["created_at"] = values["updated_at"] = utc_text(at)

    # --- accounts -----------------------------------------------------------------------------------
    def account_rows(self, table: Table):
        types = weighted(ACCOUNT_TYPE_WEIGHTS)
        self.acc_owner, self.acc_info, self.acc_created, self.acc_phone, self.acc_type = [], [], [], [], []
        for index in range(self.counts["accounts"]):
            owner = self.owner()
            region = self.region_of(owner)
            street, ward = self.address(region)
            info = self.company(region, ward.province_id)
            small = info["form"] in {"shop", "household"}
            account_type = self.pick(types) if not small else Account.Type.CUSTOMER
            phone = self.landline(ward.province_id) if self.chance(0.7) else self.mobile()
            phone2 = self.mobile() if self.chance(0.25) else ""
            email = (
                f"{self.rng.choice(N.ACCOUNT_EMAIL_USERS)}@{info['domain']}"
                if info["domain"]
                else self.personal_email("cuahang", info["brand"])
            )
            website = f"https://www.{info['domain']}" if info["domain"] and self.chance(0.8) else ""
            name = info["name"]
            created = self.past_span(20)
            values = {
                "id": index + 1,
                "name": name,
                "sort_name": sort_key(name),
                "type": account_type,
                "industry": info["industry"],
                "tax_code": info["tax_code"],
                "phone": phone,
                "phone2": phone2,
                "email": email,
                "website": website,
                "employees": info["employees"],
                "annual_revenue": info["annual_revenue"] if self.chance(0.7) else None,
                "street": street,
                "ward_id": ward.pk,
                "province_id": ward.province_id,
                "parent_id": self.rng.randrange(index) + 1 if index and self.chance(0.03) else None,
                "match_key": company_match_key(name),
                "search_text": search_text(name, email, "", phone, phone2, info["tax_code"], website),
            }
            self.place(values, owner, created)
            self.acc_owner.append(owner)
            self.acc_info.append((info["brand"], info["form"], info["domain"], region))
            self.acc_created.append(created)
            self.acc_phone.append(phone)
            self.acc_type.append(account_type)
            yield table.row(values)
        self.used_account_names = set()  # only needed while naming accounts

    # --- contacts -----------------------------------------------------------------------------------
    def contact_rows(self, table: Table, tags: list[tuple[int, int]]):
        self._channels = weighted([("zalo", 35), ("phone", 30), ("email", 20), ("sms", 5), ("", 10)])
        self._times = weighted(
            [("morning", 30), ("afternoon", 30), ("noon", 5), ("evening", 10), ("any", 10), ("", 15)]
        )
        total = self.counts["contacts"]
        accounts = len(self.acc_owner)
        consumers = round(total * 0.2)
        at_accounts = total - consumers
        weights = [{"cp": 4, "tnhh": 2, "mtv": 2, "dntn": 1.5}.get(info[1], 0.5) for info in self.acc_info]
        picks = list(range(min(at_accounts, accounts)))
        picks += self.rng.choices(range(accounts), weights=weights, k=at_accounts - len(picks))
        picks += [-1] * consumers
        self.contacts_of: dict[int, list[int]] = {}
        self.con_account, self.con_owner, self.con_created, self.con_who, self.con_dnc = [], [], [], [], []
        tag_ids = {name: tag.pk for name, tag in self.tags.items()}
        self.twins: list[tuple] = []  # every 50th person, for the leads that are contacts again
        for index, account in enumerate(picks):
            pk = index + 1
            if account >= 0:
                brand, form, domain, region = self.acc_info[account]
            else:
                region = self.rng.choice(("north", "north", "south", "south", "central"))
            gender, family, middle, given = self.person(region)
            full_name, sort_name, match_key = self.names(family, middle, given)
            age = self.rng.randint(23, 65)
            birthday = None
            if self.chance(0.6):
                birthday = date(self.today.year - age, self.rng.randint(1, 12), self.rng.randint(1, 28))
            salutation = ""
            if self.chance(0.9):
                salutation = (
                    ("ba" if gender == "f" else "ong") if age >= 50 else ("chi" if gender == "f" else "anh")
                )
            if account >= 0:
                owner = self.acc_owner[account] if self.chance(0.9) else self.owner(region)
                job, department = self.pick(self._jobs)
                if form in {"shop", "household"}:
                    job, department = self.rng.choice(("Chủ cửa hàng", "Quản lý cửa hàng")), ""
                email = (
                    f"{self.slug(given)}.{self.slug(family)}@{domain}"
                    if domain
                    else self.personal_email(family, given)
                )
                street, ward = ("", None) if self.chance(0.8) else self.address(region)
                since = self.acc_created[account]
            else:
                owner = self.owner(region)
                job, department = "", ""
                email = self.personal_email(family, given) if self.chance(0.7) else ""
                street, ward = self.address(region)
                since = self.now - timedelta(days=SPAN_DAYS)
            mobile = self.mobile() if self.chance(0.92) else ""
            phone = self.acc_phone[account] if account >= 0 and self.chance(0.3) else ""
            created = self.work_between(since, self.now - timedelta(days=1))
            do_not_contact = self.chance(0.02)
            values = {
                "id": pk,
                "salutation": salutation,
                "family_name": family,
                "middle_name": middle,
                "given_name": given,
                "full_name": full_name,
                "sort_name": sort_name,
                "account_id": account + 1 if account >= 0 else None,
                "job_title": job,
                "department": department,
                "mobile": mobile,
                "phone": phone,
                "email": email,
                "birthday": birthday.isoformat() if birthday else None,
                "preferred_channel": self.pick(self._channels),
                "preferred_time": self.pick(self._times),
                "consent": json.dumps(self.consent()),
                "do_not_contact": do_not_contact,
                "street": street,
                "ward_id": ward.pk if ward else None,
                "province_id": ward.province_id if ward else None,
                "match_key": match_key,
                "search_text": search_text(full_name, email, "", mobile, phone, job),
            }
            self.place(values, owner, created)
            if account < 0 and self.chance(0.5):
                tags.append((pk, tag_ids["Khách lẻ"]))
            if self.chance(0.03):
                tags.append((pk, tag_ids["VIP"]))
            if self.chance(0.08):
                tags.append((pk, tag_ids["Quà Tết"]))
            if account >= 0:
                self.contacts_of.setdefault(account, []).append(pk)
            self.con_account.append(account)
            self.con_owner.append(owner)
            self.con_created.append(created)
            self.con_who.append(self.who_text(salutation, given, full_name))
            self.con_dnc.append(do_not_contact)
            if index % 50 == 0:
                self.twins.append((family, middle, given, salutation, mobile, email))
            yield table.row(values)

    @staticmethod
    def who_text(salutation: str, given: str, full_name: str) -> str:
        if not given:
            return "khách hàng"
        title = {"anh": "anh", "chi": "chị", "ong": "ông", "ba": "bà", "em": "em"}.get(salutation, "")
        return f"{title} {given}" if title else full_name

    def account_tag_rows(self) -> list[tuple[int, int]]:
        rows = []
        tag_ids = {name: tag.pk for name, tag in self.tags.items()}
        for index, (_brand, form, _domain, _region) in enumerate(self.acc_info):
            pk = index + 1
            if form in {"cp", "tnhh"} and self.chance(0.06):
                rows.append((pk, tag_ids["VIP"]))
            if form != "household" and self.chance(0.15):
                rows.append((pk, tag_ids["Khách sỉ"]))
            if self.chance(0.1):
                rows.append((pk, tag_ids["Quà Tết"]))
            if self.acc_type[index] == Account.Type.PARTNER and self.chance(0.5):
                rows.append((pk, tag_ids["Đại lý"]))
        return rows

    # --- opportunities ------------------------------------------------------------------------------
    def load_pipeline(self) -> None:
        """The default pipeline and its stages (read before COPY holds the connection)."""
        self.pipeline = pipeline_create_default()
        self.stages = list(Stage.objects.filter(pipeline=self.pipeline).order_by("position", "id"))

    def opportunity_rows(self, table: Table, changes: list[tuple]):
        pipeline, stages = self.pipeline, self.stages
        open_stages = [s for s in stages if s.kind == Stage.Kind.OPEN]
        won = next(s for s in stages if s.kind == Stage.Kind.WON)
        lost = next(s for s in stages if s.kind == Stage.Kind.LOST)
        weights = (14, 13, 11, 9, 8, 7, 6, 5)
        stage_pick = weighted([*zip(open_stages, weights, strict=False), (won, 25), (lost, 20)])
        buyers = [
            i for i, t in enumerate(self.acc_type) if t in {Account.Type.CUSTOMER, Account.Type.PARTNER}
        ] or list(range(len(self.acc_type)))
        buyer_weights = [{"cp": 4, "tnhh": 3, "mtv": 2}.get(self.acc_info[i][1], 1) for i in buyers]
        position = {s.pk: 0 for s in stages}
        self.opp_account, self.opp_contact, self.opp_span, self.opp_open, self.opp_owner = [], [], [], [], []
        self.first_opp_of: dict[int, int] = {}
        chosen = self.rng.choices(buyers, weights=buyer_weights, k=self.counts["opportunities"])
        for index, account in enumerate(chosen):
            pk = index + 1
            brand, _form, _domain, region = self.acc_info[account]
            stage = self.pick(stage_pick)
            product, low, high = self.pick(self._products)
            amount = math.exp(self.rng.uniform(math.log(low), math.log(high))) * 1_000_000
            amount = int(round(amount / 500_000) * 500_000)
            owner = self.acc_owner[account] if self.chance(0.85) else self.owner(region)
            people = self.contacts_of.get(account, [])
            if stage.kind == Stage.Kind.OPEN:
                created = self.past(365, 3)
                closed = None
                expected = self.today + timedelta(days=self.rng.randint(-20, 100))
            else:
                created = self.past_span(20)
                closed = self.work_between(created + timedelta(days=7), self.now - timedelta(hours=2))
                expected = closed.astimezone(TZ).date()
            name = f"{product} – {brand}"
            competitors = (
                ", ".join(self.rng.sample(N.COMPETITORS, self.rng.randint(1, 2))) if self.chance(0.4) else ""
            )
            contact = self.rng.choice(people) if people and self.chance(0.9) else None
            values = {
                "id": pk,
                "name": name,
                "sort_name": sort_key(name),
                "account_id": account + 1,
                "contact_id": contact,
                "pipeline_id": pipeline.pk,
                "stage_id": stage.pk,
                "status": {Stage.Kind.WON: "won", Stage.Kind.LOST: "lost"}.get(stage.kind, "open"),
                "amount": max(15_000_000, min(2_000_000_000, amount)),
                "currency": "VND",
                "probability": stage.probability,
                "expected_close": expected.isoformat(),
                "closed_at": utc_text(closed),
                "products": product,
                "competitors": competitors,
                "next_step": self.rng.choice(N.NEXT_STEPS) if stage.kind == Stage.Kind.OPEN else "",
                "lost_reason": self.pick(self._lost) if stage.kind == Stage.Kind.LOST else "",
                "stage_position": position[stage.pk],
                "search_text": search_text(name, competitors),
            }
            position[stage.pk] += 1
            self.place(values, owner, created)
            self.first_opp_of.setdefault(account, pk)
            previous = None
            for step, at in self.stage_path(stage, open_stages, created, closed):
                changes.append((pk, previous, step.pk, utc_text(at), owner.pk))
                previous = step.pk
            self.opp_account.append(account)
            self.opp_contact.append(contact)
            self.opp_span.append((created, closed or self.now))
            self.opp_open.append(stage.kind == Stage.Kind.OPEN)
            self.opp_owner.append(owner)
            yield table.row(values)

    # --- leads --------------------------------------------------------------------------------------
    def lead_rows(self, table: Table, tags: list[tuple[int, int]]):
        sources = weighted(LEAD_SOURCE_WEIGHTS)
        statuses = weighted(LEAD_STATUS_WEIGHTS)
        hot_tag = self.tags["Tiềm năng cao"].pk
        contacts = len(self.twins)
        self.lead_owner, self.lead_span, self.lead_open, self.lead_who = [], [], [], []
        for index in range(self.counts["leads"]):
            pk = index + 1
            owner = self.owner()
            region = self.region_of(owner)
            status = self.pick(statuses)
            if self.chance(0.02) and contacts:
                # The same person as a contact again: the duplicate warnings have something to find.
                family, middle, given, salutation, mobile, email = self.rng.choice(self.twins)
            else:
                gender, family, middle, given = self.person(region)
                mobile = self.mobile() if self.chance(0.9) else ""
                email = self.personal_email(family, given) if self.chance(0.6) else ""
                salutation = "chi" if gender == "f" else "anh"
            full_name, sort_name, match_key = self.names(family, middle, given)
            street, ward = self.address(region)
            company = self.company(region, ward.province_id) if self.chance(0.7) else None
            product = self.pick(self._products)[0]
            hot = status in {Lead.Status.QUALIFIED, Lead.Status.CONVERTED}
            rating = self.pick(
                weighted([("hot", 50 if hot else 15), ("warm", 40), ("cold", 10 if hot else 40)])
            )
            created = self.past(SPAN_DAYS if status != Lead.Status.NEW else 45)
            tax_code = company["tax_code"] if company and self.chance(0.4) else ""
            company_name = company["name"] if company else ""
            values = {
                "id": pk,
                "salutation": salutation,
                "family_name": family,
                "middle_name": middle,
                "given_name": given,
                "full_name": full_name,
                "sort_name": sort_name,
                "company": company_name,
                "job_title": self.pick(self._jobs)[0] if company else "",
                "mobile": mobile,
                "email": email,
                "website": f"https://www.{company['domain']}"
                if company and company["domain"] and self.chance(0.5)
                else "",
                "tax_code": tax_code,
                "industry": company["industry"] if company else "",
                "source": self.pick(sources),
                "status": status,
                "rating": rating,
                "estimated_value": self.rng.randint(10, 500) * 1_000_000 if self.chance(0.7) else None,
                "description": self.rng.choice(N.LEAD_NOTES).format(product=product.lower()),
                "street": street if self.chance(0.5) else "",
                "ward_id": ward.pk,
                "province_id": ward.province_id,
                "match_key": match_key,
                "search_text": search_text(full_name, company_name, email, mobile, "", tax_code),
            }
            converted_at = None
            if status == Lead.Status.CONVERTED and self.acc_owner:
                account = self.rng.randrange(len(self.acc_owner))
                people = self.contacts_of.get(account) or [None]
                converted_at = self.work_between(created, self.now)
                values["converted_account_id"] = account + 1
                values["converted_contact_id"] = self.rng.choice(people)
                values["converted_opportunity_id"] = self.first_opp_of.get(account)
                values["converted_at"] = utc_text(converted_at)
            self.place(values, owner, created)
            if rating == "hot" and self.chance(0.5):
                tags.append((pk, hot_tag))
            self.lead_owner.append(owner)
            self.lead_span.append((created, converted_at or self.now))
            self.lead_open.append(status not in {"converted", "unqualified"})
            self.lead_who.append(self.who_text(salutation, given, full_name))
            yield table.row(values)

    # --- activities ---------------------------------------------------------------------------------
    def activity_rows(self, table: Table):
        kinds = weighted(ACTIVITY_KIND_WEIGHTS)
        results = weighted(CALL_RESULT_WEIGHTS)
        priorities = weighted([("normal", 60), ("high", 20), ("low", 20)])
        anchors = weighted(ACTIVITY_ANCHOR_WEIGHTS)
        rng, now = self.rng, self.now
        year_ago, fortnight_ago = now - timedelta(days=365), now - timedelta(days=14)
        n_opp, n_lead, n_con, n_acc = (
            len(self.opp_owner),
            len(self.lead_owner),
            len(self.con_owner),
            len(self.acc_owner),
        )
        for index in range(self.counts["activities"]):
            anchor = self.pick(anchors)
            account = contact = lead = opportunity = None
            who_person = None
            if anchor == "opportunity" and n_opp:
                o = rng.randrange(n_opp)
                opportunity = o + 1
                account, contact = self.opp_account[o], self.opp_contact[o]
                start, end = self.opp_span[o]
                can_plan, owner = self.opp_open[o], self.opp_owner[o]
                who_person = self.con_who[contact - 1] if contact else "khách hàng"
            elif anchor == "lead" and n_lead:
                ld = rng.randrange(n_lead)
                lead = ld + 1
                start, end = self.lead_span[ld]
                can_plan, owner, who_person = self.lead_open[ld], self.lead_owner[ld], self.lead_who[ld]
            elif anchor == "account":
                account = rng.randrange(n_acc)
                start, end, can_plan, owner = self.acc_created[account], now, True, self.acc_owner[account]
                who_person = "khách hàng"
            else:
                c = rng.randrange(n_con)
                contact = c + 1
                account = self.con_account[c] if self.con_account[c] >= 0 else None
                start, end, can_plan = self.con_created[c], now, not self.con_dnc[c]
                owner, who_person = self.con_owner[c], self.con_who[c]
            planned = can_plan and self.chance(0.15)
            kind = self.pick(kinds)
            if planned and kind in {Activity.Kind.EMAIL, Activity.Kind.NOTE}:
                kind = Activity.Kind.TASK
            activity = _Activity(kind)
            if planned:
                moment = self.at_work(-rng.uniform(0, 60))
                if moment <= now:
                    moment = (now + timedelta(hours=rng.randint(1, 8))).replace(
                        minute=0, second=0, microsecond=0
                    )
                created = self.work_between(max(start, fortnight_ago), now)
            else:
                moment = min(self.work_between(max(start, year_ago), min(end, now)), now)
                created = moment
            self.fill(activity, kind, moment, planned, who_person, results)
            if not planned and kind == Activity.Kind.TASK:
                created = moment - timedelta(days=rng.randint(1, 10))
            created = min(created, now)
            occurred = activity.start_at or activity.due_at or activity.done_at or created
            subject = activity.subject
            text = self._subject_text.get(subject)
            if text is None:
                text = self._subject_text[subject] = search_text(subject)
            created_text = utc_text(created)
            values = {
                "id": index + 1,
                "kind": kind,
                "subject": subject,
                "description": activity.description,
                "priority": self.pick(priorities),
                "due_at": utc_text(activity.due_at),
                "start_at": utc_text(activity.start_at),
                "end_at": utc_text(activity.end_at),
                "location": activity.location,
                "remind_at": utc_text(activity.remind_at),
                "reminded_at": utc_text(activity.reminded_at),
                "done": activity.done,
                "done_at": utc_text(activity.done_at),
                "direction": activity.direction,
                "call_duration": activity.call_duration,
                "call_result": activity.call_result,
                "outcome": activity.outcome,
                "account_id": account + 1 if account is not None else None,
                "contact_id": contact,
                "lead_id": lead,
                "opportunity_id": opportunity,
                "occurred_at": utc_text(occurred),
                "search_text": text,
                "owner_id": owner.pk,
                "created_by_id": owner.pk,
                "updated_by_id": owner.pk,
                "team_id": owner.team_id,
                "branch_id": owner.branch_id,
                "created_at": created_text,
                "updated_at": created_text,
            }
            yield table.row(values)

    # --- all ----------------------------------------------------------------------------------------
    def step(self, name: str, started: float) -> None:
        self.timings[name] = round(time.monotonic() - started, 1)
        self.log(f"{name}: {self.timings[name]} s")

    def build(self, *, analyze: bool = True) -> dict:
        """Write the data set into the (freshly migrated, empty) default database; return a summary.

        ``analyze``: VACUUM ANALYZE on PostgreSQL at the end (not possible inside a transaction).
        """
        if Contact.objects.exists() or Account.objects.exists():
            raise RuntimeError("The benchmark data set is built into an empty database.")
        began = started = time.monotonic()
        writer = Writer(log=self.log)
        writer.prepare()
        with transaction.atomic():
            self.ensure_admin_units()
            self.build_users()
            self.load_pipeline()
        self.step("organisation", started)

        tables = {m: Table(m) for m in (Account, Contact, Lead, Opportunity, Activity, StageChange)}
        through = {m: Table(m.tags.through) for m in (Account, Contact, Lead)}
        bulk = [t.name for t in tables.values()] + [t.name for t in through.values()]
        writer.drop_indexes(bulk)

        def tag_rows(model, pairs):
            table = through[model]
            return (
                table.row({"id": i + 1, table.columns[1]: pk, "tag_id": tag})
                for i, (pk, tag) in enumerate(pairs)
            )

        counts = {"users": 0}
        started = time.monotonic()
        with transaction.atomic():
            counts["accounts"] = writer.insert(tables[Account], self.account_rows(tables[Account]))
            writer.insert(through[Account], tag_rows(Account, self.account_tag_rows()))
        contact_tags: list[tuple[int, int]] = []
        with transaction.atomic():
            counts["contacts"] = writer.insert(
                tables[Contact], self.contact_rows(tables[Contact], contact_tags)
            )
            writer.insert(through[Contact], tag_rows(Contact, contact_tags))
        del contact_tags
        changes: list[tuple] = []
        with transaction.atomic():
            counts["opportunities"] = writer.insert(
                tables[Opportunity], self.opportunity_rows(tables[Opportunity], changes)
            )
            change_table = tables[StageChange]
            counts["stage changes"] = writer.insert(
                change_table,
                (
                    change_table.row(
                        {
                            "id": i + 1,
                            "opportunity_id": o,
                            "from_stage_id": f,
                            "to_stage_id": t,
                            "at": at,
                            "by_id": b,
                        }
                    )
                    for i, (o, f, t, at, b) in enumerate(changes)
                ),
            )
        del changes
        lead_tags: list[tuple[int, int]] = []
        with transaction.atomic():
            counts["leads"] = writer.insert(tables[Lead], self.lead_rows(tables[Lead], lead_tags))
            writer.insert(through[Lead], tag_rows(Lead, lead_tags))
        self.step("rows (accounts, contacts, deals, leads)", started)
        started = time.monotonic()
        with transaction.atomic():
            counts["activities"] = writer.insert(tables[Activity], self.activity_rows(tables[Activity]))
        self.step("rows (activities)", started)

        started = time.monotonic()
        writer.create_indexes()
        self.step("indexes", started)
        started = time.monotonic()
        self.finish(list(tables) + [m.tags.through for m in through])
        self.step("derived (last contacted, sequences)", started)
        started = time.monotonic()
        counts["search index"] = search_reindex()
        self.step("search_reindex", started)
        writer.finish()
        if connection.vendor == "postgresql" and analyze:
            started = time.monotonic()
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            self.step("vacuum analyze", started)
        counts["users"] = self.user_count
        return {"counts": counts, "timings": self.timings, "seconds": round(time.monotonic() - began, 1)}

    def finish(self, models_written, *, derive: bool = True) -> None:
        """Columns derived across tables (``derive``), and the id sequences past the ids written.

        Rows copied from a built data set (``transfer``) carry their derived columns already."""
        talked = "('call', 'meeting', 'email')"
        with transaction.atomic(), connection.cursor() as cursor:
            # What the activity services store on the contact: its last call, meeting or email done.
            if not derive:
                pass
            elif connection.vendor == "sqlite":
                cursor.execute(
                    "UPDATE crm_contact SET last_contacted_at = (SELECT max(a.occurred_at) "
                    "FROM crm_activity a "
                    f"WHERE a.contact_id = crm_contact.id AND a.done AND a.kind IN {talked}) "
                    "WHERE id IN (SELECT contact_id FROM crm_activity WHERE contact_id IS NOT NULL "
                    f"AND done AND kind IN {talked})"
                )
            else:
                cursor.execute(
                    "UPDATE crm_contact c SET last_contacted_at = t.at FROM (SELECT contact_id, "
                    "max(occurred_at) AS at FROM crm_activity WHERE contact_id IS NOT NULL AND done "
                    f"AND kind IN {talked} GROUP BY contact_id) t WHERE c.id = t.contact_id"
                )
            if connection.vendor == "postgresql":
                for sql in connection.ops.sequence_reset_sql(no_style(), models_written):
                    cursor.execute(sql)


def build_dataset(factor: float, log=None) -> dict:
    """Build the data set of size ``factor`` into the default database (migrated, empty)."""
    return BenchBuilder(factor=factor, log=log).build()


def bench_password_hash() -> str:  # pragma: no cover - convenience for scripts
    return make_password(BENCH_PASSWORD)
