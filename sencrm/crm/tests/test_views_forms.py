"""Record forms: custom fields, tags, addresses, pickers, Vietnamese inputs."""

from sencrm.core.models import CustomField, Province, Ward
from sencrm.crm.models import Account, Contact
from sencrm.crm.tests.views_support import field_error, login, make, url


def _custom_fields():
    CustomField.objects.create(entity="crm.account", key="segment", label="Phân khúc", type="choice",
                               choices=["SME", "Tập đoàn"], required=True)  # fmt: skip
    CustomField.objects.create(entity="crm.account", key="budget", label="Ngân sách", type="money")
    CustomField.objects.create(entity="crm.account", key="founded", label="Thành lập", type="date")
    CustomField.objects.create(entity="crm.account", key="vip", label="VIP", type="bool")
    CustomField.objects.create(entity="crm.account", key="channels", label="Kênh", type="multi",
                               choices=["Zalo", "Email"])  # fmt: skip
    CustomField.objects.create(entity="crm.account", key="handler", label="Người xử lý", type="user")


def test_custom_fields_appear_with_the_right_inputs(client, org):
    _custom_fields()
    login(client, org.alice)
    form = client.get(url("account", "create")).context["form"]
    assert form.fields["cf_segment"].required is True
    assert form.fields["cf_budget"].required is False
    html = client.get(url("account", "create")).content.decode()
    assert 'name="cf_founded"' in html and 'placeholder="dd/mm/yyyy"' in html
    assert 'type="checkbox" name="cf_channels" value="Zalo"' in html
    assert '<select name="cf_vip"' in html and '<select name="cf_handler"' in html


def test_a_required_custom_field_left_empty_is_refused_beside_it(client, org):
    _custom_fields()
    login(client, org.alice)
    response = client.post(url("account", "create"), {"name": "Công ty A", "type": "customer"})
    assert field_error(response, "cf_segment") == "This field is required."
    assert Account.objects.count() == 0


def test_invalid_custom_values_are_refused_beside_their_fields(client, org):
    _custom_fields()
    login(client, org.alice)
    response = client.post(
        url("account", "create"),
        {
            "name": "Công ty A",
            "type": "customer",
            "cf_segment": "Khác",
            "cf_founded": "31/02/2020",
            "cf_budget": "1,5tr",
        },
    )
    assert "Select a valid choice" in field_error(response, "cf_segment")
    assert field_error(response, "cf_founded") == "Enter a valid date."
    assert field_error(response, "cf_budget") == "Enter a whole number."
    assert Account.objects.count() == 0


def test_custom_values_are_stored_and_shown(client, org):
    _custom_fields()
    login(client, org.alice)
    response = client.post(
        url("account", "create"),
        {
            "name": "Công ty A", "type": "customer", "cf_segment": "SME", "cf_budget": "2.500.000",
            "cf_founded": "05/03/2020", "cf_vip": "true", "cf_channels": ["Zalo", "Email"],
            "cf_handler": org.bob.pk,
        },
    )  # fmt: skip
    account = Account.objects.get()
    assert response.status_code == 302
    assert account.custom == {
        "segment": "SME", "budget": 2_500_000, "founded": "2020-03-05", "vip": True,
        "channels": ["Zalo", "Email"], "handler": org.bob.pk,
    }  # fmt: skip
    org.alice.language = "vi"
    org.alice.save(update_fields=["language"])
    html = client.get(url("account", "detail", account.pk)).content.decode()
    assert "2.500.000\u00a0₫" in html and "05/03/2020" in html and str(org.bob) in html
    edit = client.get(url("account", "edit", account.pk)).context["form"]
    assert edit["cf_founded"].value().isoformat() == "2020-03-05"
    assert edit["cf_vip"].value() == "true"


