"""Build the demo company "Công ty TNHH Sen Việt" and a year of its CRM records.

Sen Việt sells office equipment and IT solutions from a head office in Hà Nội and branches in
Hà Nội (with the Cầu Giấy front office), TP. Hồ Chí Minh and Đà Nẵng. Its customers live in the
regions of the branches that own them, with real provinces and wards (core.Province/Ward).

Every choice comes from one ``random.Random(seed)``, so a seed always gives the same company.
Dates are relative to the moment of loading (a demo is always "current").

Speed: rows are written with ``bulk_create``, which skips ``save()`` and ``clean()``. The columns
those would derive are therefore computed here the same way: ``search_text``
(``refresh_search()``), ``sort_name``, ``full_name``, activity ``occurred_at``, opportunity
``status``/``closed_at``/``probability`` from the stage, and ``team``/``branch`` from the owner.
No audit entries are written for demo rows.
"""

import math
import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import phonenumbers
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from sencrm.common.models import Action, DataScope
from sencrm.common.text import fold, join_name, name_sort_key, sort_key
from sencrm.core.data.admin_units import load_admin_units
from sencrm.core.models import MODULES, Branch, Province, Role, Tag, Team, User, Ward
from sencrm.core.services.organisation import branch_create
from sencrm.crm.demo import names as N
from sencrm.crm.models import Account, Activity, Contact, Lead, Opportunity, Stage, StageChange
from sencrm.crm.models.matching import company_match_key, person_match_key
from sencrm.crm.services.opportunities import pipeline_create_default

#: The password of every demo user (printed by ``sencrm up``). Change it before real use.
DEMO_PASSWORD = "SenViet@2026"
DEFAULT_SEED = 2026
#: Rows at ``--size 1``; other sizes scale every count (users and the organisation stay the same).
BASE_COUNTS = {"accounts": 2000, "contacts": 5000, "leads": 1000, "opportunities": 800, "activities": 10000}
#: Who to suggest logging in as (``sencrm up`` prints these).
ADMIN_USERNAME = "admin"
SALES_USERNAME = "an.nguyen"

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
BATCH = 500

# --- the organisation -----------------------------------------------------------------------------
# (key, name, code, parent key, street address, region of its customers)
BRANCHES = [
    ("hq", "Trụ sở chính", "HQ", None, "Số 18 Láng Hạ, Phường Giảng Võ, TP. Hà Nội", "north"),
    ("hn", "Chi nhánh Hà Nội", "HN", "hq", "Số 25 Kim Mã, Phường Giảng Võ, TP. Hà Nội", "north"),
    ("cg", "Phòng giao dịch Cầu Giấy", "CG", "hn", "Số 88 Xuân Thủy, Phường Cầu Giấy, TP. Hà Nội", "north"),
    ("hcm", "Chi nhánh TP. Hồ Chí Minh", "HCM", "hq", "Số 25 Lê Lợi, Phường Sài Gòn, TP. HCM", "south"),
    ("dn", "Chi nhánh Đà Nẵng", "DN", "hq", "Số 120 Bạch Đằng, Phường Hải Châu, TP. Đà Nẵng", "central"),
]  # fmt: skip
# (key, name, branch key)
TEAMS = [
    ("hn", "Kinh doanh Hà Nội", "hn"),
    ("cg", "Kinh doanh Cầu Giấy", "cg"),
    ("sg", "Kinh doanh Sài Gòn", "hcm"),
    ("dn", "Kinh doanh Đà Nẵng", "dn"),
]
_FULL = "full"
_VIEW = "view"
# (key, name, description, data scope, rights, administrator)
ROLES = [
    ("admin", "Quản trị hệ thống", "Quản lý người dùng, cài đặt; xem mọi thứ.", DataScope.ALL, _FULL, True),
    ("director", "Giám đốc", "Xem và quản lý dữ liệu của toàn công ty.", DataScope.ALL, _FULL, False),
    ("branch", "Trưởng chi nhánh", "Chi nhánh mình và đơn vị trực thuộc.", DataScope.BRANCH, _FULL, False),
    ("team", "Trưởng nhóm", "Dữ liệu của nhóm mình.", DataScope.TEAM, _FULL, False),
    ("rep", "Nhân viên kinh doanh", "Chỉ dữ liệu mình phụ trách.", DataScope.OWN, _FULL, False),
    ("viewer", "Nhân viên xem", "Chỉ xem dữ liệu của chi nhánh, không sửa.", DataScope.BRANCH, _VIEW, False),
]  # fmt: skip
# (username, họ, tên đệm, tên, role, branch, team, job title, share of the records they own)
USERS = [
    ("admin", "Trần", "Quốc", "Bảo", "admin", "hq", None, "Quản trị hệ thống", 0),
    ("giamdoc", "Nguyễn", "Văn", "Hùng", "director", "hq", None, "Giám đốc kinh doanh", 1),
    ("ha.le", "Lê", "Thị Thu", "Hà", "branch", "hn", None, "Trưởng chi nhánh Hà Nội", 3),
    ("tuan.pham", "Phạm", "Minh", "Tuấn", "branch", "hcm", None, "Trưởng chi nhánh TP. Hồ Chí Minh", 3),
    ("long.vo", "Võ", "Hoàng", "Long", "branch", "dn", "dn", "Trưởng chi nhánh Đà Nẵng", 4),
    ("lan.nguyen", "Nguyễn", "Ngọc", "Lan", "team", "hn", "hn", "Trưởng nhóm kinh doanh", 7),
    ("thang.huynh", "Huỳnh", "Đức", "Thắng", "team", "hcm", "sg", "Trưởng nhóm kinh doanh", 7),
    ("an.nguyen", "Nguyễn", "Văn", "An", "rep", "hn", "hn", "Nhân viên kinh doanh", 18),
    ("trang.do", "Đỗ", "Thùy", "Trang", "rep", "hn", "hn", "Nhân viên kinh doanh", 11),
    ("huy.bui", "Bùi", "Quang", "Huy", "rep", "cg", "cg", "Nhân viên kinh doanh", 9),
    ("duyen.tran", "Trần", "Thị Mỹ", "Duyên", "rep", "hcm", "sg", "Nhân viên kinh doanh", 16),
    ("nam.le", "Lê", "Hoàng", "Nam", "rep", "hcm", "sg", "Nhân viên kinh doanh", 10),
    ("linh.dang", "Đặng", "Khánh", "Linh", "rep", "dn", "dn", "Nhân viên kinh doanh", 8),
    ("mai.hoang", "Hoàng", "Thị", "Mai", "viewer", "hn", None, "Trợ lý kinh doanh", 0),
]  # fmt: skip
TEAM_LEADERS = {"hn": "lan.nguyen", "sg": "thang.huynh", "dn": "long.vo", "cg": "huy.bui"}
TAGS = [
    ("VIP", "red"), ("Khách sỉ", "blue"), ("Quà Tết", "orange"), ("Khách lẻ", "green"),
    ("Đại lý", "purple"), ("Tiềm năng cao", "yellow"),
]  # fmt: skip

