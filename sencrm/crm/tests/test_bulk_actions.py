"""Bulk actions: only permitted records change, each through the record services (audit, version)."""

from sencrm.core.models import AuditEntry, Job
from sencrm.crm.models import Contact, Lead
from sencrm.crm.tests.views_support import login, make, url


def _post(client, kind, **data):
    return client.post(url(kind, "bulk"), data)


def test_assign_owner_changes_only_permitted_records(client, org):
    mine = [make("lead", org.alice, f"Phạm Văn {i}") for i in range(2)]
    hers = make("lead", org.mallory, "Võ Thị Mai")
    login(client, org.alice)
    response = _post(
        client, "lead", action="assign_owner", value=org.bob.pk, pk=[m.pk for m in mine] + [hers.pk]
    )
    assert response.status_code == 302
    assert set(Lead.objects.filter(owner=org.bob).values_list("pk", flat=True)) == {m.pk for m in mine}
    hers.refresh_from_db()
    assert (hers.owner, hers.version) == (org.mallory, 1)  # never touched
    assert (
        AuditEntry.objects.filter(kind=AuditEntry.Kind.UPDATE, object_id__in=[m.pk for m in mine]).count()
        == 2
    )
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["2 changed, 0 already so, 1 skipped (no right), 0 failed."]


def test_all_matching_uses_the_list_filters(client, org):
    vip = [make("contact", org.bob, f"Lê Văn {i}", tags=["VIP"]) for i in range(3)]
    other = make("contact", org.bob, "Trần Văn Khác")
    make("contact", org.mallory, "Võ Thị Mai", tags=["VIP"])
    tag = vip[0].tags.get()
    login(client, org.bob)
    _post(client, "contact", action="add_tags", value="Hà Nội, vip", all="1", query=f"tag={tag.pk}")
    for c in vip:
        assert sorted(t.name for t in Contact.objects.get(pk=c.pk).tags.all()) == ["Hà Nội", "VIP"]
    assert list(Contact.objects.get(pk=other.pk).tags.all()) == []
    _post(client, "contact", action="remove_tags", value="VIP", all="1", query=f"tag={tag.pk}")
    for c in vip:
        assert [t.name for t in Contact.objects.get(pk=c.pk).tags.all()] == ["Hà Nội"]


def test_set_field_reports_errors_per_record(client, org):
    a = make("lead", org.alice, "Phạm Văn A")
    login(client, org.alice)
    _post(client, "lead", action="set_field", field="rating", value="hot", pk=[a.pk])
    a.refresh_from_db()
    assert (a.rating, a.version) == ("hot", 2)
    response = _post(client, "lead", action="set_field", field="rating", value="boiling", pk=[a.pk])
    messages = [str(m) for m in response.wsgi_request._messages]
    # (messages of the earlier, unfollowed redirect come first)
    assert messages[-2] == "0 changed, 0 already so, 0 skipped (no right), 1 failed."
    assert messages[-1].startswith("Phạm Văn A: rating:")
    # A field outside the allow-list is refused before anything runs.
    response = _post(client, "lead", action="set_field", field="owner", value=org.bob.pk, pk=[a.pk])
    assert [str(m) for m in response.wsgi_request._messages][-1] == "This field cannot be changed in bulk."
    a.refresh_from_db()
    assert (a.owner, a.rating, a.version) == (org.alice, "hot", 2)


def test_delete_moves_to_trash_and_needs_the_right(client, org):
    a = make("account", org.alice, "Công ty A")
    m = make("account", org.mallory, "Công ty M")
    login(client, org.viewer)
    assert _post(client, "account", action="delete", pk=[a.pk]).status_code == 403
    login(client, org.alice)
    _post(client, "account", action="delete", pk=[a.pk, m.pk])
    a.refresh_from_db()
    m.refresh_from_db()
    assert a.deleted_at is not None
    assert m.deleted_at is None
    assert AuditEntry.objects.filter(kind=AuditEntry.Kind.DELETE).count() == 1


def test_large_selection_runs_as_a_job(client, org, settings, django_capture_on_commit_callbacks):
    settings.SENCRM_BULK_INLINE_ROWS = 1
    leads = [make("lead", org.alice, f"Phạm Văn {i}") for i in range(3)]
    make("lead", org.mallory, "Võ Thị Mai")
    login(client, org.alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, "lead", action="move_branch", value=org.cg.pk, all="1", query="")
    job = Job.objects.get(kind=Job.Kind.BULK)
    assert response["Location"] == f"/jobs/{job.pk}/status/"
    job.refresh_from_db()
    assert job.status == "done"
    assert {k: job.counts[k] for k in ("changed", "skipped", "failed")} == {
        "changed": 3,
        "skipped": 0,
        "failed": 0,
    }
    assert set(Lead.objects.filter(branch=org.cg).values_list("pk", flat=True)) == {x.pk for x in leads}


