"""Contact and account pages: names, consent, related lists, the timeline hook."""

from sencrm.crm.models import Contact
from sencrm.crm.tests.views_support import login, make, url


def test_names_show_in_vietnamese_order_with_the_salutation(client, org):
    make(
        "contact", org.alice, "", family_name="Nguyễn", middle_name="Văn", given_name="Đức", salutation="anh"
    )
    login(client, org.alice)
    html = client.get(url("contact", "list")).content.decode()
    assert "Mr (anh)</span>" in html and ">Nguyễn Văn Đức</a>" in html


def test_consent_is_edited_per_channel_and_shown(client, org):
    login(client, org.alice)
    response = client.post(
        url("contact", "create"),
        {
            "given_name": "Lan",
            "family_name": "Trần",
            "consent_email_granted": "on",
            "consent_email_at": "05/03/2026",
            "consent_email_source": "Form trên web",
            "consent_zalo_source": "Gọi điện",
        },
    )
    contact = Contact.objects.get()
    assert response.status_code == 302
    assert contact.consent == {
        "email": {"granted": True, "at": "2026-03-05", "source": "Form trên web"},
        "zalo": {"granted": False, "at": "", "source": "Gọi điện"},
    }
    html = client.get(url("contact", "detail", contact.pk)).content.decode()
    assert 'data-testid="consent"' in html and "05/03/2026" in html and "Form trên web" in html
    # No box is ticked unless consent was given.
    form_html = client.get(url("contact", "create")).content.decode()
    assert (
        'name="consent_email_granted" class="form-check-input" id="id_consent_email_granted" checked'
        not in form_html
    )
    assert "checked" not in form_html.split('data-testid="consent-form"')[1]


def test_withdrawing_consent_dates_the_withdrawal(client, org):
    contact = make(
        "contact", org.alice, "Lan", consent={"sms": {"granted": True, "at": "2025-01-01", "source": "x"}}
    )
    login(client, org.alice)
    form = client.get(url("contact", "edit", contact.pk)).context["form"]
    assert form["consent_sms_granted"].value() is True
    data = {"given_name": "Lan", "version": contact.version, "owner": org.alice.pk, "consent_sms_source": "x"}
    client.post(url("contact", "edit", contact.pk), data)
    contact.refresh_from_db()
    assert contact.consent["sms"]["granted"] is False
    assert contact.consent["sms"]["at"] != "2025-01-01"


def test_account_detail_lists_contacts_and_deals_and_loads_the_timeline(client, org):
    account = make("account", org.alice, "Công ty A")
    make("contact", org.alice, "Lê Lan", account=account)
    make("opportunity", org.alice, "Deal A", account=account)
    login(client, org.alice)
    html = client.get(url("account", "detail", account.pk)).content.decode()
    assert 'data-testid="related-contacts"' in html and "Lê Lan" in html
    assert 'data-testid="related-opportunities"' in html and "Deal A" in html
    assert f'hx-get="/accounts/{account.pk}/timeline/"' in html
    assert f"/activities/new/?account={account.pk}&amp;kind=call" in html


def test_contact_detail_loads_its_timeline_and_prefills_activities(client, org):
    contact = make("contact", org.alice, "Lê Lan")
    login(client, org.alice)
    html = client.get(url("contact", "detail", contact.pk)).content.decode()
    assert f'hx-get="/contacts/{contact.pk}/timeline/"' in html
    assert f"/activities/new/?contact={contact.pk}&amp;kind=call" in html
