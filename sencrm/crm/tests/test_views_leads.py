"""Lead pages: verification warnings and the conversion page."""

from sencrm.crm.models import Account, Contact, Lead, Opportunity
from sencrm.crm.services.opportunities import pipeline_create_default
from sencrm.crm.tests.views_support import field_error, login, make, url


def _lead(org, **data):
    pipeline_create_default()
    defaults = {
        "company": "Công ty Sen Vàng",
        "tax_code": "0101248141",
        "mobile": "0912345678",
        "email": "lan@senvang.vn",
        "estimated_value": 30_000_000,
    }
    return make("lead", org.alice, "Trần Thị Lan", **{**defaults, **data})


def test_detail_shows_verification_warnings(client, org):
    make("contact", org.alice, "Lan cũ", mobile="0912345678")
    lead = _lead(org)
    login(client, org.alice)
    html = client.get(url("lead", "detail", lead.pk)).content.decode()
    assert 'data-testid="warnings"' in html and "Already a contact: Lan cũ." in html
    assert 'data-testid="convert"' in html


def test_conversion_page_suggests_likely_matches(client, org):
    same_tax = make("account", org.alice, "Sen Vàng (cũ)", tax_code="0101248141")
    same_name = make("account", org.alice, "Công ty Sen Vàng")
    make("account", org.mallory, "Công ty Sen Vàng HCM")  # not visible to alice
    contact = make("contact", org.alice, "Lan", email="lan@senvang.vn")
    lead = _lead(org)
    login(client, org.alice)

    response = client.get(url("lead", "convert", lead.pk))

    assert response.status_code == 200
    accounts = response.context["likely_accounts"]
    assert [a.pk for a in accounts] == [same_name.pk, same_tax.pk]
    assert [c.pk for c in response.context["likely_contacts"]] == [contact.pk]
    # The exact tax-code match is preselected.
    form = response.context["form"]
    assert form["account_mode"].value() == "existing" and form["account"].value() == same_tax.pk


def test_converting_creates_account_contact_opportunity_and_goes_to_the_deal(client, org):
    lead = _lead(org)
    login(client, org.alice)

    response = client.post(
        url("lead", "convert", lead.pk),
        {
            "account_mode": "new",
            "contact_mode": "new",
            "create_opportunity": "on",
            "opportunity_name": "Máy lọc nước cho Sen Vàng",
            "amount": "45.000.000",
            "expected_close": "31/01/2027",
        },
    )

    opportunity = Opportunity.objects.get()
    assert response.status_code == 302 and response.url == opportunity.get_absolute_url()
    assert opportunity.name == "Máy lọc nước cho Sen Vàng" and opportunity.amount == 45_000_000
    assert str(opportunity.expected_close) == "2027-01-31"
    assert opportunity.account.name == "Công ty Sen Vàng" and opportunity.contact.full_name == "Trần Thị Lan"
    lead.refresh_from_db()
    assert lead.is_converted and lead.converted_opportunity == opportunity
    detail = client.get(url("lead", "detail", lead.pk)).content.decode()
    assert 'data-testid="conversion-result"' in detail and opportunity.get_absolute_url() in detail
    assert 'data-testid="convert"' not in detail
    # A second conversion is refused kindly.
    again = client.get(url("lead", "convert", lead.pk))
    assert again.status_code == 302 and again.url == lead.get_absolute_url()


def test_converting_links_to_existing_records_and_can_skip_the_deal(client, org):
    account = make("account", org.alice, "Sen Vàng")
    contact = make("contact", org.alice, "Lan", account=account)
    lead = _lead(org)
    login(client, org.alice)

    response = client.post(
        url("lead", "convert", lead.pk),
        {
            "account_mode": "existing",
            "account": account.pk,
            "contact_mode": "existing",
            "contact": contact.pk,
        },
    )

    assert response.status_code == 302 and response.url == contact.get_absolute_url()
    assert Account.objects.count() == 1 and Contact.objects.count() == 1 and Opportunity.objects.count() == 0
    lead.refresh_from_db()
    assert lead.converted_account == account and lead.converted_contact == contact


def test_choosing_existing_without_a_record_is_an_error_beside_the_picker(client, org):
    lead = _lead(org)
    login(client, org.alice)
    response = client.post(
        url("lead", "convert", lead.pk), {"account_mode": "existing", "contact_mode": "new"}
    )
    assert field_error(response, "account") == "Choose the account to link to."
    assert Lead.objects.get().status == "new" and Contact.objects.count() == 0


def test_linking_to_an_account_out_of_scope_is_refused(client, org):
    theirs = make("account", org.mallory, "Của Mai")
    lead = _lead(org)
    login(client, org.alice)
    response = client.post(
        url("lead", "convert", lead.pk),
        {"account_mode": "existing", "account": theirs.pk, "contact_mode": "new"},
    )
    assert response.status_code == 200 and response.context["form"].errors["account"]
    assert Contact.objects.count() == 0 and Lead.objects.get().status == "new"


def test_a_missing_right_stops_the_whole_conversion(client, org):
    """A role that may not create opportunities: nothing is half-converted."""
    role = org.alice.role
    role.rights = {**role.rights, "crm.opportunity": ["view"]}
    role.save()
    lead = _lead(org)
    login(client, org.alice)
    response = client.post(
        url("lead", "convert", lead.pk),
        {"account_mode": "new", "contact_mode": "new", "create_opportunity": "on"},
    )
    assert response.status_code == 200
    assert "may not create opportunities" in response.content.decode()
    assert Account.objects.count() == 0 and Contact.objects.count() == 0 and Opportunity.objects.count() == 0
    assert Lead.objects.get().status == "new"


def test_conversion_needs_the_change_right_and_scope(client, org):
    lead = _lead(org)
    login(client, org.viewer)
    assert client.get(url("lead", "convert", lead.pk)).status_code == 403
    login(client, org.mallory)
    assert client.get(url("lead", "convert", lead.pk)).status_code == 404
    assert (
        client.post(
            url("lead", "convert", lead.pk), {"account_mode": "new", "contact_mode": "new"}
        ).status_code
        == 404
    )
    assert Lead.objects.get().status == "new"


def test_converted_status_is_not_offered_in_the_form(client, org):
    lead = _lead(org)
    login(client, org.alice)
    form = client.get(url("lead", "edit", lead.pk)).context["form"]
    assert "converted" not in [value for value, _label in form.fields["status"].choices]


def test_the_salutation_shows_as_its_label(client, org):
    lead = _lead(org, salutation="chi")
    login(client, org.alice)
    assert "Ms (chị)" in client.get(url("lead", "detail", lead.pk)).content.decode()
    assert "Ms (chị)</span>" in client.get(url("lead", "list")).content.decode()
