"""The benchmark suite (``sencrm bench``): its data set and its regression guard.

The data set is written with raw bulk inserts that skip ``save()`` and ``clean()``, so these tests
run rows through the models' own ``clean()`` and ``refresh_search()`` and check nothing changes;
and the same size always gives the same rows. The guard must fail on a status or query-count
regression and only then.
"""

import json
from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Max

from sencrm.bench import report
from sencrm.bench.generate import BENCH_TOKEN, BenchBuilder, bench_counts, parse_size
from sencrm.bench.guard import compare
from sencrm.bench.load import lua_script
from sencrm.bench.scenarios import Request, Scenario, build_scenarios, fill_body, search_prefixes
from sencrm.common.phones import is_valid_phone
from sencrm.common.validators import validate_tax_code
from sencrm.core.models import ApiToken, User
from sencrm.core.search import search
from sencrm.crm.models import Account, Activity, Contact, Lead, Opportunity, Stage, StageChange
from sencrm.crm.tests.views_support import USED_BY_CLEAN, assert_clean_keeps

FACTOR = 0.0005  # 500 contacts, 100 accounts, 150 leads, 150 deals, 2,500 activities
OWNED = [Account, Contact, Lead, Opportunity, Activity]


@pytest.fixture
def bench(db):
    return BenchBuilder(factor=FACTOR).build(analyze=False)


def snapshot() -> dict[str, list]:
    """What differs if two builds differ (no ids of rows created through the ORM: sequences move)."""
    return {
        "users": list(User.objects.order_by("username").values_list("username", "last_name", "first_name")),
        "accounts": list(
            Account.objects.order_by("id").values_list("name", "tax_code", "phone", "created_at")
        ),
        "contacts": list(
            Contact.objects.order_by("id").values_list(
                "full_name", "mobile", "email", "account_id", "owner__username"
            )
        ),
        "leads": list(
            Lead.objects.order_by("id").values_list("full_name", "company", "status", "created_at")
        ),
        "opportunities": list(
            Opportunity.objects.order_by("id").values_list("name", "amount", "stage__name")
        ),
        "activities": list(
            Activity.objects.order_by("id").values_list(
                "kind", "subject", "done", "occurred_at", "contact_id"
            )
        ),
    }


class Rollback(Exception):
    pass


def build_and_forget() -> dict[str, list]:
    result = {}
    try:
        with transaction.atomic():
            BenchBuilder(factor=FACTOR).build(analyze=False)
            result = snapshot()
            raise Rollback
    except Rollback:
        pass
    return result


# --- sizes --------------------------------------------------------------------------------------------


def test_sizes():
    assert parse_size("full") == ("full", 1.0)
    assert parse_size("quick") == ("quick", 0.005)
    assert parse_size("0.1") == ("x0_1", 0.1)
    assert bench_counts(1.0) == {
        "accounts": 200_000,
        "contacts": 1_000_000,
        "leads": 300_000,
        "opportunities": 300_000,
        "activities": 5_000_000,
    }


@pytest.mark.parametrize("bad", ["huge", "0", "-1", "11", ""])
def test_bad_sizes_are_refused(bad):
    with pytest.raises(ValueError):
        parse_size(bad)


# --- the data set -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_same_size_gives_same_rows():
    first = build_and_forget()
    second = build_and_forget()
    assert first["contacts"] and first == second


