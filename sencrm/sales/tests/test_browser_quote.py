"""A rep builds a quote from an opportunity in a real browser (issue 5, "Done when"): the htmx line
editor prices and totals on the server, the PDF carries the Vietnamese text, the quote is sent and
accepted, and the deal is won. Elements are found by name and ``data-testid``, not translated text."""

import io
import re

import pytest
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from sencrm.common.testing import PASSWORD, make_org
from sencrm.crm.models import Opportunity
from sencrm.sales.models import Quote
from sencrm.sales.tests import factories as f
from sencrm.tests_browser.conftest import _reload_admin_units, browser, page  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rep_quotes_an_opportunity_and_wins_it(page):  # noqa: F811 - the imported fixture
    org = make_org()
    opp = f.opportunity(org.alice)
    candle = f.product(org.admin)  # 185 000 đ, VAT 8 %
    page.goto(reverse("login"))
    page.locator("input[name=username]").fill(org.alice.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/$"))

    page.goto(reverse("crm:opportunity_detail", args=[opp.pk]))
    page.get_by_test_id("create-quote").click()
    page.wait_for_url(re.compile(r"/quotes/new/"))
    editor = page.get_by_test_id("quote-lines")
    # Each change re-renders the editor from the server (htmx): type first, then pick the product.
    editor.locator("input[name=line_quantity]").first.fill("10")
    editor.locator("select[name=line_product]").first.select_option(str(candle.pk))
    page.get_by_test_id("editor-total").filter(has_text="1.998.000").wait_for()
    page.get_by_test_id("add-line").click()
    page.locator("input[name=line_description]").nth(1).wait_for()
    page.locator("input[name=line_description]").nth(1).fill("Phí giao hàng")
    page.locator("input[name=line_unit_price]").nth(1).fill("30.000")
    page.locator("input[name=line_quantity]").nth(1).fill("1")
    page.locator("select[name=line_vat_rate]").nth(1).select_option("kct")
    page.get_by_test_id("editor-total").filter(has_text="2.028.000").wait_for()
    page.get_by_test_id("save").click()
    page.wait_for_url(re.compile(r"/quotes/\d+/$"))
    quote = Quote.objects.get()
    assert (quote.number, quote.total) == (f"BG-HN-{quote.quote_date.year}-0001", 2028000)
    assert "Hai triệu không trăm hai mươi tám nghìn đồng" in page.get_by_test_id("in-words").inner_text()

    pdf = page.request.get(reverse("sales:quote_pdf", args=[quote.pk]))
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "Nến thơm hoa sen" in text and "Hai triệu không trăm hai mươi tám nghìn đồng" in text

    page.get_by_test_id("send").click()
    page.locator("input[name=to]").fill("hoa@quatang.vn")
    page.get_by_test_id("send-submit").click()
    page.get_by_test_id("accept").wait_for()
    assert [m.to for m in mail.outbox] == [["hoa@quatang.vn"]]
    page.get_by_test_id("accept").click()
    page.wait_for_load_state()
    page.get_by_test_id("pdf").wait_for()
    assert Quote.objects.get().status == "accepted"
    assert Opportunity.objects.get().status == "won"
