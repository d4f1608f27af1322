"""Opportunity pages: stage bar, won/lost, stage history, weighted amount."""

from sencrm.crm.models import Opportunity, Stage, StageChange
from sencrm.crm.services.opportunities import pipeline_create_default
from sencrm.crm.tests.views_support import login, make, url


def _deal(org, **data):
    pipeline_create_default()
    return make("opportunity", org.alice, "Deal lớn", amount=200_000_000, **data)


def test_detail_shows_amounts_stages_and_history(client, org):
    deal = _deal(org)
    login(client, org.alice, language="vi")
    html = client.get(url("opportunity", "detail", deal.pk)).content.decode()
    assert "200.000.000\u00a0₫" in html and "20.000.000\u00a0₫" in html  # amount, weighted at 10 %
    assert 'data-testid="stage-history"' in html and "Tìm kiếm khách hàng" in html
    assert 'data-testid="won"' in html and 'data-testid="lost"' in html


def test_won_closes_the_deal_and_records_the_move(client, org):
    deal = _deal(org)
    login(client, org.alice)

    response = client.post(url("opportunity", "move", deal.pk), {"outcome": "won", "version": deal.version})

    assert response.status_code == 302 and response.url == deal.get_absolute_url()
    deal.refresh_from_db()
    assert deal.status == "won" and deal.stage.kind == "won" and deal.probability == 100
    assert deal.closed_at is not None
    assert StageChange.objects.filter(opportunity=deal).count() == 2
    html = client.get(url("opportunity", "detail", deal.pk)).content.decode()
    assert 'data-testid="reopen"' in html and "Thành công" in html


def test_lost_needs_a_reason(client, org):
    deal = _deal(org)
    login(client, org.alice)

    refused = client.post(
        url("opportunity", "move", deal.pk), {"outcome": "lost", "lost_reason": "  "}, follow=True
    )
    deal.refresh_from_db()
    assert deal.status == "open"
    assert "Say why the deal was lost." in refused.content.decode()

    client.post(
        url("opportunity", "move", deal.pk), {"outcome": "lost", "lost_reason": "Giá cao hơn đối thủ"}
    )
    deal.refresh_from_db()
    assert deal.status == "lost" and deal.lost_reason == "Giá cao hơn đối thủ"


def test_reopen_and_move_to_a_stage(client, org):
    deal = _deal(org)
    login(client, org.alice)
    client.post(url("opportunity", "move", deal.pk), {"outcome": "won"})
    client.post(url("opportunity", "move", deal.pk), {"outcome": "reopen"})
    deal.refresh_from_db()
    assert deal.status == "open" and deal.closed_at is None
    third = Stage.objects.get(pipeline=deal.pipeline, position=2)
    client.post(url("opportunity", "move", deal.pk), {"stage": third.pk})
    deal.refresh_from_db()
    assert deal.stage == third and deal.probability == third.probability


def test_a_stale_move_changes_nothing(client, org):
    deal = _deal(org)
    login(client, org.alice)
    response = client.post(
        url("opportunity", "move", deal.pk), {"outcome": "won", "version": 99}, follow=True
    )
    deal.refresh_from_db()
    assert deal.status == "open" and deal.version == 1
    assert "Someone else changed this deal meanwhile" in response.content.decode()


def test_a_stage_of_another_pipeline_is_refused(client, org):
    from sencrm.crm.models import Pipeline

    deal = _deal(org)
    other = Pipeline.objects.create(name="Dự án")
    foreign = Stage.objects.create(pipeline=other, name="Khảo sát", position=0)
    login(client, org.alice)
    client.post(url("opportunity", "move", deal.pk), {"stage": foreign.pk})
    deal.refresh_from_db()
    assert deal.stage.pipeline_id == deal.pipeline_id and deal.version == 1


def test_moving_needs_scope_and_right(client, org):
    deal = _deal(org)
    login(client, org.mallory)
    assert client.post(url("opportunity", "move", deal.pk), {"outcome": "won"}).status_code == 404
    login(client, org.viewer)
    assert client.post(url("opportunity", "move", deal.pk), {"outcome": "won"}).status_code == 403
    assert Opportunity.objects.get().status == "open"


def test_the_stage_list_is_grouped_by_pipeline_and_sets_the_pipeline(client, org):
    from sencrm.crm.models import Pipeline

    pipeline_create_default()
    other = Pipeline.objects.create(name="Dự án", position=5)
    survey = Stage.objects.create(pipeline=other, name="Khảo sát", position=0, probability=15)
    login(client, org.alice)
    html = client.get(url("opportunity", "create")).content.decode()
    assert '<optgroup label="Dự án">' in html
    client.post(url("opportunity", "create"), {"name": "Dự án kho", "stage": survey.pk, "amount": "0"})
    deal = Opportunity.objects.get()
    assert deal.pipeline == other and deal.probability == 15