def test_counts_and_skewed_owners(bench):
    counts = bench["counts"]
    assert {k: counts[k] for k in bench_counts(FACTOR)} == bench_counts(FACTOR)
    assert counts["stage changes"] == StageChange.objects.count() > counts["opportunities"]
    assert counts["search index"] == sum(
        counts[k] for k in ("accounts", "contacts", "leads", "opportunities")
    )
    owners = Counter(Contact.objects.values_list("owner_id", flat=True))
    top = owners.most_common()
    # Skewed: the busiest owner has three times the median owner's records or more; viewers own none.
    assert top[0][1] >= 3 * top[len(top) // 2][1]
    assert not Contact.objects.filter(owner__username="mai.hoang").exists()
    # Dates over about three years.
    created = sorted(Account.objects.values_list("created_at", flat=True))
    assert (created[-1] - created[0]).days > 2 * 365


@pytest.mark.parametrize("model", OWNED, ids=lambda m: m.__name__)
def test_rows_pass_clean_unchanged(bench, model):
    """clean_fields() and clean() accept every row and derive the same columns; search text too."""
    derived = {
        Account: ["sort_name", "match_key", "phone", "phone2", "email", "tax_code", "province_id"],
        Contact: ["sort_name", "match_key", "full_name", "mobile", "phone", "email"],
        Lead: ["sort_name", "match_key", "full_name", "mobile", "email", "tax_code"],
        Opportunity: ["sort_name", "status", "closed_at", "currency"],
        Activity: ["occurred_at", "done_at", "account_id"],
    }[model]
    rows = list(model.objects.select_related(*USED_BY_CLEAN[model], "owner").order_by("id")[:400])
    assert_clean_keeps(rows, derived)
    for row in rows:
        # Where record_create() puts a record: the owner's team and branch.
        assert (row.team_id, row.branch_id) == (row.owner.team_id, row.owner.branch_id)
        assert row.version == 1 and row.deleted_at is None


def test_deals_follow_their_stage(bench):
    for deal in Opportunity.objects.select_related("stage"):
        assert deal.probability == deal.stage.probability
        assert deal.status == {"won": "won", "lost": "lost"}.get(deal.stage.kind, "open")
        assert (deal.closed_at is None) == (deal.stage.kind == Stage.Kind.OPEN)
        last = deal.stage_changes.order_by("-at", "-id").first()
        assert last.to_stage_id == deal.stage_id


def test_last_contacted_is_the_last_call_meeting_or_email(bench):
    talked = (
        Activity.objects.filter(done=True, kind__in=["call", "meeting", "email"], contact__isnull=False)
        .values("contact_id")
        .annotate(at=Max("occurred_at"))
    )
    expected = {row["contact_id"]: row["at"] for row in talked}
    assert expected
    actual = dict(
        Contact.objects.filter(last_contacted_at__isnull=False).values_list("id", "last_contacted_at")
    )
    assert actual == expected


def test_phones_and_tax_codes_are_valid_and_unique(bench):
    mobiles = [m for m in Contact.objects.values_list("mobile", flat=True) if m]
    phones = mobiles + [p for row in Account.objects.values_list("phone", "phone2") for p in row if p]
    for phone in phones:
        assert phone.startswith("+84") and is_valid_phone(phone), phone
    assert len(set(mobiles)) == len(mobiles)
    codes = [c for c in Account.objects.values_list("tax_code", flat=True) if c]
    for code in codes:
        validate_tax_code(code)
    assert len(set(codes)) == len(codes)


def test_search_finds_generated_records(bench):
    admin = User.objects.get(username="admin")
    contact = Contact.objects.order_by("id").first()
    hits = search(admin, contact.full_name, limit=50)
    assert ("contact", contact.pk) in {(h.type, h.id) for h in hits}


def test_the_api_token_works(bench, client):
    token = ApiToken.objects.get(key_hash=ApiToken.hash(BENCH_TOKEN))
    assert token.user.username == "admin"
    response = client.get("/api/v1/contacts?limit=1", headers={"Authorization": f"Bearer {BENCH_TOKEN}"})
    assert response.status_code == 200


def test_build_refuses_a_database_with_records(bench):
    with pytest.raises(RuntimeError):
        BenchBuilder(factor=FACTOR).build(analyze=False)


# --- scenarios and the guard --------------------------------------------------------------------------


def test_scenarios_answer_as_expected(bench, client):
    """Every scenario's first requests give the expected status (what the guard checks in CI)."""
    admin = User.objects.get(username="admin")
    stages = list(Stage.objects.filter(kind="open").order_by("position").values_list("pk", flat=True))
    scenarios = build_scenarios(
        bench_counts(FACTOR), {"admin_id": admin.pk, "open_stages": stages[1:3]}, samples=2
    )
    client.force_login(admin)
    for n, scenario in enumerate(scenarios):
        if scenario.auth == "rep":
            continue
        headers = {"Authorization": f"Bearer {BENCH_TOKEN}"} if scenario.auth == "token" else {}
        for request in scenario.requests[:2]:
            body = fill_body(request.body, 1_000_000 + n)
            response = client.generic(
                request.method,
                request.path,
                data=(body or "").encode(),
                content_type=scenario.content_type or "application/octet-stream",
                headers=headers,
            )
            assert response.status_code in scenario.expect, (
                scenario.name,
                request.path,
                response.status_code,
            )
    assert Contact.objects.filter(given_name__startswith="Thử").exists()


def test_guard_fails_on_query_regression_and_bad_status():
    budget = {"list": 5, "view": 7}
    ok = {"list": {"queries": 5, "statuses": [200, 200], "expected": [200]}}
    lines, failed = compare(ok, budget)
    assert not failed and "OK" in lines[0]
    more = {"list": {"queries": 6, "statuses": [200], "expected": [200]}}
    lines, failed = compare(more, budget)
    assert failed and "REGRESSION" in lines[0]
    fewer = {"view": {"queries": 3, "statuses": [200], "expected": [200]}}
    assert compare(fewer, budget)[1] is False
    error = {"list": {"queries": 2, "statuses": [200, 500], "expected": [200]}}
    lines, failed = compare(error, budget)
    assert failed and "HTTP [500]" in lines[0]
    new = {"board": {"queries": 3, "statuses": [200], "expected": [200]}}
    assert compare(new, budget)[1] is True  # a scenario without a budget fails…
    assert compare(new, budget, update=True)[1] is False  # …unless budgets are being written
    assert compare(error, budget, update=True)[1] is True  # an HTTP error fails even then


def test_committed_budgets_cover_every_scenario():
    from sencrm.bench.guard import BUDGETS

    budgets = json.loads(BUDGETS.read_text())
    names = {s.name for s in build_scenarios(bench_counts(0.005), {"admin_id": 1, "open_stages": [2, 3]})}
    assert set(budgets["sqlite"]) == names


def test_search_prefixes_have_no_accents():
    import random

    prefixes = search_prefixes(random.Random(1), 200)
    assert len(set(prefixes)) > 100
    assert all(p.isascii() and len(p) >= 2 for p in prefixes)


def test_lua_script_escapes_and_counts():
    scenario = Scenario(
        "x",
        "X",
        "session",
        [Request("POST", "/a/?q=]]", 'name=Th%E1%BB%AD{n}&x="]]"')],
        "write",
        expect=(302,),
    )
    script = lua_script(scenario, {"Cookie": "sessionid=abc; csrftoken=def", "X-CSRFToken": "def"})
    assert "[===[/a/?q=]]]===]" in script
    assert "[ [===[Cookie]===] ] = [===[sessionid=abc; csrftoken=def]===]" in script
    assert "[302] = true" in script


def test_report_marks_targets_and_replaces_only_its_engine(tmp_path):
    def figures(rps, p95):
        return {"rps": rps, "p50_ms": 1.0, "p95_ms": p95, "p99_ms": p95, "errors": 0}

    engine = {
        "build": {"counts": {"contacts": 10}, "timings": {}},
        "scenarios": [
            {"name": "ceiling", "title": "Ceiling", "c1": figures(1000, 1), "c16": figures(2000, 9)},
            {
                "name": "contact_list",
                "title": "Contacts list",
                "target_p95_ms": 25,
                "target_rps": 400,
                "c1": figures(100, 30),
                "c16": figures(500, 50),
            },
        ],
        "peak_rss_mb": {"web": [120.0, 130.0], "tasks": [90.0]},
    }
    report.add_ratios(engine)
    assert engine["scenarios"][1]["c16"]["ceiling_ratio"] == 0.25
    assert engine["scenarios"][1]["targets_met"] is False  # p95 30 ms > 25 ms
    result = {
        "started": "2026-11-22T18:00:00+00:00",
        "size": "quick",
        "command": "sencrm bench run",
        "machine": {
            "nproc": 2, "cpu": "x", "memory_gb": 24, "os": "Linux", "python": "3.11", "django": "5.2",
            "sqlite": "3.40", "postgresql": "15", "web_workers": 2, "load_average_at_start": [1.0, 1.0, 1.0],
        },
        "engines": {"sqlite": engine},
    }  # fmt: skip
    docs = tmp_path / "BENCHMARKS.md"
    docs.write_text("# B\n<!-- bench:sqlite:start -->\nold\n<!-- bench:sqlite:end -->\n## History\nkept\n")
    report.update_docs(result, docs)
    text = docs.read_text()
    assert "old" not in text and "kept" in text
    assert "| Contacts list |" in text and "p95 ≤ 25 ms ✗" in text and "≥ 400 req/s ✓" in text


# --- PostgreSQL's data set: the SQLite rows, copied ---------------------------------------------------


def _built_sqlite_file(path) -> dict[str, list]:
    """Build the data set, copy its tables to the SQLite file ``path``, roll back; return its snapshot."""
    import sqlite3

    from django.db import connection

    from sencrm.bench.transfer import ROWS, SAME_IDS, TAGGED

    result = {}
    try:
        with transaction.atomic():
            BenchBuilder(factor=FACTOR).build(analyze=False)
            result = snapshot()
            target = sqlite3.connect(path)
            models = [m for m, _f in SAME_IDS] + ROWS + [m.tags.through for m in TAGGED]
            with connection.cursor() as cursor:
                for model in models:
                    table, columns = model._meta.db_table, [f.column for f in model._meta.concrete_fields]
                    names = ", ".join(f'"{c}"' for c in columns)
                    cursor.execute(f'SELECT {names} FROM "{table}"')
                    target.execute(f'CREATE TABLE "{table}" ({names})')
                    marks = ", ".join("?" * len(columns))
                    target.executemany(f'INSERT INTO "{table}" VALUES ({marks})', cursor.fetchall())
            target.commit()
            target.close()
            raise Rollback
    except Rollback:
        pass
    return result


@pytest.mark.django_db
def test_transfer_copies_the_same_rows(tmp_path):
    from django.db import connection

    from sencrm.bench.transfer import transfer_from_sqlite

    if connection.vendor != "sqlite":
        pytest.skip("the source is made from the SQLite test database")
    path = tmp_path / "bench.sqlite3"
    built = _built_sqlite_file(path)
    summary = transfer_from_sqlite(str(path), FACTOR, analyze=False)
    assert summary["counts"]["contacts"] == bench_counts(FACTOR)["contacts"]
    assert snapshot() == built
    assert Contact.objects.filter(last_contacted_at__isnull=False).exists()


@pytest.mark.django_db
def test_transfer_refuses_when_the_organisation_ids_differ(tmp_path):
    from django.db import connection

    from sencrm.bench.transfer import OrganisationMismatch, transfer_from_sqlite

    if connection.vendor != "sqlite":
        pytest.skip("the source is made from the SQLite test database")
    path = tmp_path / "bench.sqlite3"
    _built_sqlite_file(path)
    User.objects.create(username="someone.else")  # takes an id the data set's users have
    with pytest.raises(OrganisationMismatch):
        transfer_from_sqlite(str(path), FACTOR, analyze=False)
    assert not Contact.objects.exists()