def test_service_errors_on_custom_fields_land_beside_them(client, org, monkeypatch):
    """A definition made required after the form was built: the service's error finds cf_<key>."""
    from sencrm.common.views import ObjectEditView

    field = CustomField.objects.create(entity="crm.contact", key="cccd", label="Số CCCD", type="text")
    original = ObjectEditView.save

    def save_with_required(self, request, form, obj):
        CustomField.objects.filter(pk=field.pk).update(required=True)
        return original(self, request, form, obj)

    monkeypatch.setattr(ObjectEditView, "save", save_with_required)
    login(client, org.alice)
    response = client.post(url("contact", "create"), {"given_name": "Lan"})
    assert field_error(response, "cf_cccd") == "Số CCCD is required."
    assert Contact.objects.count() == 0


def test_tags_are_comma_separated_names_and_replace_on_edit(client, org):
    account = make("account", org.alice, "Công ty A", tags=["Cũ"])
    login(client, org.alice)
    form = client.get(url("account", "edit", account.pk)).context["form"]
    assert form["tags"].value() == "Cũ"
    client.post(
        url("account", "edit", account.pk),
        {
            "name": "Công ty A",
            "type": "customer",
            "tags": "VIP,  Đại lý ,",
            "version": 1,
            "owner": org.alice.pk,
        },
    )
    assert sorted(t.name for t in account.tags.all()) == ["VIP", "Đại lý"]


def test_ward_select_follows_the_province(client, org):
    province_a = Province.objects.create(code=990001, name="Tỉnh Thử A", search_name="tinh thu a")
    province_b = Province.objects.create(code=990002, name="Tỉnh Thử B", search_name="tinh thu b")
    ward_a = Ward.objects.create(
        code=990101, name="Phường Một", province=province_a, search_name="phuong mot"
    )
    Ward.objects.create(code=990201, name="Xã Hai", province=province_b, search_name="xa hai")
    login(client, org.alice)

    options = client.get(url("account", "list").replace("accounts/", "wards/"), {"province": province_a.pk})
    create = client.get(url("account", "create")).content.decode()

    assert "Phường Một" in options.content.decode() and "Xã Hai" not in options.content.decode()
    assert 'hx-get="/wards/"' in create and 'hx-target="#id_ward"' in create
    # The ward must belong to the chosen province.
    bad = client.post(
        url("account", "create"),
        {
            "name": "A",
            "type": "customer",
            "province": province_b.pk,
            "ward": ward_a.pk,
            "owner": org.alice.pk,
        },
    )
    assert "Select a valid choice" in field_error(bad, "ward")
    good = client.post(
        url("account", "create"),
        {
            "name": "A",
            "type": "customer",
            "province": province_a.pk,
            "ward": ward_a.pk,
            "owner": org.alice.pk,
        },
    )
    assert good.status_code == 302
    assert Account.objects.get().address == "Phường Một, Tỉnh Thử A"


def test_pickers_prefill_and_show_the_chosen_record(client, org):
    account = make("account", org.alice, "Công ty Hoa Sen")
    login(client, org.alice)
    html = client.get(url("contact", "create"), {"account": account.pk}).content.decode()
    assert f'name="account" value="{account.pk}"' in html and 'value="Công ty Hoa Sen"' in html
    picker = client.get(url("account", "list"), {"picker": "1", "q": "hoa sen"}).content.decode()
    assert f'data-pick-value="{account.pk}"' in picker


def test_edit_form_shows_phones_nationally_and_money_grouped(client, org):
    account = make("account", org.alice, "A", phone="0912345678", annual_revenue=1_250_000)
    login(client, org.alice, language="vi")
    html = client.get(url("account", "edit", account.pk)).content.decode()
    assert 'value="0912 345 678"' in html and 'value="1.250.000"' in html


def test_a_garbage_picker_value_is_an_error_not_a_crash(client, org):
    login(client, org.alice)
    response = client.post(url("contact", "create"), {"given_name": "Lan", "account": "abc"})
    assert response.status_code == 200 and field_error(response, "account")
    assert 'name="account" value=""' in response.content.decode()
