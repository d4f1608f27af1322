"""List pages at scale (issue 4): keyset "next"/"previous" links, capped totals, bad cursors.

"Next" and "previous" carry the sort key of the last/first row shown (``?after=``/``?before=``), so
a page deep in a million rows costs what the first does; ``?page=N`` alone still works (offset).
Totals are counted up to ``COUNT_LIMIT`` rows ("1–50 of more than 10,000"), and not at all when the
page read shows there is no next page.
"""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sencrm.common import lists
from sencrm.common.lists import decode_cursor, encode_cursor
from sencrm.crm.models import Contact, Lead
from sencrm.crm.tests.views_support import login, make, row_pks, url


def _link(response, rel: str) -> str | None:
    """The URL of the pager's "next" or "prev" link (its href is a query string), or None."""
    html = response.content.decode()
    match = re.search(rf'<a class="page-link" href="([^"]*)" hx-get="[^"]*" rel="{rel}"', html)
    return response.wsgi_request.path + unescape(match.group(1)) if match else None


def _walk(client, first_url: str, params=None) -> tuple[list[int], list]:
    """Follow "next" from the first page to the last: every row shown, and every response."""
    response = client.get(first_url, params or {})
    pks, responses = row_pks(response), [response]
    while (href := _link(response, "next")) is not None:
        response = client.get(href)
        pks += row_pks(response)
        responses.append(response)
        assert len(responses) < 50
    return pks, responses


@pytest.fixture
def small_pages(settings):
    settings.SENCRM_PAGE_SIZE = 2


def test_next_links_walk_every_row_once_in_order(client, org, small_pages):
    for name in ["Lan", "An", "Bình", "Châu", "Dũng", "Giang", "Hà"]:
        make("contact", org.erin, f"Nguyễn Văn {name}")
    login(client, org.erin)

    pks, responses = _walk(client, url("contact", "list"))

    expected = list(Contact.objects.order_by("sort_name", "pk").values_list("pk", flat=True))
    assert pks == expected
    assert "after=" in _link(responses[0], "next")  # a keyset cursor, not an offset
    assert "3–4 of 7" in responses[1].content.decode()  # the page number travels with the cursor
    assert "7–7 of 7" in responses[-1].content.decode()


def test_previous_link_goes_back_one_page(client, org, small_pages):
    for i in range(7):
        make("lead", org.erin, f"Khách {i}")
    login(client, org.erin)
    _pks, responses = _walk(client, url("lead", "list"))

    back = client.get(_link(responses[2], "prev"))

    assert row_pks(back) == row_pks(responses[1])
    assert "3–4 of 7" in back.content.decode()
    # From page 2, "previous" is simply the first page (no cursor).
    assert "before=" not in _link(responses[1], "prev")
    assert row_pks(client.get(_link(responses[1], "prev"))) == row_pks(responses[0])


@pytest.mark.parametrize("sort", ["-created_at", "birthday", "-birthday", "owner", "-account", "email"])
def test_keyset_pages_match_the_full_order_whatever_the_sort(client, org, small_pages, sort):
    """Nullable columns (NULLs last both ways) and columns of another table page like plain ones."""
    account = make("account", org.erin, "Công ty Sen")
    owners = [org.alice, org.bob, org.erin]
    for i in range(9):
        make(
            "contact",
            owners[i % 3],
            f"Trần Thị {i}",
            birthday=datetime.date(1990, 1, 1 + i % 4) if i % 3 else None,
            account=account if i % 2 else None,
            email=f"k{i % 4}@example.vn",
        )
    login(client, org.erin)

    pks, _responses = _walk(client, url("contact", "list"), {"sort": sort})

    view = client.get(url("contact", "list"), {"sort": sort}).context["view"]
    state = client.get(url("contact", "list"), {"sort": sort}).context["state"]
    terms = state.sort_terms(view.default_sort, Contact)
    expected = list(Contact.objects.order_by(*(t.expression() for t in terms)).values_list("pk", flat=True))
    assert pks == expected and len(set(pks)) == 9


