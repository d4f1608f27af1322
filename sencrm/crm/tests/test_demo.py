"""The demo company (``sencrm demo``): counts, determinism, and rows as valid as the services make them.

The builder writes with ``bulk_create`` and computes the derived columns itself, so these tests
run each row through the model's own ``clean()`` and check that nothing would change.
"""

from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from stdnum.vn import mst

from sencrm.common.models import Action, DataScope
from sencrm.common.phones import is_valid_phone
from sencrm.common.validators import validate_tax_code
from sencrm.core.models import MODULES, Branch, Role, Team, User
from sencrm.crm.demo import DEMO_PASSWORD, build_demo, demo_counts, demo_logins
from sencrm.crm.demo.builder import DemoBuilder, tax_check_digit
from sencrm.crm.models import Account, Activity, Contact, Lead, Opportunity, Stage, StageChange
from sencrm.crm.tests.views_support import USED_BY_CLEAN, assert_clean_keeps

SIZE = 0.02
SEED = 7
OWNED = [Account, Contact, Lead, Opportunity, Activity]


@pytest.fixture
def demo(db):
    return build_demo(seed=SEED, size=SIZE)


def snapshot() -> dict[str, list]:
    """What a user would notice if two loads differed: names, amounts, stages, subjects, in order."""
    return {
        "users": list(User.objects.order_by("id").values_list("username", "last_name", "first_name")),
        "accounts": list(Account.objects.order_by("id").values_list("name", "tax_code", "phone", "ward_id")),
        "contacts": list(Contact.objects.order_by("id").values_list("full_name", "mobile", "email")),
        "leads": list(Lead.objects.order_by("id").values_list("full_name", "company", "status")),
        "opportunities": list(
            Opportunity.objects.order_by("id").values_list("name", "amount", "stage__name")
        ),
        "activities": list(Activity.objects.order_by("id").values_list("kind", "subject", "done")),
    }


class Rollback(Exception):
    pass


def load_and_forget(seed: int) -> dict[str, list]:
    """Load the demo, read it, and roll it back so that the next load starts from the same state."""
    result = {}
    try:
        with transaction.atomic():
            build_demo(seed=seed, size=SIZE)
            result = snapshot()
            raise Rollback
    except Rollback:
        pass
    return result


def test_counts_scale_with_size(demo):
    expected = demo_counts(SIZE)
    assert expected == {"accounts": 40, "contacts": 100, "leads": 20, "opportunities": 16, "activities": 200}
    assert {
        "accounts": Account.objects.count(),
        "contacts": Contact.objects.count(),
        "leads": Lead.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "activities": Activity.objects.count(),
    } == expected
    assert demo.counts["stage changes"] == StageChange.objects.count()
    assert demo_counts(10)["activities"] == 100_000


def test_the_organisation(demo):
    tree = {b.name: (b.parent.name if b.parent else None) for b in Branch.objects.select_related("parent")}
    assert tree == {
        "Trụ sở chính": None,
        "Chi nhánh Hà Nội": "Trụ sở chính",
        "Phòng giao dịch Cầu Giấy": "Chi nhánh Hà Nội",
        "Chi nhánh TP. Hồ Chí Minh": "Trụ sở chính",
        "Chi nhánh Đà Nẵng": "Trụ sở chính",
    }
    cau_giay = Branch.objects.get(code="CG")
    assert (
        cau_giay.path
        == f"{Branch.objects.get(code='HQ').path}{Branch.objects.get(code='HN').pk}/{cau_giay.pk}/"
    )
    roles = {r.name: (r.scope, r.is_admin) for r in Role.objects.all()}
    assert roles == {
        "Quản trị hệ thống": (DataScope.ALL, True),
        "Giám đốc": (DataScope.ALL, False),
        "Trưởng chi nhánh": (DataScope.BRANCH, False),
        "Trưởng nhóm": (DataScope.TEAM, False),
        "Nhân viên kinh doanh": (DataScope.OWN, False),
        "Nhân viên xem": (DataScope.BRANCH, False),
    }
    for role in Role.objects.exclude(name="Nhân viên xem"):
        assert role.rights == Role.all_rights()
    assert Role.objects.get(name="Nhân viên xem").rights == {e: [Action.VIEW.value] for e in MODULES}
    assert User.objects.count() == 14
    assert Team.objects.count() == 4
    admin = User.objects.get(username="admin")
    assert (admin.is_superuser, admin.role.name, admin.branch.code) == (True, "Quản trị hệ thống", "HQ")
    rep = User.objects.get(username="an.nguyen")
    assert (rep.get_full_name(), rep.role.name, rep.team.name) == (
        "Nguyễn Văn An",
        "Nhân viên kinh doanh",
        "Kinh doanh Hà Nội",
    )
    assert rep.check_password(DEMO_PASSWORD)
    assert [login[0] for login in demo_logins()] == ["admin", "an.nguyen"]
    assert not User.objects.exclude(branch__isnull=False).exists()


