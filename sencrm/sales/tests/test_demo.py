"""The sales part of ``sencrm demo``: a catalogue for the gift shop and the distributor, and
quotes whose stored figures are what the services would compute."""

from io import StringIO

from django.core.management import call_command

from sencrm.crm.models import Opportunity
from sencrm.sales.models import PriceList, Product, Quote, QuoteCounter, SellerProfile
from sencrm.sales.services.quotes import quote_figures

SIZE = 0.02


def test_demo_adds_catalogue_and_consistent_quotes(db):
    out = StringIO()
    call_command("demo", size=SIZE, stdout=out)
    assert "products" in out.getvalue() and "quotes" in out.getvalue()
    assert Product.objects.count() == 30
    assert set(Product.objects.values_list("group__name", flat=True)) >= {
        "Nến thơm",
        "Tinh dầu",
        "Combo quà tặng",
        "Thiết bị văn phòng",
    }
    assert PriceList.objects.count() == 3
    assert SellerProfile.objects.get().legal_name == "Công ty TNHH Sen Việt"
    quotes = list(Quote.objects.select_related("opportunity", "account").prefetch_related("lines"))
    assert len(quotes) == round(
        Opportunity.objects.filter(account__isnull=False, currency="VND").count() * 0.4
    )
    assert len({q.number for q in quotes}) == len(quotes)
    for quote in quotes:
        figures = quote_figures(quote)
        assert (quote.subtotal, quote.vat_total, quote.total) == (
            figures.subtotal,
            figures.vat,
            figures.total,
        )
        assert [line.amount for line in quote.lines.all()] == [a.amount for a in figures.lines]
        assert quote.account_id == quote.opportunity.account_id
        if quote.opportunity.status == "won":
            assert quote.status == "accepted"
        before = quote.search_text
        quote.refresh_search()
        assert quote.search_text == before
        quote.clean()
    for counter in QuoteCounter.objects.all():
        numbers = Quote.objects.filter(branch=counter.branch, quote_date__year=counter.year).count()
        assert counter.last == numbers


def test_a_second_load_reuses_the_catalogue_and_continues_the_numbers(db):
    call_command("demo", size=SIZE, stdout=StringIO())
    first = Quote.objects.count()
    call_command("demo", size=SIZE, force=True, seed=99, stdout=StringIO())
    assert Product.objects.count() == 30
    assert Quote.objects.count() > first
    assert Quote.objects.values("number").distinct().count() == Quote.objects.count()
