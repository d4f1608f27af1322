"""Filter trees (common.filtering): every operator and type, nesting, relative dates, rejection."""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.utils import translation

from sencrm.common.filtering import FilterError, apply_tree, build_q, parse_tree, relative_range
from sencrm.core.models import CustomField, Province, Tag
from sencrm.core.services.records import record_update
from sencrm.crm.models import Account, Contact, Lead
from sencrm.crm.tests.views_support import make

HCM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = datetime.date(2026, 3, 1)  # a Sunday, first day of a month after a short February


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def names(qs) -> set[str]:
    return {str(o) for o in qs}


def rule(field, operator, value=None):
    return {"field": field, "operator": operator, "value": value}


def run(model, *rules, op="and", today=TODAY, user=None, custom_fields=None):
    if custom_fields is None:
        custom_fields = list(CustomField.objects.filter(entity=model.entity()))
    tree = {"op": op, "rules": list(rules)}
    return names(
        apply_tree(model.objects.alive(), tree, custom_fields=custom_fields, today=today, tz=HCM, user=user)
    )


@pytest.fixture
def accounts(org):
    hn = Province.objects.get(code="01")
    hcm = Province.objects.get(code="79")
    return {
        "retail": make(
            "account", org.alice, "Công ty Bán Lẻ Sen", industry="Bán lẻ", type="customer",
            employees=50, province=hn,
        ),
        "bank": make(
            "account", org.alice, "Ngân hàng Đông Á", industry="Ngân hàng", type="partner",
            employees=500, province=hcm,
        ),
        "blank": make("account", org.bob, "Cơ sở Trống", employees=None),
    }  # fmt: skip


# --- text ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operator, value, expected",
    [
        ("contains", "ban le", {"Công ty Bán Lẻ Sen"}),
        ("contains", "NGÂN", {"Ngân hàng Đông Á"}),
        ("contains", "HÀNG", {"Ngân hàng Đông Á"}),
        ("not_contains", "ban", {"Ngân hàng Đông Á", "Cơ sở Trống"}),
        ("starts_with", "ngan", {"Ngân hàng Đông Á"}),
        ("starts_with", "hang", set()),
        ("equals", "ban le", {"Công ty Bán Lẻ Sen"}),
        ("not_equals", "ban le", {"Ngân hàng Đông Á", "Cơ sở Trống"}),
        ("in", ["ngan hang", "bán lẻ"], {"Ngân hàng Đông Á", "Công ty Bán Lẻ Sen"}),
        ("is_empty", None, {"Cơ sở Trống"}),
        ("is_not_empty", None, {"Công ty Bán Lẻ Sen", "Ngân hàng Đông Á"}),
    ],
)
def test_text_operators_fold_case_and_diacritics(accounts, operator, value, expected):
    assert run(Account, rule("industry", operator, value)) == expected


def test_contains_takes_like_wildcards_literally(accounts):
    assert run(Account, rule("name", "contains", "%")) == set()
    assert run(Account, rule("name", "contains", "_")) == set()


# --- choice, number, yes/no ------------------------------------------------------------------------


def test_choice_operators(accounts):
    assert run(Account, rule("type", "equals", "partner")) == {"Ngân hàng Đông Á"}
    assert run(Account, rule("type", "not_equals", "partner")) == {"Công ty Bán Lẻ Sen", "Cơ sở Trống"}
    assert run(Account, rule("type", "in", ["partner", "customer"])) == {
        "Ngân hàng Đông Á",
        "Công ty Bán Lẻ Sen",
        "Cơ sở Trống",
    }
    assert run(Account, rule("type", "not_in", ["customer"])) == {"Ngân hàng Đông Á"}


