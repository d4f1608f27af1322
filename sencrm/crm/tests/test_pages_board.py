"""The kanban board: columns, totals, moves (allowed and refused), "show more", query budget."""

import json

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from sencrm.core.services.records import record_create
from sencrm.crm.models import Account, Opportunity, Pipeline, Stage, StageChange
from sencrm.crm.services.opportunities import default_pipeline, opportunity_create

BACKEND = "django.contrib.auth.backends.ModelBackend"


def vi(msgid: str) -> str:
    """A message as the Vietnamese UI shows it, translated or not yet."""
    with translation.override("vi"):
        return gettext(msgid)


HTMX = {"HTTP_HX_REQUEST": "true"}
STAGE_NAMES = [
    "Tìm kiếm khách hàng",
    "Xác định nhu cầu",
    "Đánh giá",
    "Nhận yêu cầu báo giá",
    "Đã gửi báo giá",
    "Thành công",
    "Thất bại",
]


def login(client, user):
    client.force_login(user, backend=BACKEND)
    return client


def stage(position, pipeline=None):
    return Stage.objects.get(pipeline=pipeline or default_pipeline(), position=position)


def deal(user, name, amount, position=0, **extra):
    return opportunity_create(
        by=user, data={"name": name, "amount": amount, "stage": stage(position), **extra}
    )


def move(client, opportunity, target, version=None, **extra):
    data = {
        "opportunity": opportunity.pk,
        "stage": target.pk,
        "version": opportunity.version if version is None else version,
        **extra,
    }
    return client.post(reverse("crm:opportunity_board_move"), data, **HTMX)


def placed(response) -> dict:
    return json.loads(response["HX-Trigger"])["boardPlace"]


def column(response, position):
    return response.context["columns"][position]


# --- columns and totals ---------------------------------------------------------------------------


def test_it_shows_one_column_per_stage_with_count_and_total(client, org):
    account = record_create(Account, by=org.alice, data={"name": "Công ty Hoa Sen"})
    deal(org.alice, "Hoa Sen — máy lọc nước", 1_000_000, account=account)
    deal(org.alice, "Hoa Sen — bảo trì", 250_000)
    deal(org.alice, "Hoa Sen — mở rộng", 7_000_000, 2)
    deal(org.mallory, "Sài Gòn — không thấy", 99_000_000)

    response = login(client, org.alice).get(reverse("crm:opportunity_board"))

    assert response.status_code == 200
    columns = response.context["columns"]
    assert [c.stage.name for c in columns] == STAGE_NAMES
    assert [c.totals.count for c in columns] == [2, 0, 1, 0, 0, 0, 0]
    assert columns[0].totals.amounts == [("VND", 1_250_000)]
    assert [o.name for o in columns[0].cards] == ["Hoa Sen — máy lọc nước", "Hoa Sen — bảo trì"]
    body = response.content.decode()
    assert "1.250.000\xa0₫" in body
    assert "Công ty Hoa Sen" in body
    assert "Sài Gòn — không thấy" not in body and "99.000.000" not in body
    assert body.count('data-testid="board-card"') == 3
    assert body.count('data-testid="board-card-stage"') == 3  # the keyboard/phone fallback
    assert 'src="/static/vendor/sortablejs/Sortable.min.js"' in body


def test_it_filters_my_deals(client, org):
    deal(org.alice, "Của Ánh", 1_000_000)
    deal(org.bob, "Của Bình", 2_000_000)
    login(client, org.bob)

    everyone = client.get(reverse("crm:opportunity_board"))
    mine = client.get(reverse("crm:opportunity_board"), {"owner": "me"})

    assert [o.name for o in column(everyone, 0).cards] == ["Của Bình", "Của Ánh"]
    assert column(everyone, 0).totals.amounts == [("VND", 3_000_000)]
    assert [o.name for o in column(mine, 0).cards] == ["Của Bình"]
    assert column(mine, 0).totals.amounts == [("VND", 2_000_000)]


def test_it_shows_the_pipeline_asked_for(client, org):
    default = default_pipeline()
    other = Pipeline.objects.create(name="Dự án", position=1)
    Stage.objects.create(pipeline=other, name="Khảo sát", position=0)
    Stage.objects.create(pipeline=other, name="Ký hợp đồng", position=1, kind=Stage.Kind.WON, probability=100)
    login(client, org.alice)

    assert client.get(reverse("crm:opportunity_board")).context["pipeline"] == default
    response = client.get(reverse("crm:opportunity_board"), {"pipeline": other.pk})
    assert [c.stage.name for c in response.context["columns"]] == ["Khảo sát", "Ký hợp đồng"]
    assert client.get(reverse("crm:opportunity_board"), {"pipeline": "x"}).context["pipeline"] == default


