"""Quote services: creation from an opportunity, numbering, prices, bad input, revisions, expiry,
acceptance. Figures are computed by hand in the comments."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from sencrm.core.models import AuditEntry, Tag
from sencrm.core.services.records import record_update
from sencrm.crm.models import Opportunity, Stage
from sencrm.sales.models import Currency, ExchangeRate, Quote, QuoteCounter, QuoteLine, QuoteRevision
from sencrm.sales.services.quotes import quote_accept, quote_create, quote_reject, quote_update, quotes_expire
from sencrm.sales.tasks import expire_quotes
from sencrm.sales.tests import factories as f

TODAY = datetime.date(2026, 11, 20)


def _sent(quote, by):
    """Mark a quote sent as the send service does, without a mail server (sending is tested apart)."""
    return record_update(quote, by=by, data={"status": Quote.Status.SENT})


def test_a_quote_from_an_opportunity_takes_its_account_contact_and_title(org):
    acct = f.account(org.alice)
    person = f.contact(org.alice, acct)
    opp = f.opportunity(org.alice, acct, person)
    nen = f.product(org.admin)
    quote = quote_create(
        by=org.alice,
        data={"opportunity": opp, "quote_date": TODAY},
        lines=[{"product": nen, "quantity": D(10), "discount_percent": D(5)}],
    )
    assert (quote.account, quote.contact, quote.title, quote.currency) == (
        acct,
        person,
        "Quà Tết 2027",
        "VND",
    )
    assert quote.number == "BG-HN-2026-0001"
    assert (quote.status, quote.revision, quote.valid_until) == ("draft", 1, datetime.date(2026, 12, 20))
    assert (quote.buyer_name, quote.buyer_tax_code, quote.buyer_email) == (
        "Công ty TNHH Quà Tặng Việt",
        "0101248141",
        "muahang@quatang.vn",
    )
    line = quote.lines.get()
    # 10 × 185 000 = 1 850 000, 5 % off = 92 500 → 1 757 500; VAT 8 % = 140 600.
    assert (line.description, line.unit, line.unit_price, line.vat_rate, line.amount) == (
        "Nến thơm hoa sen",
        "hũ",
        D(185000),
        "8",
        D(1757500),
    )
    assert (quote.subtotal, quote.vat_total, quote.total) == (D(1757500), D(140600), D(1898100))
    assert AuditEntry.objects.filter(entity="sales.quote", object_id=quote.pk, kind="create").count() == 1


def test_numbers_run_per_branch_and_year_without_duplicates(org):
    opp = f.opportunity(org.alice)
    numbers = [f.quote(org.alice, opp, quote_date=TODAY).number for _ in range(3)]
    numbers.append(f.quote(org.alice, opp, quote_date=datetime.date(2027, 1, 2)).number)
    numbers.append(f.quote(org.mallory, f.opportunity(org.mallory), quote_date=TODAY).number)
    numbers.append(f.quote(org.dave, f.opportunity(org.dave), quote_date=TODAY).number)
    assert numbers == [
        "BG-HN-2026-0001",
        "BG-HN-2026-0002",
        "BG-HN-2026-0003",
        "BG-HN-2027-0001",
        "BG-HCM-2026-0001",
        "BG-CG-2026-0001",
    ]
    assert QuoteCounter.objects.get(branch=org.hn, year=2026).last == 3


def test_a_refused_quote_gives_its_number_back(org):
    opp = f.opportunity(org.alice)
    f.quote(org.alice, opp, quote_date=TODAY)
    with pytest.raises(ValidationError):
        # The currency is checked while saving, after the number was taken: the rollback returns it.
        f.quote(org.alice, opp, quote_date=TODAY, currency="XYZ")
    assert f.quote(org.alice, opp, quote_date=TODAY).number == "BG-HN-2026-0002"


def test_the_account_price_list_for_the_date_gives_the_unit_price(org):
    nen, ly = f.product(org.admin), f.product(org.admin, "CHN-001", "Chân nến gốm", 165000, vat_rate="10")
    dealers = Tag.objects.create(name="Đại lý")
    f.price_list(org.admin, {nen: 150000}, name="Chung")
    f.price_list(org.admin, {nen: 140000, ly: 150000}, name="Đại lý", customer_group=dealers)
    f.price_list(org.admin, {nen: 100000}, name="Hết hạn", valid_to=datetime.date(2026, 1, 31))
    acct = f.account(org.alice)
    lines = [{"product": nen, "quantity": D(1)}, {"product": ly, "quantity": D(1)}]
    quote = quote_create(by=org.alice, data={"account": acct, "quote_date": TODAY}, lines=lines)
    assert quote.price_list.name == "Chung"
    assert [x.unit_price for x in quote.lines.order_by("position")] == [D(150000), D(165000)]  # list price
    acct.tags.add(dealers)
    quote = quote_create(by=org.alice, data={"account": acct, "quote_date": TODAY}, lines=lines)
    assert quote.price_list.name == "Đại lý"
    assert [x.unit_price for x in quote.lines.order_by("position")] == [D(140000), D(150000)]


def test_a_price_list_in_another_currency_is_refused_and_nothing_is_written(org):
    nen = f.product(org.admin)
    usd_list = f.price_list(org.admin, {nen: 7}, name="Export", currency="USD")
    opp = f.opportunity(org.alice)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        f.quote(org.alice, opp, price_list=usd_list)
    assert exc.value.message_dict == {"price_list": ["This price list is in USD but the quote is in VND."]}
    assert (Quote.objects.count(), QuoteLine.objects.count(), QuoteCounter.objects.count()) == (0, 0, 0)


def test_a_list_price_in_another_currency_is_converted_by_the_rate_table(org):
    oil = f.product(org.admin, "TD-005", "Tinh dầu oải hương", D("12.50"), currency="USD", vat_rate="10")
    usd = Currency.objects.get(code="USD")
    ExchangeRate.objects.create(currency=usd, date=datetime.date(2026, 11, 1), rate=D("25400"))
    ExchangeRate.objects.create(
        currency=usd, date=datetime.date(2026, 12, 1), rate=D("26000")
    )  # later: unused
    quote = f.quote(org.alice, lines=[{"product": oil, "quantity": D(2)}], quote_date=TODAY)
    # 12,50 USD × 25 400 = 317 500 đồng a bottle; 2 bottles 635 000; VAT 10 % 63 500.
    assert quote.lines.get().unit_price == D(317500)
    assert quote.total == D(698500)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        f.quote(org.alice, lines=[{"product": oil, "quantity": D(2)}], quote_date=datetime.date(2026, 10, 1))
    assert exc.value.message_dict == {
        "lines.0.unit_price": ["No exchange rate for USD on or before 01/10/2026."]
    }


@pytest.mark.parametrize(
    ("line", "field", "english"),
    [
        ({"quantity": D(-1)}, "quantity", "The quantity must be greater than zero."),
        ({"quantity": D(0)}, "quantity", "The quantity must be greater than zero."),
        (
            {"quantity": D(1), "discount_percent": D(101)},
            "discount_percent",
            "The discount must be between 0 and 100%.",
        ),
        (
            {"quantity": D(1), "discount_amount": D(185001)},
            "discount_amount",
            "The discount cannot be more than the line's amount.",
        ),
        ({"quantity": D(1), "unit_price": D(-5)}, "unit_price", "The unit price cannot be negative."),
    ],
)
def test_bad_lines_get_a_field_error_and_nothing_is_written(org, line, field, english):
    nen = f.product(org.admin)
    opp = f.opportunity(org.alice)
    lines = [{"product": nen, "quantity": D(1)}, {"product": nen, **line}]
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        quote_create(by=org.alice, data={"opportunity": opp}, lines=lines)
    assert exc.value.message_dict == {f"lines.1.{field}": [english]}
    assert (Quote.objects.count(), QuoteLine.objects.count(), QuoteCounter.objects.count()) == (0, 0, 0)


def test_an_inactive_product_cannot_go_on_a_new_line_but_stays_on_an_old_one(org):
    nen = f.product(org.admin)
    quote = f.quote(org.alice)
    record_update(nen, by=org.admin, data={"active": False})
    other = f.product(org.admin, "NEN-002", "Nến quế", 215000)
    record_update(other, by=org.admin, data={"active": False})
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        f.quote(org.alice, lines=[{"product": other, "quantity": D(1)}])
    assert exc.value.message_dict == {"lines.0.product": ["This product is inactive and cannot be quoted."]}
    # The line already on the quote keeps its product when the quote is edited.
    updated = quote_update(quote=quote, by=org.alice, data={"notes": "Giao trước Tết"})
    assert updated.lines.get().product == nen
    with pytest.raises(ValidationError) as exc:
        quote_update(quote=quote, by=org.alice, data={}, lines=[{"product": other, "quantity": D(1)}])
    assert list(exc.value.message_dict) == ["lines.0.product"]


def test_errors_in_vietnamese(org):
    opp = f.opportunity(org.alice)
    with translation.override("vi"), pytest.raises(ValidationError) as exc:
        quote_create(
            by=org.alice,
            data={"opportunity": opp},
            lines=[{"description": "Phí giao hàng", "quantity": "abc", "unit_price": D(1)}],
        )
    assert exc.value.message_dict == {"lines.0.quantity": ["Vui lòng nhập số."]}
    with translation.override("vi"), pytest.raises(ValidationError) as exc:
        quote_create(
            by=org.alice, data={"opportunity": opp}, lines=[{"description": "Phí", "unit_price": D(1)}]
        )
    assert exc.value.message_dict == {"lines.0.quantity": ["Vui lòng nhập trường này."]}


def test_free_text_lines_need_a_description_and_a_price(org):
    opp = f.opportunity(org.alice)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        quote_create(by=org.alice, data={"opportunity": opp}, lines=[{"quantity": D(1), "unit_price": D(5)}])
    assert exc.value.message_dict == {"lines.0.description": ["Describe a line without a product."]}
    quote = quote_create(
        by=org.alice,
        data={"opportunity": opp},
        lines=[
            {
                "description": "Phí giao hàng",
                "unit": "chuyến",
                "quantity": D(1),
                "unit_price": D(30000),
                "vat_rate": "kct",
            }
        ],
    )
    assert (quote.subtotal, quote.vat_total, quote.total) == (D(30000), D(0), D(30000))


def test_editing_a_draft_changes_it_in_place(org):
    quote = f.quote(org.alice)
    nen = quote.lines.get().product
    updated = quote_update(quote=quote, by=org.alice, data={}, lines=[{"product": nen, "quantity": D(2)}])
    assert (updated.revision, updated.status, updated.total) == (1, "draft", D(399600))  # 370 000 + 29 600
    assert QuoteRevision.objects.count() == 0
    entry = AuditEntry.objects.filter(
        entity="sales.quote", object_id=quote.pk, changes__has_key="lines"
    ).get()
    assert entry.changes["lines"][1] == "Nến thơm hoa sen × 2 @ 185000.00 = 370000.00"


def test_editing_a_sent_quote_makes_a_revision_and_keeps_the_sent_one(org):
    quote = _sent(f.quote(org.alice), org.alice)
    nen = quote.lines.get().product
    updated = quote_update(
        quote=quote,
        by=org.alice,
        data={"terms": "Giao trong 7 ngày"},
        lines=[{"product": nen, "quantity": D(20)}],
        expected_version=quote.version,
    )
    assert (updated.revision, updated.status, updated.terms) == (2, "draft", "Giao trong 7 ngày")
    assert updated.number == quote.number
    assert updated.total == D(3996000)  # 20 × 185 000 = 3 700 000 + 8 % 296 000
    kept = QuoteRevision.objects.get()
    assert (kept.revision, kept.total, kept.data["terms"]) == (1, D(1998000), "")
    assert kept.data["lines"][0]["quantity"] == "10.000"
    assert [g["vat"] for g in kept.data["groups"]] == ["148000.00"]


def test_closed_quotes_cannot_be_changed(org):
    quote = quote_reject(quote=_sent(f.quote(org.alice), org.alice), by=org.alice, reason="Giá cao")
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        quote_update(quote=quote, by=org.alice, data={"notes": "x"})
    assert exc.value.messages == ["A quote that is rejected can no longer be changed."]
    assert Quote.objects.get().notes == ""


def test_accepting_a_quote_wins_its_opportunity(org):
    quote = _sent(f.quote(org.alice), org.alice)
    accepted = quote_accept(quote=quote, by=org.alice)
    assert accepted.status == "accepted"
    opp = Opportunity.objects.get(pk=quote.opportunity_id)
    assert (opp.status, opp.stage.kind, opp.probability) == ("won", Stage.Kind.WON, 100)
    assert opp.stage_changes.count() == 2  # created, then won


def test_accepting_needs_a_sent_quote(org):
    quote = f.quote(org.alice)
    with pytest.raises(ValidationError) as exc:
        quote_accept(quote=quote, by=org.alice)
    assert list(exc.value.message_dict) == ["status"]
    assert Opportunity.objects.get().status == "open"


def test_accepting_leaves_a_pipeline_without_won_stage_alone(org):
    quote = _sent(f.quote(org.alice), org.alice)
    opp = quote.opportunity
    Stage.objects.filter(pipeline=opp.pipeline, kind=Stage.Kind.WON).update(kind=Stage.Kind.OPEN)
    quote_accept(quote=quote, by=org.alice)
    assert Opportunity.objects.get(pk=opp.pk).status == "open"


def test_the_expiry_task_expires_sent_quotes_past_validity_once(org):
    old = _sent(
        f.quote(org.alice, quote_date=datetime.date(2026, 10, 1), valid_until=datetime.date(2026, 10, 31)),
        org.alice,
    )
    fresh = _sent(f.quote(org.alice, quote_date=TODAY, valid_until=datetime.date(2026, 12, 31)), org.alice)
    draft = f.quote(org.alice, quote_date=datetime.date(2026, 10, 1), valid_until=datetime.date(2026, 10, 31))
    assert quotes_expire(today=datetime.date(2026, 11, 1)) == 1
    assert quotes_expire(today=datetime.date(2026, 11, 1)) == 0  # safe to run twice
    statuses = dict(Quote.objects.values_list("pk", "status"))
    assert statuses == {old.pk: "expired", fresh.pk: "sent", draft.pk: "draft"}
    entry = AuditEntry.objects.get(
        entity="sales.quote", object_id=old.pk, changes__has_key="status", user=None
    )
    assert entry.changes == {"status": ["sent", "expired"]}
    assert Quote.objects.get(pk=old.pk).version == old.version + 1


def test_the_periodic_task_calls_the_service(org):
    _sent(
        f.quote(org.alice, quote_date=datetime.date(2025, 1, 1), valid_until=datetime.date(2025, 1, 31)),
        org.alice,
    )
    assert expire_quotes.call_local() == 1
    assert Quote.objects.get().status == "expired"