@pytest.mark.parametrize(
    "operator, value, expected",
    [
        ("equals", 50, {"Công ty Bán Lẻ Sen"}),
        ("not_equals", "50", {"Ngân hàng Đông Á", "Cơ sở Trống"}),
        ("gt", 50, {"Ngân hàng Đông Á"}),
        ("gte", 50, {"Công ty Bán Lẻ Sen", "Ngân hàng Đông Á"}),
        ("lt", "500", {"Công ty Bán Lẻ Sen"}),
        ("lte", 500, {"Công ty Bán Lẻ Sen", "Ngân hàng Đông Á"}),
        ("between", [10, 100], {"Công ty Bán Lẻ Sen"}),
        ("is_empty", None, {"Cơ sở Trống"}),
    ],
)
def test_number_operators(accounts, operator, value, expected):
    assert run(Account, rule("employees", operator, value)) == expected


def test_yes_no(org):
    make("contact", org.alice, "Lê Văn Cấm", do_not_contact=True)
    make("contact", org.alice, "Lê Văn Mở")
    assert run(Contact, rule("do_not_contact", "equals", True)) == {"Lê Văn Cấm"}
    assert run(Contact, rule("do_not_contact", "equals", "false")) == {"Lê Văn Mở"}


# --- links, related records, tags -------------------------------------------------------------------


def test_links_by_id_and_me(org, accounts):
    make("contact", org.alice, "Lê Thị A", account=accounts["retail"])
    make("contact", org.bob, "Lê Thị B", account=accounts["bank"])
    make("contact", org.bob, "Lê Thị C")
    assert run(Contact, rule("owner", "equals", "me"), user=org.alice) == {"Lê Thị A"}
    assert run(Contact, rule("owner", "in", [org.bob.pk])) == {"Lê Thị B", "Lê Thị C"}
    assert run(Contact, rule("account", "not_in", [accounts["retail"].pk])) == {"Lê Thị B", "Lê Thị C"}
    assert run(Contact, rule("account", "is_empty")) == {"Lê Thị C"}


def test_related_fields_through_the_allow_list(org, accounts):
    make("contact", org.alice, "Lê Thị A", account=accounts["retail"])
    make("contact", org.bob, "Lê Thị B", account=accounts["bank"])
    make("contact", org.bob, "Lê Thị C")
    assert run(Contact, rule("account.industry", "contains", "ban le")) == {"Lê Thị A"}
    assert run(Contact, rule("account.type", "equals", "partner")) == {"Lê Thị B"}
    assert run(Contact, rule("account.province", "in", [accounts["bank"].province_id])) == {"Lê Thị B"}
    assert run(Contact, rule("account.industry", "is_empty")) == {"Lê Thị C"}


def test_tags(org):
    make("contact", org.alice, "Lê Thị VIP", tags=["VIP", "Hà Nội"])
    make("contact", org.alice, "Lê Thị HN", tags=["Hà Nội"])
    make("contact", org.alice, "Lê Thị Trơn")
    vip, hn = Tag.objects.get(slug="vip"), Tag.objects.get(slug="ha noi")
    assert run(Contact, rule("tags", "in", [vip.pk])) == {"Lê Thị VIP"}
    assert run(Contact, rule("tags", "in", [vip.pk, hn.pk])) == {"Lê Thị VIP", "Lê Thị HN"}
    assert run(Contact, rule("tags", "not_in", [vip.pk])) == {"Lê Thị HN", "Lê Thị Trơn"}
    assert run(Contact, rule("tags", "is_empty")) == {"Lê Thị Trơn"}
    assert run(Contact, rule("tags", "is_not_empty")) == {"Lê Thị VIP", "Lê Thị HN"}


# --- custom fields ------------------------------------------------------------------------------------