def test_a_viewer_sees_the_board_without_move_controls(client, org):
    deal(org.alice, "Hoa Sen", 1_000_000)

    response = login(client, org.viewer).get(reverse("crm:opportunity_board"))

    body = response.content.decode()
    assert body.count('data-testid="board-card"') == 1
    assert 'data-testid="board-card-stage"' not in body
    assert "data-can-change" not in body


def test_a_user_without_the_right_gets_403(client, org):
    assert login(client, org.noright).get(reverse("crm:opportunity_board")).status_code == 403


# --- moves ----------------------------------------------------------------------------------------


def test_it_moves_a_deal_and_answers_the_new_totals(client, org):
    opportunity = deal(org.alice, "Hoa Sen", 1_250_000)
    deal(org.alice, "Sen Vàng", 500_000)
    won = stage(5)

    response = move(login(client, org.alice), opportunity, won)

    assert response.status_code == 200
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.status, opportunity.probability) == (won, "won", 100)
    assert opportunity.version == 2
    assert opportunity.closed_at is not None
    assert list(
        StageChange.objects.filter(opportunity=opportunity).values_list("to_stage__name", flat=True)
    ) == [
        "Thành công",
        "Tìm kiếm khách hàng",
    ]
    assert placed(response) == {"id": opportunity.pk, "stage": won.pk, "version": 2, "ok": True}
    body = response.content.decode()
    # Every column header comes back out of band, with the new numbers.
    assert body.count('hx-swap-oob="true" data-testid="board-column-head"') == 7
    heads = {h["stage"].pk: h["totals"] for h in response.context["heads"]}
    assert (heads[stage(0).pk].count, heads[stage(0).pk].amounts) == (1, [("VND", 500_000)])
    assert (heads[won.pk].count, heads[won.pk].amounts) == (1, [("VND", 1_250_000)])
    assert "500.000\xa0₫" in body and "1.250.000\xa0₫" in body
    assert 'data-testid="board-moved"' in body


def test_a_stale_version_is_refused_and_nothing_changes(client, org):
    opportunity = deal(org.alice, "Hoa Sen", 1_000_000)

    response = move(login(client, org.alice), opportunity, stage(3), version=opportunity.version + 1)

    assert response.status_code == 409
    assert placed(response) == {"id": opportunity.pk, "stage": None, "version": None, "ok": False}
    assert (
        escape(
            vi(
                "Someone else changed “%(name)s” meanwhile, so it was not moved. "
                "Reload the board to see the latest state."
            )
            % {"name": "Hoa Sen"}
        )
        in response.content.decode()
    )
    assert 'data-testid="board-error"' in response.content.decode()
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.version) == (stage(0), 1)
    assert StageChange.objects.filter(opportunity=opportunity).count() == 1


@pytest.mark.parametrize("persona", ["mallory", "viewer", "dave"])
def test_a_move_out_of_scope_is_404_and_nothing_changes(client, org, persona):
    opportunity = deal(org.alice, "Hoa Sen", 1_000_000)

    response = move(login(client, getattr(org, persona)), opportunity, stage(5))

    assert response.status_code == 404
    assert placed(response)["ok"] is False
    assert "Hoa Sen" not in response.content.decode()
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.status, opportunity.version) == (stage(0), "open", 1)


def test_a_stage_of_another_pipeline_is_refused(client, org):
    opportunity = deal(org.alice, "Hoa Sen", 1_000_000)
    other = Pipeline.objects.create(name="Dự án", position=1)
    foreign = Stage.objects.create(pipeline=other, name="Khảo sát", position=0)

    response = move(login(client, org.alice), opportunity, foreign)

    assert response.status_code == 422
    assert vi("This stage belongs to another pipeline.") in response.content.decode()
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.version) == (stage(0), 1)


def test_a_missing_stage_is_refused(client, org):
    opportunity = deal(org.alice, "Hoa Sen", 1_000_000)
    login(client, org.alice)

    response = client.post(
        reverse("crm:opportunity_board_move"), {"opportunity": opportunity.pk, "stage": "999999"}, **HTMX
    )

    assert response.status_code == 422
    opportunity.refresh_from_db()
    assert opportunity.stage == stage(0)