def test_a_row_added_before_the_cursor_does_not_repeat_a_row(client, org, small_pages):
    for name in ["Bảo", "Cường", "Dung", "Em"]:
        make("contact", org.erin, f"Lê Văn {name}")
    login(client, org.erin)
    first = client.get(url("contact", "list"))
    make("contact", org.erin, "Lê Văn An")  # sorts before everything shown

    second = client.get(_link(first, "next"))

    assert not set(row_pks(first)) & set(row_pks(second))
    assert [Contact.objects.get(pk=pk).given_name for pk in row_pks(second)] == ["Dung", "Em"]


def test_pages_never_show_rows_out_of_scope(client, org, small_pages):
    for owner in (org.alice, org.bob, org.alice, org.erin, org.alice, org.bob, org.alice):
        make("lead", owner)
    login(client, org.alice)  # scope "own"

    pks, _responses = _walk(client, url("lead", "list"))

    assert sorted(pks) == sorted(Lead.objects.filter(owner=org.alice).values_list("pk", flat=True))


@pytest.mark.parametrize(
    "params",
    [
        {"after": "not-a-cursor"},
        {"before": "%%%"},
        {"after": encode_cursor("-created_at", ["x", 1])},  # made for another sort
        {"after": encode_cursor("default", [1])},  # wrong number of keys
        {"after": encode_cursor("default", ["x", "not an id"])},
        {"page": "abc"},
        {"page": "-3"},
    ],
)
def test_bad_cursors_and_page_numbers_show_the_first_page(client, org, small_pages, params):
    for name in ["An", "Bình", "Châu"]:
        make("contact", org.erin, f"Phạm {name}")
    login(client, org.erin)

    response = client.get(url("contact", "list"), params)

    assert response.status_code == 200
    assert row_pks(response) == row_pks(client.get(url("contact", "list")))


def test_cursor_tokens_round_trip_dates_and_refuse_tampering():
    moment = datetime.datetime(2026, 3, 5, 9, 30, tzinfo=datetime.UTC)
    token = encode_cursor("-created_at", [moment, datetime.date(2026, 1, 2), None, "Hà", 42])

    assert decode_cursor(token, "-created_at", 5) == [moment, datetime.date(2026, 1, 2), None, "Hà", 42]
    assert decode_cursor(token, "created_at", 5) is None
    assert decode_cursor(token[:-3], "-created_at", 5) is None
    assert decode_cursor(encode_cursor("s", [{"x": 1}, 1]), "s", 2) is None


def test_totals_stop_at_the_count_limit(client, org, small_pages, monkeypatch):
    monkeypatch.setattr(lists, "COUNT_LIMIT", 3)
    for i in range(5):
        make("lead", org.erin, f"Khách {i}")
    login(client, org.erin)

    first = client.get(url("lead", "list"))
    last = client.get(url("lead", "list"), {"page": 3})

    assert "1–2 of more than 3" in first.content.decode()
    assert "5–5 of 5" in last.content.decode()  # the last page knows its total without counting


def _lead_counts(client, params=None) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url("lead", "list"), params or {})
    counts = [q for q in captured.captured_queries if "COUNT(" in q["sql"] and "crm_lead" in q["sql"]]
    return response.content.decode(), len(counts)


def test_only_a_list_with_a_next_page_is_counted(client, org, small_pages):
    for i in range(3):
        make("lead", org.erin, f"Khách {i}")
    login(client, org.erin)

    first, first_counts = _lead_counts(client)
    last, last_counts = _lead_counts(client, {"page": 2})

    assert "1–2 of 3" in first and first_counts == 1  # a next page exists: count (capped)
    assert "3–3 of 3" in last and last_counts == 0  # the last page: the rows read tell the total


def test_api_totals_stop_at_the_count_limit(org, monkeypatch):
    from sencrm.crm.tests.test_api_lists import API, client_for

    monkeypatch.setattr(lists, "COUNT_LIMIT", 3)
    for i in range(5):
        make("contact", org.alice, f"Võ Văn {i}")
    client = client_for(org.alice)

    first = client.get(f"{API}/contacts", {"limit": 2}).json()
    last = client.get(f"{API}/contacts", {"limit": 2, "offset": 4}).json()

    assert (first["count"], first["count_exact"], len(first["results"])) == (3, False, 2)
    assert first["next"] is not None
    assert (last["count"], last["count_exact"], last["next"]) == (5, True, None)