def test_bulk_queries_grow_linearly(client, org, django_assert_max_num_queries):
    leads = [make("lead", org.alice, f"Phạm Văn {i}") for i in range(10)]
    login(client, org.alice)
    # Per record (≤ 14): savepoints, lock, tags, save, version, audit of record_update; plus set-up.
    with django_assert_max_num_queries(12 + 10 * 14):
        _post(client, "lead", action="set_field", field="status", value="contacted", pk=[x.pk for x in leads])
    assert Lead.objects.filter(status="contacted").count() == 10


# --- "Set a field": an opportunity's stage (through opportunity_move) and custom fields -----------
def _messages(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def _stage(kind: str, pipeline=None):
    from sencrm.crm.models import Stage
    from sencrm.crm.services.opportunities import pipeline_create_default

    return Stage.objects.filter(pipeline=pipeline or pipeline_create_default(), kind=kind).order_by(
        "position"
    )[0]


def test_set_stage_moves_each_permitted_deal_through_the_service(client, org):
    from sencrm.crm.models import Opportunity, StageChange

    mine = [make("opportunity", org.alice, f"Deal {i}") for i in range(2)]
    hers = make("opportunity", org.mallory, "Deal HCM")
    won = _stage("won")
    login(client, org.alice)
    response = _post(
        client,
        "opportunity",
        action="set_field",
        field="stage",
        value=won.pk,
        pk=[o.pk for o in [*mine, hers]],
    )
    assert _messages(response) == ["2 changed, 0 already so, 1 skipped (no right), 0 failed."]
    for deal in Opportunity.objects.filter(pk__in=[o.pk for o in mine]):
        assert (deal.stage, deal.status, deal.probability, deal.version) == (won, "won", won.probability, 2)
        assert StageChange.objects.filter(opportunity=deal, to_stage=won, by=org.alice).count() == 1
    hers.refresh_from_db()
    assert (hers.stage_id, hers.version) == (mine[0].stage_id, 1)
    assert not StageChange.objects.filter(opportunity=hers, to_stage=won).exists()
    # Already there: nothing moves, no second history row.
    response = _post(client, "opportunity", action="set_field", field="stage", value=won.pk, pk=[mine[0].pk])
    assert _messages(response)[-1] == "0 changed, 1 already so, 0 skipped (no right), 0 failed."
    assert StageChange.objects.filter(opportunity=mine[0], to_stage=won).count() == 1


def test_lost_stage_needs_a_reason_before_anything_moves(client, org):
    from sencrm.crm.models import Opportunity, StageChange

    deals = [make("opportunity", org.alice, f"Deal {i}") for i in range(2)]
    lost = _stage("lost")
    login(client, org.alice)
    response = _post(
        client, "opportunity", action="set_field", field="stage", value=lost.pk, pk=[d.pk for d in deals]
    )
    assert _messages(response) == ["Stage: say why the deals were lost."]
    assert set(Opportunity.objects.values_list("version", "status")) == {(1, "open")}
    assert not StageChange.objects.filter(to_stage=lost).exists()
    response = _post(
        client, "opportunity", action="set_field", field="stage", value=lost.pk, lost_reason="Giá cao",
        pk=[d.pk for d in deals],
    )  # fmt: skip
    assert _messages(response)[-1] == "2 changed, 0 already so, 0 skipped (no right), 0 failed."
    assert set(Opportunity.objects.values_list("status", "lost_reason", "probability")) == {
        ("lost", "Giá cao", lost.probability)
    }
    # A stage that does not exist is refused up front, naming the field.
    response = _post(
        client, "opportunity", action="set_field", field="stage", value="999999", pk=[deals[0].pk]
    )
    assert _messages(response)[-1] == "Stage: choose a stage."


def test_stage_of_another_pipeline_fails_per_deal_and_leaves_it_whole(client, org):
    from sencrm.crm.models import Pipeline, Stage, StageChange

    deal = make("opportunity", org.alice, "Deal")
    other = Pipeline.objects.create(name="Dự án")
    foreign = Stage.objects.create(pipeline=other, name="Khảo sát", probability=30, position=0)
    login(client, org.alice)
    response = _post(client, "opportunity", action="set_field", field="stage", value=foreign.pk, pk=[deal.pk])
    assert _messages(response) == [
        "0 changed, 0 already so, 0 skipped (no right), 1 failed.",
        "Deal: stage: This stage belongs to another pipeline.",
    ]
    before = (deal.stage_id, deal.probability, deal.version)
    deal.refresh_from_db()
    assert (deal.stage_id, deal.probability, deal.version) == before
    assert not StageChange.objects.filter(to_stage=foreign).exists()


def test_set_custom_field_validates_once_and_changes_only_permitted(client, org):
    from sencrm.core.models import CustomField

    CustomField.objects.create(entity="crm.contact", key="budget", label="Ngân sách", type="money")
    CustomField.objects.create(entity="crm.contact", key="vip", label="Khách VIP", type="bool")
    CustomField.objects.create(
        entity="crm.contact", key="kenh", label="Kênh", type="multi", choices=["Zalo", "Email", "SMS"]
    )
    mine = [make("contact", org.alice, f"Lê Văn {i}") for i in range(2)]
    hers = make("contact", org.mallory, "Võ Thị Mai")
    pks = [c.pk for c in [*mine, hers]]
    login(client, org.alice)
    for value, message in [
        ("nhiều tiền", "Ngân sách: Enter a number."),
        ("1.5", "Ngân sách: Amounts in VND"),
    ]:
        response = _post(client, "contact", action="set_field", field="cf_budget", value=value, pk=pks)
        assert _messages(response)[-1].startswith(message)
    assert set(Contact.objects.values_list("version", flat=True)) == {1}  # nothing half-written
    response = _post(client, "contact", action="set_field", field="cf_budget", value="5 000 000", pk=pks)
    assert _messages(response)[-1] == "2 changed, 0 already so, 1 skipped (no right), 0 failed."
    assert [Contact.objects.get(pk=c.pk).custom for c in mine] == [{"budget": 5_000_000}] * 2
    assert Contact.objects.get(pk=hers.pk).custom == {}
    response = _post(client, "contact", action="set_field", field="cf_vip", value="maybe", pk=pks)
    assert _messages(response)[-1] == "Khách VIP: Enter yes or no."
    _post(client, "contact", action="set_field", field="cf_vip", value="true", pk=pks)
    _post(client, "contact", action="set_field", field="cf_kenh", value=["Zalo", "SMS"], pk=pks)
    assert Contact.objects.get(pk=mine[0].pk).custom == {
        "budget": 5_000_000,
        "vip": True,
        "kenh": ["Zalo", "SMS"],
    }
    response = _post(client, "contact", action="set_field", field="cf_kenh", value="Fax", pk=pks)
    assert _messages(response)[-1].startswith("Kênh: Choose among:")
    # A blank value clears the field; an unknown custom field is refused.
    _post(client, "contact", action="set_field", field="cf_budget", value="", pk=pks)
    assert "budget" not in Contact.objects.get(pk=mine[0].pk).custom
    response = _post(client, "contact", action="set_field", field="cf_nope", value="1", pk=pks)
    assert _messages(response)[-1] == "This field cannot be changed in bulk."
    assert AuditEntry.objects.filter(object_id=hers.pk, kind=AuditEntry.Kind.UPDATE).count() == 0


def test_set_stage_of_a_large_selection_runs_as_a_job(
    client, org, settings, django_capture_on_commit_callbacks
):
    from sencrm.crm.models import Opportunity

    settings.SENCRM_BULK_INLINE_ROWS = 1
    deals = [make("opportunity", org.bob, f"Deal {i}") for i in range(3)]
    make("opportunity", org.mallory, "Deal HCM")
    lost = _stage("lost")
    login(client, org.bob)
    with django_capture_on_commit_callbacks(execute=True):
        _post(
            client, "opportunity", action="set_field", field="stage", value=lost.pk,
            lost_reason="Hết ngân sách", all="1", query="",
        )  # fmt: skip
    job = Job.objects.get(kind=Job.Kind.BULK)
    job.refresh_from_db()
    assert (job.status, job.counts["changed"], job.counts["failed"]) == ("done", 3, 0)
    assert job.params["lost_reason"] == "Hết ngân sách"
    assert set(
        Opportunity.objects.filter(pk__in=[d.pk for d in deals]).values_list("status", "lost_reason")
    ) == {("lost", "Hết ngân sách")}


def test_set_field_input_offers_stages_and_custom_fields(client, org):
    from sencrm.core.models import CustomField

    CustomField.objects.create(entity="crm.opportunity", key="nguon", label="Nguồn vốn", type="choice",
                               choices=["Ngân sách", "Vay"])  # fmt: skip
    lost = _stage("lost")
    login(client, org.alice)
    html = client.get(url("opportunity", "bulk"), {"action": "set_field", "field": "stage"}).content.decode()
    assert f'<option value="{lost.pk}">Bán hàng › {lost.name}</option>' in html
    assert 'name="lost_reason"' in html
    html = client.get(
        url("opportunity", "bulk"), {"action": "set_field", "field": "cf_nguon"}
    ).content.decode()
    assert '<option value="cf_nguon" selected>Nguồn vốn</option>' in html
    assert '<option value="Vay">Vay</option>' in html


def test_custom_value_is_checked_alone_and_records_missing_a_required_field_fail_whole(client, org):
    from sencrm.core.models import CustomField

    CustomField.objects.create(entity="crm.lead", key="diem", label="Điểm", type="number")
    lead = make("lead", org.alice, "Phạm Văn A")  # created before "Nguồn" became required
    CustomField.objects.create(entity="crm.lead", key="nguon", label="Nguồn", type="text", required=True)
    login(client, org.alice)
    response = _post(client, "lead", action="set_field", field="cf_diem", value="abc", pk=[lead.pk])
    assert _messages(response) == ["Điểm: Enter a number."]
    response = _post(client, "lead", action="set_field", field="cf_diem", value="7", pk=[lead.pk])
    assert _messages(response)[-2:] == [
        "0 changed, 0 already so, 0 skipped (no right), 1 failed.",
        "Phạm Văn A: custom.nguon: Nguồn is required.",
    ]
    lead.refresh_from_db()
    assert (lead.custom, lead.version) == ({}, 1)