def test_a_lost_deal_needs_a_reason(client, org):
    opportunity = deal(org.alice, "Hoa Sen", 1_000_000)
    lost = stage(6)
    login(client, org.alice)

    response = move(client, opportunity, lost)
    assert response.status_code == 422
    assert vi("Say why the deal was lost.") in response.content.decode()
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.status, opportunity.version) == (stage(0), "open", 1)

    response = move(client, opportunity, lost, lost_reason="Giá cao hơn đối thủ")
    assert response.status_code == 200
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.status, opportunity.lost_reason) == (
        lost,
        "lost",
        "Giá cao hơn đối thủ",
    )


def test_a_plain_form_post_redirects_back_to_the_board(client, org):
    opportunity = deal(org.alice, "Hoa Sen", 1_000_000)
    login(client, org.alice)

    response = client.post(
        reverse("crm:opportunity_board_move"),
        {"opportunity": opportunity.pk, "stage": stage(1).pk, "version": 1, "owner": "me"},
    )

    assert response.status_code == 302
    assert (
        response["Location"]
        == f"{reverse('crm:opportunity_board')}?pipeline={default_pipeline().pk}&owner=me"
    )
    opportunity.refresh_from_db()
    assert opportunity.stage == stage(1)


def test_the_move_needs_post(client, org):
    assert login(client, org.alice).get(reverse("crm:opportunity_board_move")).status_code == 405


# --- many deals -----------------------------------------------------------------------------------


def _many(org, n: int) -> None:
    pipeline = default_pipeline()
    first = stage(0)
    account = record_create(Account, by=org.alice, data={"name": "Công ty Hoa Sen"})
    Opportunity.objects.bulk_create(
        Opportunity(
            name=f"Cơ hội {i:03}",
            amount=1_000_000 + i,
            owner=org.alice,
            team=org.team_hn,
            branch=org.hn,
            pipeline=pipeline,
            stage=first if i % 2 == 0 else stage(2),
            account=account,
        )
        for i in range(n)
    )


def test_a_column_shows_50_cards_and_a_show_more_button(client, org):
    _many(org, 130)  # 65 in the first column, 65 in the third
    login(client, org.alice)

    response = client.get(reverse("crm:opportunity_board"))
    first = column(response, 0)
    assert (first.totals.count, len(first.cards), first.has_more) == (65, 50, True)
    assert first.cards[0].amount == 1_000_128  # biggest first
    assert response.content.decode().count('data-testid="board-more"') == 2

    more = client.get(reverse("crm:opportunity_board_more"), {"stage": stage(0).pk, "offset": 50}, **HTMX)
    assert more.status_code == 200
    assert more.content.decode().count('data-testid="board-card"') == 15
    assert 'data-testid="board-more"' not in more.content.decode()  # nothing left to show
    shown = {o.pk for o in first.cards} | {o.pk for o in more.context["cards"]}
    assert len(shown) == 65


# Session, user, role; unread count (menu); pipelines, stages, totals (one aggregate), then the
# cards of each stage holding deals (one indexed query per column: a window function numbering every
# deal of the pipeline reads them all). ``_many`` fills two stages.
BOARD_QUERIES = 9


@pytest.mark.parametrize("n", [4, 130])
def test_the_board_query_count_does_not_grow_with_cards(client, org, django_assert_num_queries, n):
    _many(org, n)
    login(client, org.alice)

    with django_assert_num_queries(BOARD_QUERIES):
        response = client.get(reverse("crm:opportunity_board"))

    assert sum(c.totals.count for c in response.context["columns"]) == n


# Session, user, role; the stage; the deal (for change); the move (record_update: lock, tags,
# full_clean's foreign-key checks, save, version, audit, search index; stage history; the stage
# entry hooks: one query for the stage's playbook, issue 5); totals, stages; unread count.
MOVE_QUERIES = 27


def test_the_move_query_count_is_fixed(client, org, django_assert_max_num_queries):
    _many(org, 20)
    opportunity = Opportunity.objects.filter(owner=org.alice).first()
    target = stage(4)
    login(client, org.alice)

    with django_assert_max_num_queries(MOVE_QUERIES):
        response = move(client, opportunity, target)

    assert response.status_code == 200
