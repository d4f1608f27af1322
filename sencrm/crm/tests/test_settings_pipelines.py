"""Pipeline and stage settings: admin-only pages, the default-pipeline and stage-kind rules, stage order."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from sencrm.crm.models import Opportunity, Pipeline, Stage
from sencrm.crm.services.opportunities import opportunity_create, pipeline_create_default
from sencrm.crm.services.pipelines import (
    pipeline_create,
    pipeline_delete,
    pipeline_update,
    stage_create,
    stage_delete,
    stage_move,
    stage_reorder,
    stage_update,
)


@pytest.fixture
def sales(org):
    """The default pipeline with the seven C4 stages."""
    return pipeline_create_default()


def stages(pipeline):
    return list(
        Stage.objects.filter(pipeline=pipeline).order_by("position").values_list("name", "position", "kind")
    )


def names(pipeline):
    return [name for name, _p, _k in stages(pipeline)]


# ---------------------------------------------------------------------------------------------------
# Pages and access
# ---------------------------------------------------------------------------------------------------


def page_urls(pipeline):
    stage = pipeline.stages.first()
    gets = [
        reverse("settings_pipelines"),
        reverse("settings_pipeline_create"),
        reverse("settings_pipeline_edit", args=[pipeline.pk]),
    ]
    posts = [
        reverse("settings_pipeline_delete", args=[pipeline.pk]),
        reverse("settings_stage_create", args=[pipeline.pk]),
        reverse("settings_stage_reorder", args=[pipeline.pk]),
        reverse("settings_stage_edit", args=[stage.pk]),
        reverse("settings_stage_delete", args=[stage.pk]),
        reverse("settings_stage_move", args=[stage.pk]),
    ]
    return gets, posts


@pytest.mark.parametrize("who", ["alice", "carol", "viewer"])
def test_pipeline_settings_are_forbidden_to_non_admins(client, org, sales, who):
    before = stages(sales)
    client.force_login(getattr(org, who))
    gets, posts = page_urls(sales)
    for url in gets:
        assert client.get(url).status_code == 403, url
    for url in posts:
        assert client.post(url, {"name": "x", "probability": 5, "kind": "open"}).status_code == 403, url
    assert stages(sales) == before
    assert Pipeline.objects.count() == 1


def test_pipeline_settings_open_for_the_admin(client, org, sales):
    client.force_login(org.admin)
    gets, _posts = page_urls(sales)
    for url in gets:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b'data-testid="settings-nav"' in response.content
    content = client.get(reverse("settings_pipeline_edit", args=[sales.pk])).content.decode()
    assert content.count('data-stage="') == 7
    assert "Tìm kiếm khách hàng" in content
    # the core settings index links here
    assert reverse("settings_pipelines") in client.get(reverse("settings_index")).content.decode()


# ---------------------------------------------------------------------------------------------------
# Pipelines
# ---------------------------------------------------------------------------------------------------


def test_create_pipeline_starts_with_open_won_lost_stages(client, org, sales):
    client.force_login(org.admin)
    response = client.post(reverse("settings_pipeline_create"), {"name": "Dự án", "active": "on"})
    pipeline = Pipeline.objects.get(name="Dự án")
    assert response.status_code == 302
    assert response["Location"] == reverse("settings_pipeline_edit", args=[pipeline.pk])
    assert [kind for _n, _p, kind in stages(pipeline)] == ["open", "won", "lost"]
    assert pipeline.is_default is False
    assert Pipeline.objects.get(pk=sales.pk).is_default is True


def test_the_first_pipeline_is_the_default(org):
    assert pipeline_create(name="Đầu tiên").is_default is True


def test_exactly_one_default_pipeline(client, org, sales):
    client.force_login(org.admin)
    other = pipeline_create(name="Dự án")
    # making another pipeline the default takes the flag from the old one
    response = client.post(
        reverse("settings_pipeline_edit", args=[other.pk]),
        {"name": "Dự án", "is_default": "on", "active": "on"},
    )
    assert response.status_code == 302
    assert list(Pipeline.objects.filter(is_default=True)) == [other]
    # switching the default off leaves no default: refused, beside the field
    response = client.post(
        reverse("settings_pipeline_edit", args=[other.pk]), {"name": "Dự án", "active": "on"}
    )
    assert response.status_code == 200
    assert "is_default" in response.context["form"].errors
    assert list(Pipeline.objects.filter(is_default=True)) == [other]
    # so is deactivating the default
    response = client.post(
        reverse("settings_pipeline_edit", args=[other.pk]), {"name": "Dự án", "is_default": "on"}
    )
    assert "active" in response.context["form"].errors
    assert Pipeline.objects.get(pk=other.pk).active is True


def test_pipeline_bad_input(client, org, sales):
    client.force_login(org.admin)
    response = client.post(reverse("settings_pipeline_create"), {"name": ""})
    assert set(response.context["form"].errors) == {"name"}
    response = client.post(reverse("settings_pipeline_create"), {"name": "BÁN HÀNG"})  # exists, other case
    assert set(response.context["form"].errors) == {"name"}
    assert Pipeline.objects.count() == 1


def test_delete_pipeline_rules(org, sales):
    with pytest.raises(ValidationError):
        pipeline_delete(pipeline=sales)  # the default
    other = pipeline_create(name="Dự án")
    opportunity_create(
        by=org.alice, data={"name": "Hợp đồng", "pipeline": other, "stage": other.stages.first()}
    )
    with pytest.raises(ValidationError):
        pipeline_delete(pipeline=other)  # used
    empty = pipeline_create(name="Trống")
    pipeline_delete(pipeline=empty)
    assert not Pipeline.objects.filter(pk=empty.pk).exists()
    assert not Stage.objects.filter(pipeline_id=empty.pk).exists()


# ---------------------------------------------------------------------------------------------------
# Stages
# ---------------------------------------------------------------------------------------------------


def test_add_stage_goes_before_the_closing_stages(client, org, sales):
    client.force_login(org.admin)
    response = client.post(
        reverse("settings_stage_create", args=[sales.pk]),
        {"name": "Đàm phán", "probability": "90", "kind": "open"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "crm/settings/partials/stages.html" in [t.name for t in response.templates]
    assert names(sales)[-3:] == ["Đàm phán", "Thành công", "Thất bại"]
    assert [p for _n, p, _k in stages(sales)] == list(range(8))
    assert Stage.objects.get(pipeline=sales, name="Đàm phán").probability == 90


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "Mới", "probability": "101", "kind": "open"}, "probability"),
        ({"name": "Mới", "probability": "-1", "kind": "open"}, "probability"),
        ({"name": "", "probability": "10", "kind": "open"}, "name"),
        ({"name": "Đánh giá", "probability": "10", "kind": "open"}, "name"),  # exists
        ({"name": "Mới", "probability": "10", "kind": "maybe"}, "kind"),
    ],
)
def test_add_stage_bad_input_shows_the_error_and_stores_nothing(client, org, sales, data, field):
    client.force_login(org.admin)
    before = stages(sales)
    response = client.post(reverse("settings_stage_create", args=[sales.pk]), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert field in response.context["new_form"].errors
    assert b"invalid-feedback" in response.content
    assert stages(sales) == before


def test_rename_a_stage_and_change_its_probability(client, org, sales):
    client.force_login(org.admin)
    stage = Stage.objects.get(pipeline=sales, name="Đánh giá")
    response = client.post(
        reverse("settings_stage_edit", args=[stage.pk]),
        {"name": "Đánh giá nhu cầu", "probability": "35", "kind": "open"},
    )
    assert response.status_code == 302
    stage.refresh_from_db()
    assert (stage.name, stage.probability) == ("Đánh giá nhu cầu", 35)


def test_the_last_won_stage_cannot_change_kind(client, org, sales):
    client.force_login(org.admin)
    won = Stage.objects.get(pipeline=sales, kind="won")
    response = client.post(
        reverse("settings_stage_edit", args=[won.pk]),
        {"name": "Thành công", "probability": "100", "kind": "open"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    row = next(r for r in response.context["rows"] if r["stage"].pk == won.pk)
    assert "kind" in row["form"].errors
    won.refresh_from_db()
    assert won.kind == "won"


def test_delete_a_stage_only_when_no_opportunity_uses_it(client, org, sales):
    client.force_login(org.admin)
    used = Stage.objects.get(pipeline=sales, name="Đánh giá")
    free = Stage.objects.get(pipeline=sales, name="Xác định nhu cầu")
    opp = opportunity_create(by=org.alice, data={"name": "Đơn hàng", "pipeline": sales, "stage": used})
    # used, even by a deal in the Trash: a clear message, nothing deleted
    Opportunity.objects.filter(pk=opp.pk).update(deleted_at="2026-01-01T00:00:00Z")
    response = client.post(reverse("settings_stage_delete", args=[used.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Đánh giá" in response.context["stage_error"]  # the message names the stage
    assert b'data-testid="stage-error"' in response.content
    assert Stage.objects.filter(pk=used.pk).exists()
    # unused: gone, positions closed up
    response = client.post(reverse("settings_stage_delete", args=[free.pk]))
    assert response.status_code == 302
    assert not Stage.objects.filter(pk=free.pk).exists()
    assert [p for _n, p, _k in stages(sales)] == list(range(6))


def test_a_pipeline_keeps_one_open_one_won_one_lost_stage(org):
    pipeline = pipeline_create(name="Nhỏ")
    for stage in list(pipeline.stages.all()):
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            stage_delete(stage=stage)
        assert "at least one open, one won and one lost" in " ".join(exc.value.messages)
    assert pipeline.stages.count() == 3
    # with a second open stage, one open stage may go
    extra = stage_create(pipeline=pipeline, name="Thêm", probability=20, kind="open")
    stage_delete(stage=pipeline.stages.filter(kind="open").exclude(pk=extra.pk).get())
    assert [s.pk for s in pipeline.stages.filter(kind="open")] == [extra.pk]


def test_move_stages_up_and_down(client, org, sales):
    client.force_login(org.admin)
    second = Stage.objects.get(pipeline=sales, name="Xác định nhu cầu")
    client.post(reverse("settings_stage_move", args=[second.pk]), {"direction": "up"})
    assert names(sales)[:2] == ["Xác định nhu cầu", "Tìm kiếm khách hàng"]
    client.post(reverse("settings_stage_move", args=[second.pk]), {"direction": "up"})  # already first
    assert names(sales)[:2] == ["Xác định nhu cầu", "Tìm kiếm khách hàng"]
    client.post(
        reverse("settings_stage_move", args=[second.pk]), {"direction": "down"}, HTTP_HX_REQUEST="true"
    )
    assert names(sales)[:2] == ["Tìm kiếm khách hàng", "Xác định nhu cầu"]


def test_reorder_by_drag_and_drop(client, org, sales):
    client.force_login(org.admin)
    ids = list(Stage.objects.filter(pipeline=sales).order_by("position").values_list("pk", flat=True))
    new_order = [ids[2], ids[0], ids[1], *ids[3:]]
    response = client.post(
        reverse("settings_stage_reorder", args=[sales.pk]), {"stage": new_order}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert (
        list(Stage.objects.filter(pipeline=sales).order_by("position").values_list("pk", flat=True))
        == new_order
    )


def test_reorder_must_name_every_stage_once(org, sales):
    ids = list(Stage.objects.filter(pipeline=sales).values_list("pk", flat=True))
    other = pipeline_create(name="Khác").stages.first()
    before = stages(sales)
    for bad in (ids[:-1], [*ids, ids[0]], [*ids[:-1], other.pk], ["x", *ids[1:]]):
        with pytest.raises(ValidationError):
            stage_reorder(pipeline=sales, stage_ids=bad)
    assert stages(sales) == before


def test_services_move_and_update_directly(org, sales):
    last_open = Stage.objects.get(pipeline=sales, name="Đã gửi báo giá")
    stage_move(stage=last_open, offset=-10)
    assert names(sales)[0] == "Đã gửi báo giá"
    stage_update(stage=last_open, name="Đã gửi báo giá", probability=85, kind="open")
    assert Stage.objects.get(pk=last_open.pk).probability == 85
    with pytest.raises(ValidationError):
        pipeline_update(pipeline=sales, name="", is_default=True, active=True)