def test_every_record_lives_where_its_owner_does(demo):
    for model in OWNED:
        for row in model.objects.select_related("owner"):
            assert (row.branch_id, row.team_id) == (row.owner.branch_id, row.owner.team_id), row
            assert row.created_by_id == row.owner_id
            assert row.created_at <= timezone.now()
            assert row.search_text.strip(), row
    # Reps own more than managers; the admin and the viewer own nothing.
    owners = Counter(Account.objects.values_list("owner__username", flat=True))
    assert owners["admin"] == owners["mai.hoang"] == 0


@pytest.mark.parametrize("model", OWNED, ids=lambda m: m.__name__)
def test_rows_pass_clean_unchanged(demo, model):
    """What bulk_create skipped: clean_fields() and clean() accept every row and derive the same columns."""
    derived = {
        Account: ["sort_name", "match_key", "phone", "phone2", "email", "tax_code", "province_id"],
        Contact: [
            "sort_name",
            "match_key",
            "full_name",
            "family_name",
            "given_name",
            "mobile",
            "phone",
            "email",
        ],
        Lead: ["sort_name", "match_key", "full_name", "mobile", "email", "tax_code"],
        Opportunity: ["sort_name", "status", "closed_at", "currency"],
        Activity: ["occurred_at", "done_at", "account_id"],
    }[model]
    assert_clean_keeps(model.objects.select_related(*USED_BY_CLEAN[model]), derived)


def test_phones_are_e164_and_valid(demo):
    phones = []
    phones += [p for row in Account.objects.values_list("phone", "phone2") for p in row]
    phones += [p for row in Contact.objects.values_list("mobile", "phone") for p in row]
    phones += [p for row in Lead.objects.values_list("mobile", "phone") for p in row]
    phones += list(User.objects.values_list("phone", flat=True))
    phones = [p for p in phones if p]
    assert len(phones) > len(User.objects.all()) + Account.objects.count()
    for phone in phones:
        assert phone.startswith("+84") and phone[1:].isdigit(), phone
        assert is_valid_phone(phone), phone


def test_tax_codes_are_valid(demo):
    codes = [c for c in Account.objects.values_list("tax_code", flat=True) if c]
    codes += [c for c in Lead.objects.values_list("tax_code", flat=True) if c]
    assert codes
    for code in codes:
        validate_tax_code(code)
        if len(code) == 10:
            assert mst.is_valid(code), code
    assert len(set(codes)) == len(codes)


def test_tax_check_digit_matches_real_codes():
    for real in ("0300588569", "0101248141", "0100109106"):  # Vinamilk, FPT, Viettel
        assert tax_check_digit(real[:9]) == int(real[9])


def test_opportunities_follow_their_stage(demo):
    for o in Opportunity.objects.select_related("stage"):
        kind = o.stage.kind
        assert o.status == {Stage.Kind.WON: "won", Stage.Kind.LOST: "lost"}.get(kind, "open")
        assert (o.closed_at is None) == (kind == Stage.Kind.OPEN)
        assert bool(o.lost_reason) == (kind == Stage.Kind.LOST)
        assert o.probability == o.stage.probability
        assert 15_000_000 <= o.amount <= 2_000_000_000
        history = list(o.stage_changes.order_by("at", "id"))
        assert history[0].from_stage is None and history[-1].to_stage_id == o.stage_id


def test_activity_dates_span_last_year_and_next_two_months(demo):
    now = timezone.now()
    for a in Activity.objects.all():
        assert now - timedelta(days=367) <= a.occurred_at <= now + timedelta(days=62), a.pk
        assert a.occurred_at == (a.start_at or a.due_at or a.done_at or a.created_at)
        if a.occurred_at > now:
            assert not a.done
        if a.kind == Activity.Kind.CALL and a.done:
            assert a.call_result and a.call_duration is not None


def test_same_seed_gives_the_same_company(db):
    first = load_and_forget(SEED)
    assert first == load_and_forget(SEED)
    other = load_and_forget(SEED + 1)
    assert other["users"] == first["users"]
    assert other["contacts"] != first["contacts"]


def test_surnames_follow_vietnamese_frequencies():
    builder = DemoBuilder(seed=1)
    surnames = Counter(builder.person("north")[1] for _ in range(20_000))
    share = {name: n / 20_000 for name, n in surnames.items()}
    assert 0.35 < share["Nguyễn"] < 0.41
    assert 0.09 < share["Trần"] < 0.13
    assert 0.075 < share["Lê"] < 0.115
    assert share["Hoàng"] > share["Huỳnh"]  # northern form in the north
    south = Counter(builder.person("south")[1] for _ in range(5_000))
    assert south["Huỳnh"] > south["Hoàng"]


def test_command_refuses_a_database_with_data_unless_forced(org):
    with pytest.raises(CommandError, match="--force"):
        call_command("demo", size=SIZE)
    assert Account.objects.count() == 0

    out = StringIO()
    call_command("demo", size=SIZE, force=True, stdout=out)
    assert "Demo company loaded in" in out.getvalue()
    assert Account.objects.count() == 40
    call_command("demo", size=SIZE, force=True, seed=99, stdout=StringIO())
    assert Account.objects.count() == 80
    assert User.objects.filter(username="an.nguyen").count() == 1  # demo users are reused