@pytest.fixture
def custom_contacts(org):
    for key, kind, choices in [
        ("note", "text", []),
        ("spend", "money", []),
        ("visit", "date", []),
        ("tier", "choice", ["Vàng", "Bạc"]),
        ("likes", "multi", ["Trà", "Cà phê"]),
        ("vip", "bool", []),
        ("handler", "user", []),
    ]:
        CustomField.objects.create(
            entity="crm.contact", key=key, label=key.title(), type=kind, choices=choices
        )
    make(
        "contact",
        org.alice,
        "Khách Một",
        custom={
            "note": "Thích hoa sen",
            "spend": 5_000_000,
            "visit": "2026-02-20",
            "tier": "Vàng",
            "likes": ["Trà"],
            "vip": True,
            "handler": org.bob.pk,
        },
    )
    make(
        "contact",
        org.alice,
        "Khách Hai",
        custom={
            "note": "Mua sỉ",
            "spend": 200_000,
            "visit": "2025-12-31",
            "tier": "Bạc",
            "likes": ["Cà phê", "Trà"],
            "vip": False,
        },
    )
    make("contact", org.alice, "Khách Ba")
    return ["Khách Một", "Khách Hai", "Khách Ba"]  # fmt: skip


@pytest.mark.parametrize(
    "field, operator, value, expected",
    [
        ("custom.note", "contains", "hoa sen", {"Khách Một"}),
        ("custom.note", "starts_with", "mua", {"Khách Hai"}),
        ("custom.note", "is_empty", None, {"Khách Ba"}),
        ("custom.spend", "gt", 1_000_000, {"Khách Một"}),
        ("custom.spend", "between", [100_000, 300_000], {"Khách Hai"}),
        ("custom.visit", "last_n_days", 30, {"Khách Một"}),
        ("custom.visit", "last_year", None, {"Khách Hai"}),
        ("custom.visit", "lt", "2026-01-01", {"Khách Hai"}),
        ("custom.tier", "equals", "Vàng", {"Khách Một"}),
        ("custom.tier", "not_in", ["Vàng"], {"Khách Hai", "Khách Ba"}),
        ("custom.likes", "in", ["Cà phê"], {"Khách Hai"}),
        ("custom.likes", "in", ["Trà"], {"Khách Một", "Khách Hai"}),
        ("custom.likes", "is_empty", None, {"Khách Ba"}),
        ("custom.vip", "equals", True, {"Khách Một"}),
        ("custom.vip", "equals", False, {"Khách Hai", "Khách Ba"}),
        ("custom.handler", "in", ["me"], {"Khách Một"}),
    ],
)
def test_custom_fields(org, custom_contacts, field, operator, value, expected):
    assert run(Contact, rule(field, operator, value), user=org.bob) == expected


# --- dates ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operator, today, n, expected",
    [
        ("this_month", datetime.date(2026, 3, 1), 0, ("2026-03-01", "2026-04-01")),
        ("last_month", datetime.date(2026, 3, 1), 0, ("2026-02-01", "2026-03-01")),
        ("last_month", datetime.date(2026, 1, 15), 0, ("2025-12-01", "2026-01-01")),
        ("next_month", datetime.date(2025, 12, 31), 0, ("2026-01-01", "2026-02-01")),
        ("this_year", datetime.date(2026, 1, 1), 0, ("2026-01-01", "2027-01-01")),
        ("last_year", datetime.date(2026, 1, 1), 0, ("2025-01-01", "2026-01-01")),
        ("next_year", datetime.date(2025, 12, 31), 0, ("2026-01-01", "2027-01-01")),
        ("this_quarter", datetime.date(2026, 5, 31), 0, ("2026-04-01", "2026-07-01")),
        ("this_week", datetime.date(2026, 3, 1), 0, ("2026-02-23", "2026-03-02")),
        ("last_week", datetime.date(2026, 1, 1), 0, ("2025-12-22", "2025-12-29")),
        ("today", datetime.date(2024, 2, 29), 0, ("2024-02-29", "2024-03-01")),
        ("yesterday", datetime.date(2026, 1, 1), 0, ("2025-12-31", "2026-01-01")),
        ("last_n_days", datetime.date(2026, 3, 1), 30, ("2026-01-30", "2026-03-02")),
        ("next_n_days", datetime.date(2025, 12, 31), 7, ("2026-01-01", "2026-01-08")),
    ],
)
def test_relative_periods_around_month_and_year_ends(operator, today, n, expected):
    start, end = relative_range(operator, today, n)
    assert (start.isoformat(), end.isoformat()) == expected


