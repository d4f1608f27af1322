"""The shared list, form and display helpers (common.lists, common.forms, common.display)."""

import datetime

import pytest
from django.core.paginator import Paginator
from django.utils import translation

from sencrm.common import display
from sencrm.common.forms import MoneyField, PhoneField, custom_form_field, custom_stored
from sencrm.common.lists import Column, PageInfo, default_order, search
from sencrm.core.models import CustomField


@pytest.mark.parametrize(
    "typed, value",
    [
        ("1.250.000", 1250000),
        ("1,250,000", 1250000),
        ("1 250 000 ₫", 1250000),
        ("2500000đ", 2500000),
        ("0", 0),
    ],
)
def test_money_field_reads_amounts_as_people_type_them(typed, value):
    assert MoneyField().clean(typed) == value


@pytest.mark.parametrize("typed", ["-5", "1,5tr", "abc"])
def test_money_field_refuses_what_is_no_whole_amount(typed):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        MoneyField().clean(typed)


def test_money_and_phone_fields_show_stored_values_readably():
    with translation.override("vi"):
        assert MoneyField().prepare_value(1250000) == "1.250.000"
    assert PhoneField().prepare_value("+84912345678") == "0912 345 678"
    assert PhoneField().prepare_value("091 234") == "091 234"


def test_custom_form_fields_round_trip_to_stored_values():
    date_field = custom_form_field(CustomField(key="d", label="D", type="date"))
    bool_field = custom_form_field(CustomField(key="b", label="B", type="bool"))
    with translation.override("vi"):
        assert custom_stored(date_field.clean("05/03/2026")) == "2026-03-05"
    assert bool_field.clean("false") is False and bool_field.clean("") is None
    assert custom_stored(None) is None and custom_stored([]) is None


def test_display_formats_by_field_kind(db):
    from sencrm.crm.models import Account, Opportunity

    account = Account(
        name="A", type="supplier", phone="+842438251234", annual_revenue=1250000, website="https://a.vn"
    )
    with translation.override("en"):
        assert display.display_value(account, "type") == "Supplier"
    with translation.override("vi"):
        assert "024 3825 1234" in display.display_value(account, "phone")
        assert display.display_value(account, "annual_revenue") == "1.250.000\u00a0₫"
        assert 'href="https://a.vn"' in display.display_value(account, "website")
        assert display.display_value(account, "industry") is display.EMPTY
        deal = Opportunity(name="D", amount=5000, currency="USD", expected_close=datetime.date(2026, 3, 5))
        assert display.display_value(deal, "amount") == "5.000 USD"
        assert display.display_value(deal, "expected_close") == "05/03/2026"


def test_audit_values_show_choice_labels_dates_and_money():
    from sencrm.crm.models import Account, Opportunity

    with translation.override("en"):
        assert display.audit_value(Account, "type", "supplier", custom_fields={}, users={}) == "Supplier"
        assert (
            display.audit_value(Opportunity, "expected_close", "2026-03-05", custom_fields={}, users={})
            == "05/03/2026"
        )
        assert display.audit_value(Opportunity, "amount", 1250000, custom_fields={}, users={}) == "₫1,250,000"
        assert display.audit_value(Account, "name", None, custom_fields={}, users={}) == "—"


def test_search_matches_word_starts_and_phone_digits(db):
    from sencrm.crm.models import Contact

    qs = Contact.objects.all()
    sql = str(search(qs, "Nguyễn  ánh").query)
    assert "% nguyen%" in sql and "% anh%" in sql
    sql = str(search(qs, "(+84) 912-345-678").query)
    assert "% 0912345678 %" in sql
    assert str(search(qs, "").query) == str(qs.query)


def test_default_order_is_nulls_last_with_an_id_tiebreak():
    terms = default_order(["-created_at"])
    assert terms[-1] == "-pk" and terms[0].descending and terms[0].nulls_last
    assert default_order(["sort_name"])[-1] == "pk"


def test_page_info_range_and_page_numbers():
    page = Paginator(range(12345), 50).page(3)
    info = PageInfo(page=page, count=12345, first=page.start_index(), last=page.end_index())
    with translation.override("vi"):
        assert info.range_text.startswith("101–150 ") and info.range_text.endswith(" 12.345")
    with translation.override("en"):
        assert info.range_text == "101–150 of 12,345"
    assert info.page_numbers() == [1, 2, 3, 4, None, 247]


def test_columns_derive_labels_kinds_and_sorts():
    from sencrm.crm.models import Contact, Opportunity

    owner = Column("owner").bind(Contact)
    account = Column("account").bind(Contact)
    tags = Column("tags").bind(Contact)
    stage = Column("stage").bind(Opportunity)
    assert owner.sort == ("owner__first_name", "owner__last_name") and owner.select_related == ("owner",)
    assert account.sort == ("account__sort_name",)
    assert tags.sort is None and tags.prefetch_related == ("tags",)
    assert stage.kind == "fk" and stage.sort == ("stage__name",)
