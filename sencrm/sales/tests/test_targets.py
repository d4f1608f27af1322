"""Targets (Chỉ tiêu): attainment against won deals in Hà Nội time, who may set which target,
who sees which, bad input, the pages, the home widget (with its query cost), the leaderboard
and the API.

Won deals of the data set (2027, VND unless said):
  W1 alice 60 M  31/3 17:30 UTC = 1/4 00:30 in Hà Nội (April)
  W2 alice 40 M  31/3 16:30 UTC = 23:30 in Hà Nội (March), account in the province P1
  WU alice 1000 USD  15/3 (counts as a deal, not as VND revenue)
  W3 bob   25 M  20/1
  WD dave  30 M  10/2 (branch Cầu Giấy, below Hà Nội)
  WM mallory 90 M 10/3 (HCM)
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sencrm.core.models import Province, User
from sencrm.core.services.records import record_create
from sencrm.crm.models import Account
from sencrm.sales.models import Target
from sencrm.sales.services.targets import leaderboard, target_create, target_update, with_attainment
from sencrm.sales.tests.test_forecast import closed


@pytest.fixture
def english():
    """Messages compared below are the English ones (the Vietnamese are in the catalogue)."""
    from django.utils import translation

    with translation.override("en"):
        yield


M = 1_000_000
UTC = datetime.UTC


def at(month, day, hour=3, minute=0):
    return datetime.datetime(2027, month, day, hour, minute, tzinfo=UTC)


def client_for(user, language="en") -> Client:
    User.objects.filter(pk=user.pk).update(language=language)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def won(org):
    p1 = Province.objects.get_or_create(code=9901, defaults={"name": "Tỉnh Một"})[0]
    p2 = Province.objects.get_or_create(code=9902, defaults={"name": "Tỉnh Hai"})[0]
    in_p1 = record_create(
        Account, by=org.alice, data={"name": "Công ty Hoa Sen", "owner": org.alice, "province": p1}
    )
    closed(org.alice, 60 * M, 5, at(3, 31, 17, 30), name="W1")
    closed(org.alice, 40 * M, 5, at(3, 31, 16, 30), name="W2", account=in_p1)
    closed(org.alice, 1000, 5, at(3, 15), name="WU", currency="USD")
    closed(org.bob, 25 * M, 5, at(1, 20), name="W3")
    closed(org.dave, 30 * M, 5, at(2, 10), name="WD")
    closed(org.mallory, 90 * M, 5, at(3, 10), name="WM")
    closed(org.alice, 70 * M, 6, at(3, 12), name="lost, never counts")
    return {"p1": p1, "p2": p2}


def target(
    by,
    subject="user",
    who=None,
    period="month",
    start=(2027, 3, 1),
    measure="revenue",
    value=100 * M,
    **extra,
):
    data = {
        "subject": subject,
        subject: who,
        "period": period,
        "start": datetime.date(*start),
        "measure": measure,
    }
    return target_create(by=by, data={**data, "value": value, **extra})


# --- attainment --------------------------------------------------------------------------------------


def test_attainment_counts_the_subjects_won_deals_of_the_period(org, won):
    march = target(org.carol, "user", org.alice)
    april = target(org.carol, "user", org.alice, start=(2027, 4, 1), value=50 * M)
    deals = target(org.carol, "user", org.alice, measure="count", value=4)
    team_q1 = target(org.carol, "team", org.team_hn, period="quarter", start=(2027, 1, 1), value=200 * M)
    branch_year = target(
        org.carol, "branch", org.hn, period="year", start=(2027, 1, 1), measure="count", value=10
    )
    province = target(org.carol, "user", org.alice, value=80 * M, province=won["p1"])
    elsewhere = target(org.carol, "user", org.alice, value=80 * M, province=won["p2"])
    zero = target(org.carol, "user", org.alice, start=(2027, 5, 1), value=0)

    rows = {
        t.pk: (t.attained, t.percent)
        for t in with_attainment([march, april, deals, team_q1, branch_year, province, elsewhere, zero])
    }

    # W2 closed on 31/3 in Hà Nội; W1 on 1/4. The USD deal is a deal but no VND revenue.
    assert rows[march.pk] == (40 * M, 40.0)
    assert rows[april.pk] == (60 * M, 120.0)
    assert rows[deals.pk] == (2, 50.0)
    # Team Hà Nội 1, Q1: W2 + W3 (W1 is April).
    assert rows[team_q1.pk] == (65 * M, 32.5)
    # Branch Hà Nội and Cầu Giấy below it, the year: W1, W2, WU, W3, WD (not mallory's).
    assert rows[branch_year.pk] == (5, 50.0)
    assert rows[province.pk] == (40 * M, 50.0)
    assert rows[elsewhere.pk] == (0, 0.0)
    assert rows[zero.pk] == (0, None)


def test_the_list_page_shows_attainment(org, won):
    target(org.carol, "user", org.alice)
    response = client_for(org.alice).get(reverse("sales:target_list"), {"year": 2027})
    assert response.status_code == 200
    [row] = response.context["targets"]
    assert (row.attained, row.percent) == (40 * M, 40.0)
    assert response.context["can_set"] is False


# --- who sets and who sees ------------------------------------------------------------------------------


@pytest.mark.usefixtures("english")
def test_managers_set_targets_within_their_scope_only(org):
    assert target(org.carol, "user", org.dave).owner_id == org.dave.pk
    assert target(org.carol, "team", org.team_cg).branch_id == org.cg.pk
    assert target(org.carol, "branch", org.cg).owner_id == org.carol.pk
    assert target(org.bob, "user", org.alice, value=1).team_id == org.team_hn.pk

    for by, subject, who in [
        (org.carol, "user", org.mallory),
        (org.carol, "team", org.team_sg),
        (org.carol, "branch", org.hcm),
        (org.bob, "user", org.dave),
        (org.alice, "user", org.alice),
    ]:
        with pytest.raises(ValidationError) as caught:
            target(by, subject, who, value=2)
        assert caught.value.message_dict == {
            subject: ["You may only set targets for people, teams or branches you manage."]
        }
    assert Target.objects.count() == 4


def test_each_role_sees_the_targets_of_its_scope(org):
    alices = target(org.carol, "user", org.alice)
    daves = target(org.carol, "user", org.dave)
    team = target(org.carol, "team", org.team_hn)
    hcm = target(org.erin, "branch", org.hcm)

    def seen(user):
        return set(Target.objects.visible_to(user).values_list("pk", flat=True))

    assert seen(org.alice) == {alices.pk}
    assert seen(org.bob) == {alices.pk, team.pk}
    assert seen(org.carol) == {alices.pk, daves.pk, team.pk}
    assert seen(org.mallory) == set()
    assert seen(org.erin) == {alices.pk, daves.pk, team.pk, hcm.pk}
    assert client_for(org.dave).get(f"/api/v1/targets/{alices.pk}").status_code == 404
    assert client_for(org.mallory).get(reverse("sales:target_edit", args=[alices.pk])).status_code == 404


def test_a_rep_may_not_set_or_change_targets(org):
    mine = target(org.carol, "user", org.alice)
    client = client_for(org.alice)
    assert client.get(reverse("sales:target_create")).status_code == 403
    body = {"subject": "user", "user_id": org.alice.pk, "period": "month", "start": "2027-03-01", "value": 1}
    response = client.post("/api/v1/targets", body, content_type="application/json")
    assert response.status_code == 403
    assert (
        client.patch(f"/api/v1/targets/{mine.pk}", {"value": 1}, content_type="application/json").status_code
        == 404
    )
    assert Target.objects.get().value == 100 * M


# --- bad input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"value": -1}, {"value": ["A target cannot be negative."]}),
        ({"end": "2027-02-28"}, {"end": ["The end of the period cannot be before its start."]}),
        ({"end": "2027-03-30"}, {"end": ["This period ends on 31/03/2027."]}),
        ({"start": "2027-03-02"}, {"start": ["A month target starts on the first day of a month."]}),
        (
            {"period": "quarter", "start": "2027-02-01"},
            {"start": ["A quarter target starts on 1 January, 1 April, 1 July or 1 October."]},
        ),
        ({"user_id": 999999}, {"user_id": ["No such choice, or you may not see it."]}),
        ({"user_id": None}, {"user_id": ["This field is required."]}),
    ],
)
def test_bad_targets_are_refused_naming_the_field(org, change, errors):
    body = {
        "subject": "user",
        "user_id": org.alice.pk,
        "period": "month",
        "start": "2027-03-01",
        "value": 5,
        **change,
    }
    response = client_for(org.carol).post("/api/v1/targets", body, content_type="application/json")

    assert response.status_code == 422, response.content
    assert response.json()["errors"] == errors
    assert not Target.objects.exists()


@pytest.mark.usefixtures("english")
def test_a_second_target_of_the_same_kind_is_refused(org):
    target(org.carol, "user", org.alice)
    with pytest.raises(ValidationError) as caught:
        target(org.carol, "user", org.alice, value=5)
    assert caught.value.message_dict == {
        "start": ["This subject already has a target of this kind for this period."]
    }


def test_the_form_shows_the_errors_and_saves_nothing(org):
    client = client_for(org.carol)
    data = {
        "subject": "user",
        "user": org.alice.pk,
        "period": "month",
        "start": "2027-03-01",
        "measure": "revenue",
        "value": "-5",
    }
    response = client.post(reverse("sales:target_create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["value"] == ["A target cannot be negative."]
    assert not Target.objects.exists()

    saved = client.post(reverse("sales:target_create"), {**data, "value": "150000000"})
    assert saved.status_code == 302
    assert Target.objects.get().end == datetime.date(2027, 3, 31)


# --- API ---------------------------------------------------------------------------------------------------


def test_the_api_sets_changes_lists_and_deletes_targets(org, won):
    client = client_for(org.carol)
    body = {
        "subject": "team",
        "team_id": org.team_hn.pk,
        "period": "quarter",
        "start": "2027-01-01",
        "value": 200 * M,
    }
    created = client.post("/api/v1/targets", body, content_type="application/json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["end"], data["attained"], data["percent"], data["team_id"], data["user_id"]) == (
        "2027-03-31", 65 * M, 32.5, org.team_hn.pk, None,
    )  # fmt: skip

    url = f"/api/v1/targets/{data['id']}"
    stale = client.patch(url, {"value": 1}, content_type="application/json", headers={"If-Match": '"9"'})
    assert stale.status_code == 412
    patched = client.patch(
        url, {"value": 130 * M}, content_type="application/json", headers={"If-Match": '"1"'}
    )
    assert (patched.status_code, patched.json()["percent"], patched["ETag"]) == (200, 50.0, '"2"')

    listed = client_for(org.bob).get("/api/v1/targets", {"year": 2027}).json()
    assert [(t["id"], t["attained"]) for t in listed["results"]] == [(data["id"], 65 * M)]
    assert client_for(org.alice).get("/api/v1/targets").json()["count"] == 0
    assert client.get("/api/v1/targets", {"q": "ha noi"}).json()["count"] == 1  # "Hà Nội 1", folded
    assert client.get("/api/v1/targets", {"q": "sai gon"}).json()["count"] == 0

    assert client.delete(url).status_code == 204
    assert Target.objects.alive().count() == 0
    assert Target.objects.deleted().count() == 1  # in the Trash


# --- home page widget and leaderboard ---------------------------------------------------------------------


def _home_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("crm:home")).status_code == 200
    return len(queries)


def test_the_home_page_shows_my_running_targets_at_a_fixed_query_cost(org):
    from django.utils import timezone

    today = timezone.localdate()
    month = (today.year, today.month, 1)
    client = client_for(org.alice, "vi")
    without = _home_queries(client)
    response = client.get(reverse("crm:home"))
    assert 'data-testid="home-targets"' not in response.content.decode()

    mine = target(org.carol, "user", org.alice, start=month, value=20 * M)
    closed(org.alice, 5 * M, 5, timezone.now(), name="Hôm nay")
    one = _home_queries(client)
    target(org.carol, "user", org.alice, start=month, measure="count", value=4)
    target(org.carol, "user", org.bob, start=month)  # bob's: not on alice's page
    three = _home_queries(client)

    assert one == three == without + 2  # the targets, then one aggregate for all their figures
    html = client.get(reverse("crm:home")).content.decode()
    assert html.count('data-testid="home-target"') == 2
    assert f'data-target="{mine.pk}"' in html
    assert "25.0 %" in html or "25,0 %" in html


def test_the_leaderboard_ranks_the_managers_reps(org, won):
    target(org.carol, "user", org.alice)  # March: 40 M of 100 M
    target(org.carol, "user", org.dave, value=20 * M)  # nothing won in March
    rows = leaderboard(org.carol, start=datetime.date(2027, 3, 1), end=datetime.date(2027, 3, 31))

    assert [
        (r["user"].username, r["won_amount"], r["won_count"], r["target"], r["percent"]) for r in rows[:2]
    ] == [
        ("alice", 40 * M, 2, 100 * M, 40.0),
        ("dave", 0, 0, 20 * M, 0.0),
    ]
    assert "mallory" not in {r["user"].username for r in rows}
    assert {r["user"].username for r in rows[2:]} == {"bob", "carol", "viewer", "noright"}

    page = client_for(org.carol).get(reverse("sales:target_leaderboard"), {"start": "2027-03-01"})
    assert page.status_code == 200 and page.context["label"] == "03/2027"
    assert client_for(org.alice).get(reverse("sales:target_leaderboard")).status_code == 404


def test_changing_a_target_keeps_it_in_scope(org):
    alices = target(org.carol, "user", org.alice)
    with pytest.raises(ValidationError):
        target_update(target=alices, by=org.carol, data={"user": org.mallory})
    assert Target.objects.get(pk=alices.pk).owner_id == org.alice.pk


def test_the_target_pages_render_for_a_manager(org):
    mine = target(org.carol, "user", org.alice)
    client = client_for(org.carol, "vi")
    page = client.get(reverse("sales:target_create"))
    assert page.status_code == 200
    # The person choices are carol's branch and below: no mallory.
    people = {u.username for u in page.context["form"].fields["user"].queryset}
    assert "mallory" not in people and {"alice", "dave"} <= people
    edit = client.get(reverse("sales:target_edit", args=[mine.pk]))
    assert edit.status_code == 200 and edit.context["form"].initial["user"] == org.alice.pk
    stale = client.post(
        reverse("sales:target_edit", args=[mine.pk]),
        {"subject": "user", "user": org.alice.pk, "period": "month", "start": "2027-03-01",
         "measure": "revenue", "value": "7", "version": "99"},
    )  # fmt: skip
    assert stale.status_code == 409
    assert Target.objects.get(pk=mine.pk).value == 100 * M
    assert client.post(reverse("sales:target_delete", args=[mine.pk])).status_code == 302
    assert Target.objects.deleted().get().pk == mine.pk


def test_the_demo_sets_targets_and_a_playbook_once(db):
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    from sencrm.sales.models import StagePlaybook

    call_command("demo", size=0.02, stdout=StringIO())
    reps = User.objects.filter(role__scope="own", team__isnull=False, is_active=True).count()
    monthly = Target.objects.filter(subject="user", period="month", measure="revenue").count()
    quarterly = Target.objects.filter(subject="team", period="quarter").count()
    assert reps > 0 and monthly == reps * 14
    today = timezone.localdate()
    months = [(today.year * 12 + today.month - 1 + k) for k in range(-11, 3)]
    quarters = {(m // 12, (m % 12) // 3) for m in months}
    teams = User.objects.filter(role__scope="own", team__isnull=False).values("team").distinct().count()
    assert quarterly == teams * len(quarters)
    assert Target.objects.filter(value__lt=50 * M).count() == 0
    playbook = StagePlaybook.objects.get(stage__name="Nhận yêu cầu báo giá", stage__pipeline__is_default=True)
    assert playbook.tasks.filter(assignee="manager", min_amount=1_000_000_000).count() == 1

    from sencrm.sales.demo_planning import build_planning_demo

    assert build_planning_demo(seed=1) == {"targets": 0, "playbooks": 0}