def test_date_field_absolute_and_relative(org):
    for name, day in [
        ("Sinh Tháng Hai", "2026-02-28"),
        ("Sinh Tháng Ba", "2026-03-01"),
        ("Sinh Năm Ngoái", "2025-12-31"),
    ]:
        make("contact", org.alice, name, birthday=datetime.date.fromisoformat(day))
    make("contact", org.alice, "Không Ngày Sinh")
    assert run(Contact, rule("birthday", "this_month")) == {"Sinh Tháng Ba"}
    assert run(Contact, rule("birthday", "last_month")) == {"Sinh Tháng Hai"}
    assert run(Contact, rule("birthday", "last_year")) == {"Sinh Năm Ngoái"}
    assert run(Contact, rule("birthday", "last_n_days", 1)) == {"Sinh Tháng Hai", "Sinh Tháng Ba"}
    assert run(Contact, rule("birthday", "equals", "2026-02-28")) == {"Sinh Tháng Hai"}
    assert run(Contact, rule("birthday", "gt", "2026-02-28")) == {"Sinh Tháng Ba"}
    assert run(Contact, rule("birthday", "lte", "2026-02-28")) == {"Sinh Tháng Hai", "Sinh Năm Ngoái"}
    assert run(Contact, rule("birthday", "between", ["2025-12-31", "2026-02-28"])) == {
        "Sinh Tháng Hai",
        "Sinh Năm Ngoái",
    }
    assert run(Contact, rule("birthday", "is_empty")) == {"Không Ngày Sinh"}


def test_datetimes_are_compared_as_days_in_the_users_time_zone(org):
    # 00:30 on 1 March in Hà Nội is still 28 February in UTC: it belongs to March here.
    early = make("lead", org.alice, "Đầu Tháng Ba")
    late = make("lead", org.alice, "Cuối Tháng Hai")
    Lead.objects.filter(pk=early.pk).update(created_at=datetime.datetime(2026, 3, 1, 0, 30, tzinfo=HCM))
    Lead.objects.filter(pk=late.pk).update(created_at=datetime.datetime(2026, 2, 28, 23, 30, tzinfo=HCM))
    assert run(Lead, rule("created_at", "this_month")) == {"Đầu Tháng Ba"}
    assert run(Lead, rule("created_at", "last_month")) == {"Cuối Tháng Hai"}
    assert run(Lead, rule("created_at", "today")) == {"Đầu Tháng Ba"}
    assert run(Lead, rule("created_at", "equals", "2026-02-28")) == {"Cuối Tháng Hai"}
    assert run(Lead, rule("created_at", "last_n_days", 7), today=datetime.date(2026, 4, 1)) == set()


# --- groups ----------------------------------------------------------------------------------------------


def test_and_or_nesting(accounts):
    tree = [
        rule("employees", "gte", 10),
        {
            "op": "or",
            "rules": [
                rule("industry", "contains", "ngan"),
                rule("province", "in", [accounts["retail"].province_id]),
            ],
        },
    ]
    assert run(Account, *tree) == {"Công ty Bán Lẻ Sen", "Ngân hàng Đông Á"}
    assert run(Account, rule("type", "equals", "partner"), rule("industry", "contains", "ban"), op="or") == {
        "Ngân hàng Đông Á",
        "Công ty Bán Lẻ Sen",
    }
    nested = {"op": "and", "rules": [{"op": "or", "rules": [rule("name", "contains", "trong")]}]}
    assert run(Account, nested, rule("employees", "is_empty")) == {"Cơ sở Trống"}
    assert run(Account) == {"Công ty Bán Lẻ Sen", "Ngân hàng Đông Á", "Cơ sở Trống"}  # empty tree