MOBILE_PREFIXES = [
    "86", "96", "97", "98", "32", "33", "34", "35", "36", "37", "38", "39",  # Viettel
    "88", "91", "94", "81", "82", "83", "84", "85",  # VinaPhone
    "89", "90", "93", "70", "76", "77", "78", "79",  # MobiFone
    "92", "56", "58",  # Vietnamobile
]  # fmt: skip
_MST_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


@dataclass
class DemoResult:
    seed: int
    size: float
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def demo_counts(size: float) -> dict[str, int]:
    """Rows of each kind for ``size`` (1 = the standard demo company)."""
    return {kind: max(1, round(n * size)) for kind, n in BASE_COUNTS.items()}


def tax_check_digit(first9: str) -> int | None:
    """Check digit of a 10-digit tax code (VIETNAM.md §6); None when no code has these digits."""
    remainder = sum(int(d) * w for d, w in zip(first9, _MST_WEIGHTS, strict=True)) % 11
    return None if remainder == 0 else 10 - remainder


# Shares of the demo's (and the benchmark's) records by type, source, status and kind.
ACCOUNT_TYPE_WEIGHTS = [
    (Account.Type.CUSTOMER, 82),
    (Account.Type.PARTNER, 7),
    (Account.Type.SUPPLIER, 6),
    (Account.Type.COMPETITOR, 3),
    (Account.Type.INVESTOR, 2),
]
LEAD_SOURCE_WEIGHTS = [
    (Lead.Source.WEBSITE, 20),
    (Lead.Source.SOCIAL, 20),
    (Lead.Source.REFERRAL, 15),
    (Lead.Source.PHONE, 10),
    (Lead.Source.CAMPAIGN, 10),
    (Lead.Source.EVENT, 8),
    (Lead.Source.EMAIL, 5),
    (Lead.Source.PARTNER, 5),
    (Lead.Source.WALK_IN, 4),
    (Lead.Source.OTHER, 3),
]
LEAD_STATUS_WEIGHTS = [
    (Lead.Status.NEW, 30),
    (Lead.Status.CONTACTED, 28),
    (Lead.Status.QUALIFIED, 15),
    (Lead.Status.UNQUALIFIED, 15),
    (Lead.Status.CONVERTED, 12),
]
ACTIVITY_KIND_WEIGHTS = [
    (Activity.Kind.CALL, 35),
    (Activity.Kind.EMAIL, 20),
    (Activity.Kind.TASK, 20),
    (Activity.Kind.MEETING, 15),
    (Activity.Kind.NOTE, 10),
]
CALL_RESULT_WEIGHTS = [("reached", 60), ("no_answer", 20), ("busy", 8), ("voicemail", 8), ("wrong_number", 4)]
ACTIVITY_ANCHOR_WEIGHTS = [("opportunity", 35), ("contact", 30), ("account", 15), ("lead", 20)]


def weighted(pairs):
    """(values, cumulative weights) for ``rng.choices``."""
    values = [p[0] for p in pairs]
    cum, total = [], 0.0
    for p in pairs:
        total += p[-1]
        cum.append(total)
    return values, cum


