"""The forecast: weighted pipeline and categories by month and quarter, won revenue and win rate
in Hà Nội time, per rep, stage conversion, visibility per role, the page, the API, query counts.

The data set (all 2027, VND unless said; stages of the default pipeline: 0 = 10 %, 1 = 20 %,
2 = 40 %, 3 = 60 %, 4 = 80 %, 5 = won, 6 = lost; commit from 80 %, best case from 50 %):

open, by expected close                      closed, by closing moment
  A1 alice 100 M st.4 15/1  commit              W1 alice won 60 M  31/3 17:30 UTC = 1/4 00:30 HN
  A2 alice  50 M st.3 31/1  best case           W2 alice won 40 M  31/3 16:30 UTC = 31/3 23:30 HN
  A5 alice  10 M st.4 25/1  omitted (by hand)   L1 alice lost      10/3
  A3 alice  20 M st.0  1/2  pipeline            W3 bob   won 25 M  20/1
  A4 alice  30 M st.1  1/4  commit (by hand)    L2 dave  lost       5/4
  AU alice 1000 USD st.4 20/1 (left out)
  B1 bob    40 M st.2 10/1  pipeline
  D1 dave  200 M st.4 20/3  commit
  M1 mallory 70 M st.4 5/1  commit
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from sencrm.crm.models import Opportunity, Stage
from sencrm.crm.services.opportunities import default_pipeline, opportunity_create, opportunity_move
from sencrm.sales.models import ForecastCategory, OpportunityForecast
from sencrm.sales.services.forecast import (
    ForecastFilter,
    forecast_by_group,
    forecast_by_period,
    forecast_category_set,
    forecast_total,
    stage_conversion,
)

BACKEND = "django.contrib.auth.backends.ModelBackend"
M = 1_000_000
UTC = datetime.UTC


def stage(position: int) -> Stage:
    return Stage.objects.get(pipeline=default_pipeline(), position=position)


def deal(owner, amount, position=0, close=None, *, currency="VND", name="Cơ hội", **extra) -> Opportunity:
    st = stage(position)
    data = {
        "name": name,
        "amount": amount,
        "owner": owner,
        "stage": st,
        "expected_close": close,
        "currency": currency,
        **extra,
    }
    if st.kind == Stage.Kind.LOST:
        data["lost_reason"] = "Giá cao hơn đối thủ"
    return opportunity_create(by=owner, data=data)


def closed(owner, amount, position, at: datetime.datetime, **extra) -> Opportunity:
    opp = deal(owner, amount, position, **extra)
    Opportunity.objects.filter(pk=opp.pk).update(closed_at=at)
    return opp


def d(month, day, year=2027):
    return datetime.date(year, month, day)


@pytest.fixture
def data(org):
    a1 = deal(org.alice, 100 * M, 4, d(1, 15), name="A1")
    deal(org.alice, 50 * M, 3, d(1, 31), name="A2")
    a5 = deal(org.alice, 10 * M, 4, d(1, 25), name="A5")
    deal(org.alice, 20 * M, 0, d(2, 1), name="A3")
    a4 = deal(org.alice, 30 * M, 1, d(4, 1), name="A4")
    deal(org.alice, 1000, 4, d(1, 20), currency="USD", name="AU")
    deal(org.bob, 40 * M, 2, d(1, 10), name="B1")
    deal(org.dave, 200 * M, 4, d(3, 20), name="D1")
    deal(org.mallory, 70 * M, 4, d(1, 5), name="M1")
    forecast_category_set(opportunity=a5, category=ForecastCategory.OMITTED, by=org.alice)
    forecast_category_set(opportunity=a4, category=ForecastCategory.COMMIT, by=org.alice)
    closed(org.alice, 60 * M, 5, datetime.datetime(2027, 3, 31, 17, 30, tzinfo=UTC), name="W1")
    closed(org.alice, 40 * M, 5, datetime.datetime(2027, 3, 31, 16, 30, tzinfo=UTC), name="W2")
    closed(org.alice, 5 * M, 6, datetime.datetime(2027, 3, 10, 3, 0, tzinfo=UTC), name="L1")
    closed(org.bob, 25 * M, 5, datetime.datetime(2027, 1, 20, 3, 0, tzinfo=UTC), name="W3")
    closed(org.dave, 15 * M, 6, datetime.datetime(2027, 4, 5, 3, 0, tzinfo=UTC), name="L2")
    return {"a1": a1, "a4": a4, "a5": a5}


def year(granularity="month", **kwargs) -> ForecastFilter:
    return ForecastFilter(start=d(1, 1), end=d(12, 31), granularity=granularity, **kwargs)


def by_label(rows):
    return {f.label: f for f in rows}


FIELDS = ("open_count", "open_amount", "weighted", "commit", "best_case", "pipeline", "omitted")


def figures(f, names=FIELDS):
    return tuple(getattr(f, n) for n in names)


# --- figures -----------------------------------------------------------------------------------------


def test_it_weighs_and_categorises_a_reps_open_deals_by_month(org, data):
    rows = by_label(forecast_by_period(org.alice, year()))

    assert list(rows) == [f"{m:02d}/2027" for m in range(1, 13)]
    # January: A1 100 M × 80 % + A2 50 M × 60 % (A5 omitted by hand, the USD deal left out).
    assert figures(rows["01/2027"]) == (3, 160 * M, 110 * M, 100 * M, 50 * M, 0, 10 * M)
    assert figures(rows["02/2027"]) == (1, 20 * M, 2 * M, 0, 0, 20 * M, 0)
    # A4 is at 20 % but its owner put it in commit.
    assert figures(rows["04/2027"]) == (1, 30 * M, 6 * M, 30 * M, 0, 0, 0)
    assert figures(rows["05/2027"]) == (0, 0, 0, 0, 0, 0, 0)


def test_it_counts_won_revenue_and_win_rate_by_month_in_hanoi_time(org, data):
    rows = by_label(forecast_by_period(org.alice, year()))

    won = ("won_count", "won_amount", "lost_count")
    # W2 closed 23:30 on 31/3 in Hà Nội: March; W1 00:30 on 1/4 in Hà Nội (still 31/3 in UTC): April.
    assert figures(rows["03/2027"], won) == (1, 40 * M, 1)
    assert rows["03/2027"].win_rate == 50.0
    assert figures(rows["04/2027"], won) == (1, 60 * M, 0)
    assert rows["04/2027"].win_rate == 100.0
    assert rows["01/2027"].win_rate is None  # nothing of alice's closed in January


def test_it_buckets_by_quarter(org, data):
    rows = by_label(forecast_by_period(org.alice, year("quarter")))

    assert list(rows) == ["Q1/2027", "Q2/2027", "Q3/2027", "Q4/2027"]
    assert figures(rows["Q1/2027"]) == (4, 180 * M, 112 * M, 100 * M, 50 * M, 20 * M, 10 * M)
    assert (rows["Q1/2027"].won_amount, rows["Q1/2027"].win_rate) == (40 * M, 50.0)
    assert figures(rows["Q2/2027"]) == (1, 30 * M, 6 * M, 30 * M, 0, 0, 0)
    assert (rows["Q2/2027"].won_amount, rows["Q2/2027"].win_rate) == (60 * M, 100.0)
    total = forecast_total(list(rows.values()))
    assert (total.weighted, total.won_amount, total.won_count, total.lost_count) == (118 * M, 100 * M, 2, 1)
    assert total.win_rate == 66.7


def test_a_branch_manager_sees_the_branch_and_below_a_director_everything(org, data):
    carol = by_label(forecast_by_period(org.carol, year()))
    # Alice's January plus bob's B1 (40 M × 40 %): mallory's HCM deal is not carol's.
    assert figures(carol["01/2027"]) == (4, 200 * M, 126 * M, 100 * M, 50 * M, 40 * M, 10 * M)
    assert (carol["01/2027"].won_amount, carol["01/2027"].win_rate) == (25 * M, 100.0)
    assert figures(carol["03/2027"]) == (1, 200 * M, 160 * M, 200 * M, 0, 0, 0)
    assert carol["04/2027"].win_rate == 50.0  # W1 won, dave's L2 lost

    erin = by_label(forecast_by_period(org.erin, year()))
    assert erin["01/2027"].commit == 170 * M

    bob = by_label(forecast_by_period(org.bob, year()))  # scope team: alice and bob
    assert figures(bob["01/2027"]) == (4, 200 * M, 126 * M, 100 * M, 50 * M, 40 * M, 10 * M)
    assert bob["03/2027"].commit == 0  # dave is in another team

    mallory = by_label(forecast_by_period(org.mallory, year()))
    assert figures(mallory["01/2027"]) == (1, 70 * M, 56 * M, 70 * M, 0, 0, 0)
    assert mallory["03/2027"].won_amount == 0


def test_a_filter_outside_the_scope_finds_nothing(org, data):
    # Alice asks for dave's figures: she may not see his deals, so they stay out.
    rows = forecast_by_period(org.alice, year(owner_id=org.dave.pk))
    assert forecast_total(rows).open_amount == 0
    # Carol narrows to the Cầu Giấy branch: dave's deals only.
    rows = forecast_by_period(org.carol, year(branch_id=org.cg.pk))
    assert (forecast_total(rows).commit, forecast_total(rows).lost_count) == (200 * M, 1)


def test_it_compares_reps(org, data):
    rows = {f.label: f for f in forecast_by_group(org.carol, year(), "owner")}

    assert set(rows) == {str(org.alice), str(org.bob), str(org.dave)}
    alice, bob, dave = rows[str(org.alice)], rows[str(org.bob)], rows[str(org.dave)]
    assert (alice.won_amount, alice.weighted, alice.win_rate) == (100 * M, 118 * M, 66.7)
    assert (bob.won_amount, bob.weighted, bob.win_rate) == (25 * M, 16 * M, 100.0)
    assert (dave.won_amount, dave.weighted, dave.win_rate) == (0, 160 * M, 0.0)
    teams = {f.key: f for f in forecast_by_group(org.carol, year(), "team")}
    assert teams[org.team_hn.pk].won_amount == 125 * M
    assert teams[org.team_cg.pk].commit == 200 * M


def test_it_measures_stage_to_stage_conversion_from_the_history(org):
    today = timezone.localdate()
    x = deal(org.alice, 10 * M, 0, name="X")
    y = deal(org.alice, 10 * M, 0, name="Y")
    z = deal(org.alice, 10 * M, 0, name="Z")
    deal(org.alice, 10 * M, 0, name="W")
    for position in (1, 2, 5):
        x = opportunity_move(opportunity=x, stage=stage(position), by=org.alice)
    y = opportunity_move(opportunity=y, stage=stage(1), by=org.alice)
    opportunity_move(opportunity=y, stage=stage(6), by=org.alice, lost_reason="Hết ngân sách")
    opportunity_move(opportunity=z, stage=stage(3), by=org.alice)  # skips two stages
    deal(org.mallory, 10 * M, 4, name="not carol's")

    flt = ForecastFilter(start=d(1, 1, today.year), end=d(12, 31, today.year))
    steps = stage_conversion(org.carol, flt, default_pipeline())

    assert [(s.stage.position, s.reached, s.next_rate) for s in steps] == [
        (0, 4, 75.0),
        (1, 3, 66.7),
        (2, 2, 100.0),
        (3, 2, 50.0),
        (4, 1, 100.0),
        (5, 1, None),
    ]
    # Another year's cohort is empty.
    last_year = ForecastFilter(start=d(1, 1, today.year - 1), end=d(12, 31, today.year - 1))
    assert [s.reached for s in stage_conversion(org.carol, last_year, default_pipeline())] == [0] * 6


def test_the_forecast_category_follows_the_probability_until_chosen(org, client):
    opp = deal(org.alice, 10 * M, 3, d(1, 10))
    client.force_login(org.alice, backend=BACKEND)
    url = f"/api/v1/opportunities/{opp.pk}/forecast-category"

    assert client.get(url).json() == {"category": "best_case", "chosen": False}
    response = client.put(url, {"category": "commit"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert client.get(url).json() == {"category": "commit", "chosen": True}
    assert client.put(url, {"category": "sure"}, content_type="application/json").status_code == 422
    client.put(url, {"category": None}, content_type="application/json")
    assert client.get(url).json() == {"category": "best_case", "chosen": False}
    # Bob may see alice's deal but mallory may not: 404, and nothing changes.
    client.force_login(org.mallory, backend=BACKEND)
    assert client.put(url, {"category": "omitted"}, content_type="application/json").status_code == 404
    assert not OpportunityForecast.objects.filter(opportunity=opp).exists()


# --- page and API --------------------------------------------------------------------------------------


def test_the_page_shows_the_figures_within_the_scope(org, data, client):
    client.force_login(org.carol, backend=BACKEND)
    response = client.get(reverse("sales:forecast"), {"year": 2027, "granularity": "quarter"})

    assert response.status_code == 200
    totals = {f.label: f for f in response.context["periods"]}
    assert totals["Q1/2027"].weighted == 126 * M + 2 * M + 160 * M
    assert response.context["total"].won_amount == 125 * M
    html = response.content.decode()
    assert 'data-testid="forecast-chart"' in html
    assert html.count('data-testid="chart-bar"') == 4
    # The owner filter offers only people of carol's branch and below.
    owners = {u.username for u in response.context["form"].fields["owner"].queryset}
    assert "mallory" not in owners and {"alice", "bob", "dave", "carol"} <= owners


def test_the_page_needs_the_right_to_see_deals(org, client):
    client.force_login(org.noright, backend=BACKEND)
    assert client.get(reverse("sales:forecast")).status_code == 403


def test_the_page_costs_the_same_queries_whatever_the_data(org, data, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(org.carol, backend=BACKEND)
    url = reverse("sales:forecast")
    with CaptureQueriesContext(connection) as first:
        assert client.get(url, {"year": 2027}).status_code == 200
    for i in range(6):
        deal([org.alice, org.bob, org.dave][i % 3], (i + 1) * M, i % 5, d(i + 1, 3), name=f"More {i}")
    with CaptureQueriesContext(connection) as second:
        assert client.get(url, {"year": 2027}).status_code == 200
    # Session, user, role; pipelines; the filter's branches below, people, teams, branches; two
    # queries by period, two by rep and the reps' names; stages and one aggregate for the funnel;
    # the unread count of the menu.
    assert len(first) == len(second) == 17, [q["sql"][:80] for q in first]


def test_the_api_answers_the_figures(org, data, client):
    client.force_login(org.alice, backend=BACKEND)

    body = client.get("/api/v1/forecast", {"year": 2027, "granularity": "quarter"}).json()
    assert [p["label"] for p in body["periods"]] == ["Q1/2027", "Q2/2027", "Q3/2027", "Q4/2027"]
    q1 = body["periods"][0]
    assert (q1["key"], q1["weighted"], q1["commit"], q1["won_amount"], q1["win_rate"]) == (
        "2027-01-01",
        112 * M,
        100 * M,
        40 * M,
        50.0,
    )
    assert body["total"]["won_amount"] == 100 * M

    groups = client.get("/api/v1/forecast/groups", {"year": 2027, "group": "owner"}).json()
    assert [(g["key"], g["won_amount"]) for g in groups["results"]] == [(org.alice.pk, 100 * M)]

    conversion = client.get("/api/v1/forecast/conversion", {"year": 2027}).json()
    assert [s["stage"] for s in conversion["steps"]][:2] == ["Tìm kiếm khách hàng", "Xác định nhu cầu"]

    bad = client.get("/api/v1/forecast", {"granularity": "week"})
    assert bad.status_code == 422 and "granularity" in bad.json()["errors"]
    assert client.get("/api/v1/forecast/groups", {"group": "planet"}).status_code == 422


def test_the_api_needs_the_right_to_see_deals(org, data, client):
    client.force_login(org.noright, backend=BACKEND)
    assert client.get("/api/v1/forecast", {"year": 2027}).status_code == 403
    client.logout()
    assert client.get("/api/v1/forecast").status_code == 401


def test_the_deal_page_sets_the_forecast_category(org, client):
    opp = deal(org.alice, 10 * M, 4, d(1, 10))
    client.force_login(org.alice, backend=BACKEND)
    page = client.get(reverse("crm:opportunity_detail", args=[opp.pk]))
    assert 'data-category="commit"' in page.content.decode()

    response = client.post(
        reverse("sales:forecast_category", args=[opp.pk]), {"category": "best_case"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert 'data-category="best_case"' in response.content.decode()
    assert OpportunityForecast.objects.get(opportunity=opp).category == "best_case"
    bad = client.post(
        reverse("sales:forecast_category", args=[opp.pk]), {"category": "x"}, HTTP_HX_REQUEST="true"
    )
    assert bad.status_code == 422
    assert OpportunityForecast.objects.get(opportunity=opp).category == "best_case"