def test_search_rule_matches_like_the_search_box(org):
    make("contact", org.alice, "Nguyễn Văn Ánh", mobile="0912345678")
    make("contact", org.alice, "Trần Thị Lan")
    assert run(Contact, rule("search", "contains", "nguyen anh")) == {"Nguyễn Văn Ánh"}
    assert run(Contact, rule("search", "contains", "0912 345 678")) == {"Nguyễn Văn Ánh"}


# --- rejection ---------------------------------------------------------------------------------------------


def errors_of(model, tree) -> list[str]:
    with pytest.raises(FilterError) as caught:
        build_q(tree, model=model, custom_fields=[], today=TODAY, tz=HCM)
    return caught.value.messages


@pytest.mark.parametrize(
    "field",
    [
        "password",
        "owner__password",
        "owner.password",
        "account.owner.password",
        "name; DROP TABLE crm_account; --",
        "search_text",
        "custom",
        "custom.nonexistent",
        "id) OR 1=1 --",
        "account.description",
    ],
)
def test_only_fields_of_the_allow_list_are_accepted(db, field):
    messages = errors_of(Contact, {"rules": [rule(field, "equals", "x")]})
    assert len(messages) == 1
    assert messages[0].startswith("Rule 1:")
    assert "is not a field you can filter on" in messages[0]


def test_bad_rules_are_named(db):
    tree = {
        "op": "and",
        "rules": [
            rule("full_name", "contains", "an"),
            {
                "op": "or",
                "rules": [rule("birthday", "contains", "x"), rule("do_not_contact", "equals", "maybe")],
            },
            rule("birthday", "between", ["2026-03-01"]),
            rule("preferred_channel", "in", ["pigeon"]),
            rule("birthday", "last_n_days", -3),
            rule("owner", "in", ["alice"]),
        ],
    }
    assert errors_of(Contact, tree) == [
        "Rule 2.1 (Birthday): the operator “contains” does not apply to this field.",
        "Rule 2.2 (Do not contact): choose yes or no.",
        "Rule 3 (Birthday): enter two dates: from and to.",
        "Rule 4 (Preferred channel): choose among: phone, sms, email, zalo, visit.",
        "Rule 5 (Birthday): enter a number of days between 1 and 36600.",
        "Rule 6 (Owner): “alice” is not an id.",
    ]


def test_bad_shapes_are_refused(db):
    with pytest.raises(FilterError, match="not valid JSON"):
        parse_tree("{oops")
    with pytest.raises(FilterError) as caught:
        parse_tree({"op": "xor", "rules": []})
    assert caught.value.messages[0].startswith("Filter: unknown operator or group type")
    with pytest.raises(FilterError) as caught:
        parse_tree({"rules": [{"field": "name", "operator": "like", "value": "%"}]})
    assert caught.value.messages[0].startswith("Rule 1:")
    with pytest.raises(FilterError) as caught:
        parse_tree({"rules": [{"field": "name", "operator": "equals", "sql": "1"}]})
    assert caught.value.messages[0].startswith("Rule 1:")
    deep = rule("name", "contains", "a")
    for _i in range(6):
        deep = {"op": "or", "rules": [deep]}
    assert "nest at most" in errors_of(Account, {"rules": [deep]})[0]


def test_values_never_become_sql(accounts):
    evil = "x' OR '1'='1"
    assert run(Account, rule("industry", "contains", evil)) == set()
    assert run(Account, rule("industry", "in", [evil, "') --"])) == set()
    assert Account.objects.count() == 3
    assert connection.vendor in ("sqlite", "postgresql")


def test_record_updates_keep_matching(org, accounts):
    record_update(accounts["blank"], by=org.bob, data={"industry": "Bán lẻ"})
    assert run(Account, rule("industry", "equals", "BAN LE")) == {"Công ty Bán Lẻ Sen", "Cơ sở Trống"}