def _short_province(name: str) -> str:
    for prefix in ("Thành phố ", "Tỉnh "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _slug(text: str) -> str:
    return "".join(ch for ch in fold(text) if ch.isalnum())


class DemoBuilder:
    """Generates the demo organisation and records; ``build()`` writes them in one transaction."""

    def __init__(self, *, seed: int = DEFAULT_SEED, size: float = 1.0, log=None):
        self.rng = random.Random(seed)
        self.seed, self.size = seed, size
        self.counts = demo_counts(size)
        self.log = log or (lambda message: None)
        self.now = timezone.now()
        self.today = timezone.localtime(self.now, TZ).date()
        self.used_phones: set[str] = set()
        self.used_tax_codes: set[str] = set()
        self.used_account_names: set[str] = set()
        self._surnames = {region: weighted(pairs) for region, pairs in N.SURNAMES.items()}
        self._middles = {g: weighted(pairs) for g, pairs in N.MIDDLE_NAMES.items()}
        self._industries = weighted([(i[:2], i[2]) for i in N.INDUSTRIES])
        self._regions = {region: weighted(pairs) for region, pairs in N.REGIONS.items()}
        self._mail_domains = weighted(N.PERSONAL_MAIL_DOMAINS)
        self._jobs = weighted([(j[:2], j[2]) for j in N.JOB_TITLES])
        self._products = weighted([(p[:3], p[3]) for p in N.PRODUCTS])
        self._lost = weighted(N.LOST_REASONS)

    # --- small random helpers ---------------------------------------------------------------------
    def pick(self, weighted):
        values, cum = weighted
        return self.rng.choices(values, cum_weights=cum)[0]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def at_work(self, days_ago: float) -> datetime:
        """A working-hours moment ``days_ago`` days before today (negative: in the future)."""
        day = self.today - timedelta(days=math.floor(days_ago))
        if day.weekday() == 6:  # Sunday: most Vietnamese offices work Saturday morning, not Sunday
            day -= timedelta(days=1)
        moment = dtime(self.rng.randint(8, 17), self.rng.choice((0, 15, 30, 45)))
        return datetime.combine(day, moment, tzinfo=TZ)

    def past(self, max_days: float, min_days: float = 0) -> datetime:
        moment = self.at_work(self.rng.uniform(min_days, max_days))
        if moment > self.now:
            moment = self.now - timedelta(minutes=self.rng.randint(5, 120))
        return moment

    def between(self, start: datetime, end: datetime) -> datetime:
        if end <= start:
            return start
        moment = start + (end - start) * self.rng.random()
        return moment.replace(second=0, microsecond=0)

    def work_between(self, start: datetime, end: datetime) -> datetime:
        """A working-hours moment between ``start`` and ``end`` (when the span allows one)."""
        moment = self.between(start, end)
        day = timezone.localtime(moment, TZ).date()
        if day.weekday() == 6:
            day -= timedelta(days=1)
        at = datetime.combine(
            day, dtime(self.rng.randint(8, 17), self.rng.choice((0, 15, 30, 45))), tzinfo=TZ
        )
        return at if start <= at <= end else moment

    # --- identities -------------------------------------------------------------------------------
    def person(self, region: str) -> tuple[str, str, str, str]:
        """(gender, họ, tên đệm, tên) drawn with the surname weights of VIETNAM.md §3."""
        gender = "f" if self.chance(0.5) else "m"
        return (
            gender,
            self.pick(self._surnames[region]),
            self.pick(self._middles[gender]),
            self.rng.choice(N.GIVEN_NAMES[gender]),
        )

    def mobile(self) -> str:
        """A new, valid Vietnamese mobile number in E.164."""
        while True:
            number = "+84" + self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**7):07d}"
            if number not in self.used_phones and phonenumbers.is_valid_number(phonenumbers.parse(number)):
                self.used_phones.add(number)
                return number

    def landline(self, province_code: int) -> str:
        area = N.AREA_CODES.get(province_code)
        if area is None:
            return self.mobile()
        code, digits = area
        while True:
            number = (
                f"+84{code}{self.rng.choice('36')}{self.rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"
            )
            if number not in self.used_phones and phonenumbers.is_valid_number(phonenumbers.parse(number)):
                self.used_phones.add(number)
                return number

    def tax_code(self, province_code: int, region: str) -> str:
        prefix = N.TAX_PREFIX.get(province_code) or self.rng.choice(N.TAX_PREFIX_REGION[region])
        while True:
            first9 = prefix + f"{self.rng.randrange(10**7):07d}"
            check = tax_check_digit(first9)
            code = f"{first9}{check}"
            if check is not None and code not in self.used_tax_codes:
                self.used_tax_codes.add(code)
                return code

    def personal_id(self, region: str) -> str:
        """A 12-digit CCCD, the tax code of household businesses since 1/7/2025 (no check digit)."""
        while True:
            code = (
                self.rng.choice(N.CCCD_PREFIX[region])
                + self.rng.choice("0123")
                + f"{self.rng.randint(60, 99):02d}"
                + f"{self.rng.randrange(10**6):06d}"
            )
            if code not in self.used_tax_codes:
                self.used_tax_codes.add(code)
                return code

    def personal_email(self, family: str, given: str) -> str:
        pattern = self.rng.randrange(4)
        g, f = _slug(given), _slug(family)
        local = [
            f"{g}{f}",
            f"{g}.{f}",
            f"{f}{g}{self.rng.randint(1970, 2005)}",
            f"{g}{self.rng.randint(1, 999)}",
        ]
        return f"{local[pattern]}@{self.pick(self._mail_domains)}"

    def address(self, region: str) -> tuple[str, Ward]:
        province = self.pick(self._regions[region])
        ward = self.rng.choice(self.wards[province])
        if ward.kind == "phường":
            street = f"Số {self.rng.randint(1, 350)} {self.rng.choice(N.STREETS)}"
        else:
            street = self.rng.choice(("Thôn ", "Ấp ", "Xóm ")) + str(self.rng.randint(1, 12))
        return street, ward

    # --- organisation -----------------------------------------------------------------------------
    def build_organisation(self) -> None:
        """Branches, teams, roles and users; reuses those a previous demo load created (--force)."""
        self.branches: dict[str, Branch] = {}
        for key, name, code, parent, address, _region in BRANCHES:
            branch = Branch.objects.filter(code=code, name=name).first()
            if branch is None:
                parent_branch = self.branches[parent] if parent else None
                branch = branch_create(name=name, code=code, parent=parent_branch, address=address)
            self.branches[key] = branch
        self.branch_region = {self.branches[b[0]].pk: b[5] for b in BRANCHES}

        self.teams: dict[str, Team] = {}
        for key, name, branch_key in TEAMS:
            self.teams[key], _ = Team.objects.get_or_create(name=name, branch=self.branches[branch_key])

        full = Role.all_rights()
        view_only = {entity: [Action.VIEW.value] for entity in MODULES}
        roles = {}
        for key, name, description, scope, rights, is_admin in ROLES:
            roles[key], _ = Role.objects.get_or_create(
                name=name,
                defaults={
                    "description": description,
                    "scope": scope,
                    "rights": full if rights == _FULL else view_only,
                    "is_admin": is_admin,
                },
            )

        # One Argon2 hash for all demo users: they share the password, and each hash costs ~0.3 s.
        password = make_password(DEMO_PASSWORD)
        self.users: dict[str, User] = {}
        owner_weights = []
        for username, family, middle, given, role, branch, team, job, weight in USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create(
                    username=username,
                    password=password,
                    last_name=join_name(family, middle, ""),
                    first_name=given,
                    email=f"{username}@senviet.vn",
                    phone=self.mobile(),
                    job_title=job,
                    branch=self.branches[branch],
                    team=self.teams[team] if team else None,
                    role=roles[role],
                    is_staff=username == ADMIN_USERNAME,
                    is_superuser=username == ADMIN_USERNAME,
                )
            self.users[username] = user
            if weight:
                owner_weights.append((user, weight))
        for team_key, username in TEAM_LEADERS.items():
            team = self.teams[team_key]
            if team.leader_id is None:
                team.leader = self.users[username]
                team.save(update_fields=["leader"])
        self._owners = weighted(owner_weights)
        self.owners_by_region: dict[str, list] = {}
        for user, weight in owner_weights:
            self.owners_by_region.setdefault(self.region_of(user), []).append((user, weight))
        self._owners_by_region = {r: weighted(pairs) for r, pairs in self.owners_by_region.items()}

        self.tags = {}
        for name, color in TAGS:
            self.tags[name] = Tag.objects.filter(slug=fold(name).strip()).first() or Tag.objects.create(
                name=name, color=color
            )

    def region_of(self, user: User) -> str:
        return self.branch_region.get(user.branch_id, "north")

    def owner(self, region: str | None = None) -> User:
        return self.pick(self._owners_by_region[region] if region else self._owners)

    @staticmethod
    def place(record, owner: User, at: datetime) -> None:
        """The owner's team and branch, as record_create() does; created by the owner at ``at``."""
        record.owner = owner
        record.team_id = owner.team_id
        record.branch_id = owner.branch_id
        record.created_by = record.updated_by = owner
        record.created_at = at

    # --- accounts ---------------------------------------------------------------------------------
    def brand(self) -> str:
        if self.chance(0.2):
            return self.rng.choice(N.BRAND_WHOLE)
        first, second = self.rng.choice(N.BRAND_FIRST), self.rng.choice(N.BRAND_SECOND)
        return f"{first} {second}" if first != second else f"{first} Việt"

    def company(self, region: str, province_code: int) -> dict:
        """Name, kind, industry, tax code, domain and size of a made-up Vietnamese business."""
        roll = self.rng.random()
        brand = self.brand()
        for _ in range(10):
            if roll < 0.45:
                words, industry = self.pick(self._industries)
                form, name = "tnhh", f"Công ty TNHH {words} {brand}"
            elif roll < 0.70:
                words, industry = self.pick(self._industries)
                form, name = "cp", f"Công ty Cổ phần {words} {brand}"
            elif roll < 0.75:
                words, industry = self.pick(self._industries)
                form, name = "mtv", f"Công ty TNHH MTV {words} {brand}"
            elif roll < 0.90:
                goods, industry = self.rng.choice(N.SHOPS)
                form, name = "shop", f"Cửa hàng {goods} {brand}"
            elif roll < 0.95:
                _g, family, middle, given = self.person(region)
                goods, industry = self.rng.choice(N.SHOPS)
                form, name = "household", f"Hộ kinh doanh {join_name(family, middle, given)}"
            else:
                words, industry = self.pick(self._industries)
                form, name = "dntn", f"Doanh nghiệp tư nhân {words} {brand}"
            if name not in self.used_account_names:
                break
            brand = self.brand()
        self.used_account_names.add(name)
        small = form in {"shop", "household"}
        if form == "household" or (form == "shop" and self.chance(0.6)):
            tax = self.personal_id(region)
        elif small and self.chance(0.5):
            tax = ""
        else:
            tax = self.tax_code(province_code, region)
            if form == "cp" and self.chance(0.05):
                tax += f"-{self.rng.randint(1, 5):03d}"  # a branch of the company
        employees = (
            self.rng.randint(1, 12) if small else int(math.exp(self.rng.uniform(math.log(5), math.log(3000))))
        )
        domain = "" if small else _slug(brand) + self.rng.choice((".vn", ".com.vn", ".com"))
        return {
            "name": name,
            "form": form,
            "brand": brand,
            "industry": industry,
            "tax_code": tax,
            "domain": domain,
            "employees": employees,
            "annual_revenue": employees * self.rng.randint(300, 1500) * 1_000_000,
        }

    def build_accounts(self) -> list[Account]:
        accounts = []
        types = weighted(ACCOUNT_TYPE_WEIGHTS)
        self.account_info: dict[int, dict] = {}
        for index in range(self.counts["accounts"]):
            owner = self.owner()
            region = self.region_of(owner)
            street, ward = self.address(region)
            info = self.company(region, ward.province_id)
            account = Account(
                name=info["name"],
                type=self.pick(types) if info["form"] not in {"shop", "household"} else Account.Type.CUSTOMER,
                industry=info["industry"],
                tax_code=info["tax_code"],
                phone=self.landline(ward.province_id) if self.chance(0.7) else self.mobile(),
                phone2=self.mobile() if self.chance(0.25) else "",
                email=f"{self.rng.choice(N.ACCOUNT_EMAIL_USERS)}@{info['domain']}"
                if info["domain"]
                else self.personal_email("cuahang", info["brand"]),
                website=f"https://www.{info['domain']}" if info["domain"] and self.chance(0.8) else "",
                employees=info["employees"],
                annual_revenue=info["annual_revenue"] if self.chance(0.7) else None,
                street=street,
                ward=ward,
                province_id=ward.province_id,
            )
            self.place(account, owner, self.past(900, 20))
            account.sort_name = sort_key(account.name)
            account.match_key = company_match_key(account.name)
            account.refresh_search()
            accounts.append(account)
            self.account_info[index] = {**info, "region": region}
        Account.objects.bulk_create(accounts, batch_size=BATCH)

        # A few group structures: branches and subsidiaries under a bigger company.
        children = []
        for index, account in enumerate(accounts):
            if index and self.chance(0.03):
                account.parent = accounts[self.rng.randrange(index)]
                children.append(account)
        Account.objects.bulk_update(children, ["parent"], batch_size=BATCH)
        return accounts

    # --- contacts ---------------------------------------------------------------------------------
    def make_contact(self, account: Account | None, info: dict | None, region: str) -> Contact:
        gender, family, middle, given = self.person(region)
        age = self.rng.randint(23, 65)
        birthday = None
        if self.chance(0.6):
            birthday = date(self.today.year - age, self.rng.randint(1, 12), self.rng.randint(1, 28))
        if self.chance(0.9):
            salutation = (
                ("ba" if gender == "f" else "ong") if age >= 50 else ("chi" if gender == "f" else "anh")
            )
        else:
            salutation = ""
        if account is not None:
            owner = account.owner if self.chance(0.9) else self.owner(region)
            job, department = self.pick(self._jobs)
            if info["form"] in {"shop", "household"}:
                job, department = self.rng.choice(("Chủ cửa hàng", "Quản lý cửa hàng")), ""
            email = (
                f"{_slug(given)}.{_slug(family)}@{info['domain']}"
                if info["domain"]
                else self.personal_email(family, given)
            )
            street, ward = ("", None) if self.chance(0.8) else self.address(region)
        else:
            owner = self.owner(region)
            job, department = "", ""
            email = self.personal_email(family, given) if self.chance(0.7) else ""
            street, ward = self.address(region)
        contact = Contact(
            salutation=salutation,
            family_name=family,
            middle_name=middle,
            given_name=given,
            full_name=join_name(family, middle, given),
            account=account,
            job_title=job,
            department=department,
            mobile=self.mobile() if self.chance(0.92) else "",
            phone=account.phone if account is not None and self.chance(0.3) else "",
            email=email,
            birthday=birthday,
            preferred_channel=self.pick(self._channels),
            preferred_time=self.pick(self._times),
            consent=self.consent(),
            do_not_contact=self.chance(0.02),
            street=street,
            ward=ward,
            province_id=ward.province_id if ward else None,
        )
        since = account.created_at if account is not None else self.now - timedelta(days=720)
        self.place(contact, owner, self.work_between(since, self.now - timedelta(days=1)))
        contact.sort_name = name_sort_key(family, middle, given)
        contact.match_key = person_match_key(family, given)
        contact.refresh_search()
        return contact

    def consent(self) -> dict:
        """Marketing consent per channel with date and source, for about 40% of people (VIETNAM.md §7)."""
        if not self.chance(0.4):
            return {}
        result = {}
        for channel in self.rng.sample(("email", "zalo", "sms", "phone"), self.rng.randint(1, 3)):
            at = self.past(540).date().isoformat()
            granted = not self.chance(0.1)
            result[channel] = {
                "granted": granted,
                "at": at,
                "source": self.rng.choice(
                    (
                        "Biểu mẫu website",
                        "Phiếu đăng ký tại hội chợ",
                        "Cuộc gọi ghi âm",
                        "Zalo OA",
                        "Hợp đồng",
                    )
                )
                if granted
                else "Khách yêu cầu ngừng nhận tin",
            }
        return result

    def build_contacts(self, accounts: list[Account]) -> list[Contact]:
        self._channels = weighted([("zalo", 35), ("phone", 30), ("email", 20), ("sms", 5), ("", 10)])
        self._times = weighted(
            [("morning", 30), ("afternoon", 30), ("noon", 5), ("evening", 10), ("any", 10), ("", 15)]
        )
        total = self.counts["contacts"]
        consumers = round(total * 0.2)
        at_accounts = total - consumers
        # Every account gets a first contact; bigger companies get more of the rest.
        weights = [
            {"cp": 4, "tnhh": 2, "mtv": 2, "dntn": 1.5}.get(self.account_info[i]["form"], 0.5)
            for i in range(len(accounts))
        ]
        picks = list(range(min(at_accounts, len(accounts))))
        picks += self.rng.choices(range(len(accounts)), weights=weights, k=at_accounts - len(picks))
        contacts = []
        self.contacts_of: dict[int, list[Contact]] = {}
        for index in picks:
            info = self.account_info[index]
            contact = self.make_contact(accounts[index], info, info["region"])
            contacts.append(contact)
            self.contacts_of.setdefault(index, []).append(contact)
        for _ in range(consumers):
            region = self.rng.choice(("north", "north", "south", "south", "central"))
            contacts.append(self.make_contact(None, None, region))
        Contact.objects.bulk_create(contacts, batch_size=BATCH)
        self.consumers = contacts[at_accounts:]
        return contacts

    # --- leads ------------------------------------------------------------------------------------
    def build_leads(self, accounts: list[Account], contacts: list[Contact]) -> list[Lead]:
        sources = weighted(LEAD_SOURCE_WEIGHTS)
        statuses = weighted(LEAD_STATUS_WEIGHTS)
        leads = []
        for _ in range(self.counts["leads"]):
            owner = self.owner()
            region = self.region_of(owner)
            status = self.pick(statuses)
            duplicate = self.chance(0.02) and contacts
            if duplicate:
                # The same person again, e.g. from a web form: the dedupe warnings have something to find.
                c = self.rng.choice(contacts)
                gender, family, middle, given = "", c.family_name, c.middle_name, c.given_name
                mobile, email, salutation = c.mobile, c.email, c.salutation
            else:
                gender, family, middle, given = self.person(region)
                mobile = self.mobile() if self.chance(0.9) else ""
                email = self.personal_email(family, given) if self.chance(0.6) else ""
                salutation = "chi" if gender == "f" else "anh"
            street, ward = self.address(region)
            company = self.company(region, ward.province_id) if self.chance(0.7) else None
            product = self.pick(self._products)[0]
            hot = status in {Lead.Status.QUALIFIED, Lead.Status.CONVERTED}
            rating = self.pick(
                weighted([("hot", 50 if hot else 15), ("warm", 40), ("cold", 10 if hot else 40)])
            )
            created = self.past(365 if status != Lead.Status.NEW else 45)
            lead = Lead(
                salutation=salutation,
                family_name=family,
                middle_name=middle,
                given_name=given,
                full_name=join_name(family, middle, given),
                company=company["name"] if company else "",
                job_title=self.pick(self._jobs)[0] if company else "",
                mobile=mobile,
                email=email,
                website=f"https://www.{company['domain']}"
                if company and company["domain"] and self.chance(0.5)
                else "",
                tax_code=company["tax_code"] if company and self.chance(0.4) else "",
                industry=company["industry"] if company else "",
                source=self.pick(sources),
                status=status,
                rating=rating,
                estimated_value=self.rng.randint(10, 500) * 1_000_000 if self.chance(0.7) else None,
                description=self.rng.choice(N.LEAD_NOTES).format(product=product.lower()),
                street=street if self.chance(0.5) else "",
                ward=ward,
                province_id=ward.province_id,
            )
            if status == Lead.Status.CONVERTED:
                index = self.rng.randrange(len(accounts))
                lead.converted_account = accounts[index]
                people = self.contacts_of.get(index) or [None]
                lead.converted_contact = self.rng.choice(people)
                lead.converted_at = self.work_between(created, self.now)
                self.converted.append((lead, index))
            self.place(lead, owner, created)
            lead.sort_name = name_sort_key(family, middle, given or lead.company)
            lead.match_key = person_match_key(family, given) if given else company_match_key(lead.company)
            lead.refresh_search()
            leads.append(lead)
        Lead.objects.bulk_create(leads, batch_size=BATCH)
        self.tag_rows(
            Lead, [lead for lead in leads if lead.rating == "hot" and self.chance(0.5)], "Tiềm năng cao"
        )
        return leads

    # --- opportunities ----------------------------------------------------------------------------
    def build_opportunities(self, accounts: list[Account]) -> list[Opportunity]:
        pipeline = pipeline_create_default()
        stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))
        open_stages = [s for s in stages if s.kind == Stage.Kind.OPEN]
        won = next(s for s in stages if s.kind == Stage.Kind.WON)
        lost = next(s for s in stages if s.kind == Stage.Kind.LOST)
        # A funnel: fewer deals in each later open stage; about a quarter won and a fifth lost.
        stage_weights = [(s, w) for s, w in zip(open_stages, (14, 13, 11, 9, 8), strict=False)]
        stage_pick = weighted([*stage_weights, (won, 25), (lost, 20)])
        buyers = [
            i for i, a in enumerate(accounts) if a.type in {Account.Type.CUSTOMER, Account.Type.PARTNER}
        ] or list(range(len(accounts)))
        buyer_weights = [{"cp": 4, "tnhh": 3, "mtv": 2}.get(self.account_info[i]["form"], 1) for i in buyers]
        position = {s.pk: 0 for s in stages}
        opportunities, self.histories = [], []
        for index in self.rng.choices(buyers, weights=buyer_weights, k=self.counts["opportunities"]):
            account = accounts[index]
            info = self.account_info[index]
            stage = self.pick(stage_pick)
            product, low, high = self.pick(self._products)
            amount = math.exp(self.rng.uniform(math.log(low), math.log(high))) * 1_000_000
            amount = int(round(amount / 500_000) * 500_000)
            owner = account.owner if self.chance(0.85) else self.owner(info["region"])
            people = self.contacts_of.get(index, [])
            if stage.kind == Stage.Kind.OPEN:
                created = self.past(180, 3)
                closed = None
                expected = self.today + timedelta(days=self.rng.randint(-20, 100))
            else:
                created = self.past(365, 20)
                closed = self.work_between(created + timedelta(days=7), self.now - timedelta(hours=2))
                expected = timezone.localtime(closed, TZ).date()
            opportunity = Opportunity(
                name=f"{product} – {info['brand']}",
                account=account,
                contact=self.rng.choice(people) if people and self.chance(0.9) else None,
                pipeline=pipeline,
                stage=stage,
                status={Stage.Kind.WON: "won", Stage.Kind.LOST: "lost"}.get(stage.kind, "open"),
                amount=max(15_000_000, min(2_000_000_000, amount)),
                probability=stage.probability,
                expected_close=expected,
                closed_at=closed,
                products=product,
                competitors=", ".join(self.rng.sample(N.COMPETITORS, self.rng.randint(1, 2)))
                if self.chance(0.4)
                else "",
                next_step=self.rng.choice(N.NEXT_STEPS) if stage.kind == Stage.Kind.OPEN else "",
                lost_reason=self.pick(self._lost) if stage.kind == Stage.Kind.LOST else "",
                stage_position=position[stage.pk],
            )
            position[stage.pk] += 1
            self.place(opportunity, owner, created)
            opportunity.sort_name = sort_key(opportunity.name)
            opportunity.refresh_search()
            opportunities.append(opportunity)
            self.histories.append(self.stage_path(stage, open_stages, created, closed))
        Opportunity.objects.bulk_create(opportunities, batch_size=BATCH)

        changes = []
        for opportunity, path in zip(opportunities, self.histories, strict=True):
            previous = None
            for stage, at in path:
                changes.append(
                    StageChange(
                        opportunity=opportunity,
                        from_stage=previous,
                        to_stage=stage,
                        at=at,
                        by=opportunity.owner,
                    )
                )
                previous = stage
        StageChange.objects.bulk_create(changes, batch_size=BATCH)
        self.counts["stage changes"] = len(changes)
        self.tag_rows(
            Opportunity, [o for o in opportunities if o.products == "Quà Tết doanh nghiệp"], "Quà Tết"
        )
        return opportunities

    def stage_path(self, stage: Stage, open_stages: list[Stage], created: datetime, closed: datetime | None):
        """The stages a deal went through to reach ``stage``, with when it entered each."""
        if stage.kind == Stage.Kind.OPEN:
            path = open_stages[: open_stages.index(stage) + 1]
            end = self.now
        else:
            reached = (
                self.rng.randint(1, len(open_stages))
                if stage.kind == Stage.Kind.WON
                else self.rng.randint(1, len(open_stages) - 1)
            )
            path = [*open_stages[:reached], stage]
            end = closed
        moments = sorted(self.work_between(created, end) for _ in path[1:])
        if stage.kind != Stage.Kind.OPEN and moments:
            moments[-1] = closed
        return list(zip(path, [created, *moments], strict=True))

    # --- activities -------------------------------------------------------------------------------
    def build_activities(self, accounts, contacts, leads, opportunities) -> list[Activity]:
        kinds = weighted(ACTIVITY_KIND_WEIGHTS)
        results = weighted(CALL_RESULT_WEIGHTS)
        anchors = weighted(ACTIVITY_ANCHOR_WEIGHTS)
        open_leads = {lead.pk for lead in leads if lead.status not in {"converted", "unqualified"}}
        activities = []
        last_contacted: dict[int, datetime] = {}
        for _ in range(self.counts["activities"]):
            anchor = self.pick(anchors)
            account = contact = lead = opportunity = None
            if anchor == "opportunity" and opportunities:
                opportunity = self.rng.choice(opportunities)
                account, contact = opportunity.account, opportunity.contact
                start, end = opportunity.created_at, opportunity.closed_at or self.now
                can_plan = opportunity.status == "open"
            elif anchor == "lead" and leads:
                lead = self.rng.choice(leads)
                start, end = lead.created_at, lead.converted_at or self.now
                can_plan = lead.pk in open_leads
            elif anchor == "account":
                account = self.rng.choice(accounts)
                start, end, can_plan = account.created_at, self.now, True
            else:
                contact = self.rng.choice(contacts)
                account = contact.account
                start, end, can_plan = contact.created_at, self.now, not contact.do_not_contact
            record = opportunity or lead or contact or account
            owner = record.owner
            planned = can_plan and self.chance(0.15)
            kind = self.pick(kinds)
            if planned and kind in {Activity.Kind.EMAIL, Activity.Kind.NOTE}:
                kind = Activity.Kind.TASK
            who = self.who(contact or lead)
            activity = Activity(
                kind=kind,
                account=account,
                contact=contact,
                lead=lead,
                opportunity=opportunity,
                priority=self.pick(weighted([("normal", 60), ("high", 20), ("low", 20)])),
            )
            if planned:
                moment = self.at_work(-self.rng.uniform(0, 60))
                if moment <= self.now:
                    moment = self.now + timedelta(hours=self.rng.randint(1, 8))
                    moment = moment.replace(minute=0, second=0, microsecond=0)
                created = self.work_between(max(start, self.now - timedelta(days=14)), self.now)
            else:
                moment = self.work_between(max(start, self.now - timedelta(days=365)), min(end, self.now))
                moment = min(moment, self.now)
                created = moment
            self.fill(activity, kind, moment, planned, who, results)
            if not planned and activity.kind == Activity.Kind.TASK:
                created = moment - timedelta(days=self.rng.randint(1, 10))
            self.place(activity, owner, min(created, self.now))
            # What Activity.clean() derives: the moment on the timeline.
            activity.occurred_at = (
                activity.start_at or activity.due_at or activity.done_at or activity.created_at
            )
            activity.refresh_search()
            activities.append(activity)
            talked = contact is not None and not planned and kind in {"call", "meeting", "email"}
            if talked and activity.occurred_at > last_contacted.get(contact.pk, activity.occurred_at):
                last_contacted[contact.pk] = activity.occurred_at
            elif talked:
                last_contacted.setdefault(contact.pk, activity.occurred_at)
        Activity.objects.bulk_create(activities, batch_size=BATCH)

        touched = []
        for contact in contacts:
            if contact.pk in last_contacted:
                contact.last_contacted_at = last_contacted[contact.pk]
                touched.append(contact)
        Contact.objects.bulk_update(touched, ["last_contacted_at"], batch_size=BATCH)
        return activities

    @staticmethod
    def who(person) -> str:
        if person is None or not person.given_name:
            return "khách hàng"
        title = {"anh": "anh", "chi": "chị", "ong": "ông", "ba": "bà", "em": "em"}.get(person.salutation, "")
        return f"{title} {person.given_name}" if title else person.full_name

    def fill(self, activity: Activity, kind: str, moment: datetime, planned: bool, who: str, results) -> None:
        """Subject, times and outcome of one activity, planned (future) or done (past)."""
        rng = self.rng
        if kind == Activity.Kind.CALL:
            activity.subject = rng.choice(N.CALL_SUBJECTS).format(who=who)
            activity.direction = "out" if self.chance(0.75) else "in"
            if planned:
                activity.due_at = moment
                activity.remind_at = moment - timedelta(minutes=15) if self.chance(0.4) else None
            else:
                activity.call_result = self.pick(results)
                reached = activity.call_result == "reached"
                activity.call_duration = rng.randint(2, 25) if reached else 0
                activity.start_at = moment
                activity.end_at = moment + timedelta(minutes=activity.call_duration)
                activity.outcome = rng.choice(N.CALL_OUTCOMES) if reached else ""
        elif kind == Activity.Kind.MEETING:
            activity.subject = rng.choice(N.MEETING_SUBJECTS).format(who=who)
            activity.location = rng.choice(N.MEETING_PLACES)
            activity.start_at = moment
            activity.end_at = moment + timedelta(minutes=rng.choice((30, 45, 60, 90, 120)))
            if planned and self.chance(0.6):
                activity.remind_at = moment - timedelta(minutes=30)
            if not planned and self.chance(0.7):
                activity.outcome = rng.choice(N.CALL_OUTCOMES)
        elif kind == Activity.Kind.TASK:
            activity.subject = rng.choice(N.TASK_SUBJECTS).format(who=who)
            activity.due_at = moment
            if planned and self.chance(0.5):
                activity.remind_at = moment - timedelta(hours=2)
        elif kind == Activity.Kind.EMAIL:
            activity.subject = rng.choice(N.EMAIL_SUBJECTS).format(who=who)
            activity.direction = "out" if self.chance(0.7) else "in"
            activity.description = "Nội dung email đã gửi/nhận được lưu tại đây."
        else:
            activity.subject = rng.choice(N.NOTE_SUBJECTS)
            activity.description = "Ghi chú nội bộ của nhân viên phụ trách."
        if planned:
            activity.done = False
        elif kind == Activity.Kind.TASK and moment > self.now - timedelta(days=30) and self.chance(0.3):
            activity.done = False  # overdue: the home page's red list
        else:
            activity.done = True
            activity.done_at = activity.end_at or moment
        if activity.remind_at and activity.remind_at <= self.now:
            activity.reminded_at = activity.remind_at  # do not fire old reminders on first start

    # --- tags -------------------------------------------------------------------------------------
    def tag_rows(self, model, rows, tag_name: str) -> None:
        through = model.tags.through
        column = f"{model._meta.model_name}_id"
        tag = self.tags[tag_name]
        through.objects.bulk_create(
            [through(**{column: row.pk, "tag_id": tag.pk}) for row in rows], batch_size=BATCH
        )

    def tag_accounts_and_contacts(self, accounts, contacts) -> None:
        vip, wholesale, gifts, dealer = [], [], [], []
        for index, account in enumerate(accounts):
            form = self.account_info[index]["form"]
            if form in {"cp", "tnhh"} and self.chance(0.06):
                vip.append(account)
            if form != "household" and self.chance(0.15):
                wholesale.append(account)
            if self.chance(0.1):
                gifts.append(account)
            if account.type == Account.Type.PARTNER and self.chance(0.5):
                dealer.append(account)
        self.tag_rows(Account, vip, "VIP")
        self.tag_rows(Account, wholesale, "Khách sỉ")
        self.tag_rows(Account, gifts, "Quà Tết")
        self.tag_rows(Account, dealer, "Đại lý")
        self.tag_rows(Contact, [c for c in contacts if c.account_id is None and self.chance(0.5)], "Khách lẻ")
        self.tag_rows(Contact, [c for c in contacts if self.chance(0.03)], "VIP")
        self.tag_rows(Contact, [c for c in contacts if self.chance(0.08)], "Quà Tết")

    # --- all --------------------------------------------------------------------------------------
    def ensure_admin_units(self) -> None:
        """Provinces and wards come with migration core.0002; reload them if the tables were flushed."""
        if not Ward.objects.exists():
            load_admin_units(Province, Ward)
        self.wards: dict[int, list[Ward]] = {}
        for ward in Ward.objects.order_by("code"):
            self.wards.setdefault(ward.province_id, []).append(ward)

    def build(self) -> DemoResult:
        started = time.monotonic()
        self.converted: list = []
        with transaction.atomic():
            self.ensure_admin_units()
            self.build_organisation()
            self.log(f"Organisation: {len(self.branches)} branches, {len(self.users)} users")
            accounts = self.build_accounts()
            contacts = self.build_contacts(accounts)
            self.tag_accounts_and_contacts(accounts, contacts)
            self.log(f"Accounts and contacts: {len(accounts)}, {len(contacts)}")
            leads = self.build_leads(accounts, contacts)
            opportunities = self.build_opportunities(accounts)
            self.link_converted_leads(opportunities)
            self.log(f"Leads and opportunities: {len(leads)}, {len(opportunities)}")
            activities = self.build_activities(accounts, contacts, leads, opportunities)
        counts = {
            "users": len(self.users),
            "accounts": len(accounts),
            "contacts": len(contacts),
            "leads": len(leads),
            "opportunities": len(opportunities),
            "stage changes": self.counts["stage changes"],
            "activities": len(activities),
        }
        return DemoResult(seed=self.seed, size=self.size, counts=counts, seconds=time.monotonic() - started)

    def link_converted_leads(self, opportunities: list[Opportunity]) -> None:
        """A converted lead points at a deal of the account it became, when that account has one."""
        by_account: dict[int, Opportunity] = {}
        for opportunity in opportunities:
            by_account.setdefault(opportunity.account_id, opportunity)
        linked = []
        for lead, _index in self.converted:
            deal = by_account.get(lead.converted_account.pk)
            if deal is not None:
                lead.converted_opportunity = deal
                linked.append(lead)
        Lead.objects.bulk_update(linked, ["converted_opportunity"], batch_size=BATCH)


def build_demo(*, seed: int = DEFAULT_SEED, size: float = 1.0, log=None) -> DemoResult:
    """Load the demo company into the database (one transaction); return counts and the time taken."""
    return DemoBuilder(seed=seed, size=size, log=log).build()


def demo_logins() -> list[tuple[str, str, str]]:
    """(user name, password, who) of the demo users to suggest, while they keep the demo password."""
    suggestions = [
        (ADMIN_USERNAME, "quản trị hệ thống / administrator"),
        (SALES_USERNAME, "nhân viên kinh doanh / sales rep"),
    ]
    logins = []
    for username, who in suggestions:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is not None and user.check_password(DEMO_PASSWORD):
            logins.append((username, DEMO_PASSWORD, who))
    return logins
