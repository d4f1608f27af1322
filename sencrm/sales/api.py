"""Sales API: products, price lists (items nested) and quotes (lines nested), plus the quote
actions (send, accept, reject), its PDF and its earlier revisions.

Each kind is a ``common.api.RecordResource``; the quote and price-list services take the nested
lines/items, whose product ids are resolved here (a product the user cannot see is refused like
a missing one, naming ``lines.<n>.product``).
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from sencrm.common.api import (
    ListParams,
    RecordResource,
    add_record_routes,
    errors_doc,
    etag,
    existing,
    expected_version,
    page_schema,
    paginate,
    visible,
)
from sencrm.common.models import Action
from sencrm.core.api import record_services
from sencrm.core.models import Branch, Tag, User
from sencrm.crm.models import Account, Contact, Opportunity
from sencrm.sales.models import PriceList, Product, ProductGroup, Quote
from sencrm.sales.schemas import (
    PriceListFilters,
    PriceListIn,
    PriceListOut,
    ProductFilters,
    ProductIn,
    ProductOut,
    QuoteFilters,
    QuoteIn,
    QuoteOut,
    QuotePatch,
    QuoteRejectIn,
    QuoteRevisionOut,
    QuoteSendIn,
)
from sencrm.sales.services.products import price_list_create, price_list_update
from sencrm.sales.services.quotes import quote_accept, quote_create, quote_reject, quote_send, quote_update

router = Router()

PLACEMENT_REFS = {
    "owner": existing(lambda: User.objects.filter(is_active=True)),
    "branch": existing(Branch.objects.all),
}
NAME_SORTS = {"name": "sort_name", "created_at": "created_at"}


def _products_for(by, rows: list[dict] | None, prefix: str) -> None:
    """Replace the product ids of nested ``rows`` by the products ``by`` may see (in place)."""
    if not rows:
        return
    ids = {row["product"] for row in rows if row.get("product") is not None}
    products = {p.pk: p for p in Product.objects.visible_to(by).filter(pk__in=ids)}
    errors = {}
    for index, row in enumerate(rows):
        if row.get("product") is None:
            continue
        product = products.get(row["product"])
        if product is None:
            errors[f"{prefix}.{index}.product"] = [_("No such choice, or you may not see it.")]
        row["product"] = product
    if errors:
        raise ValidationError(errors)


# ---------------------------------------------------------------------------------------------------
# Products and price lists
# ---------------------------------------------------------------------------------------------------

products = RecordResource(
    path="products",
    model=Product,
    schema_in=ProductIn,
    schema_out=ProductOut,
    filters=ProductFilters,
    sorts={**NAME_SORTS, "code": "code", "list_price": "list_price"},
    default_sort="name",
    refs={**PLACEMENT_REFS, "group": existing(ProductGroup.objects.all)},
    related=("owner", "branch", "team", "group"),
    **record_services(Product),
)


@dataclass(frozen=True)
class PriceListResource(RecordResource):
    def queryset(self):
        return super().queryset().prefetch_related("items")


def _price_list_create(*, by, data, custom=None, tags=None):
    items = data.pop("items", None)
    _products_for(by, items, "items")
    return price_list_create(by=by, data=data, items=items, custom=custom, tags=tags)


def _price_list_update(instance, *, by, data, custom=None, tags=None, expected_version=None):
    items = data.pop("items", None)
    _products_for(by, items, "items")
    return price_list_update(
        price_list=instance,
        by=by,
        data=data,
        items=items,
        custom=custom,
        tags=tags,
        expected_version=expected_version,
    )


price_lists = PriceListResource(
    path="price-lists",
    model=PriceList,
    schema_in=PriceListIn,
    schema_out=PriceListOut,
    filters=PriceListFilters,
    sorts={**NAME_SORTS, "valid_from": "valid_from"},
    default_sort="name",
    refs={**PLACEMENT_REFS, "customer_group": existing(Tag.objects.all)},
    **{**record_services(PriceList), "create": _price_list_create, "update": _price_list_update},
)


# ---------------------------------------------------------------------------------------------------
# Quotes
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteResource(RecordResource):
    def queryset(self):
        return super().queryset().prefetch_related("lines")


def _quote_data(data: dict) -> dict:
    # Empty optional values mean "the default" to the service, not "blank".
    return {
        k: v for k, v in data.items() if not (k in {"currency", "quote_date", "valid_until"} and v is None)
    }


def _quote_create(*, by, data, custom=None, tags=None):
    lines = data.pop("lines")
    _products_for(by, lines, "lines")
    return quote_create(by=by, data=_quote_data(data), lines=lines, custom=custom, tags=tags)


def _quote_update(instance, *, by, data, custom=None, tags=None, expected_version=None):
    lines = data.pop("lines", None)
    _products_for(by, lines, "lines")
    return quote_update(
        quote=instance,
        by=by,
        data=_quote_data(data),
        lines=lines,
        custom=custom,
        tags=tags,
        expected_version=expected_version,
    )


quotes = QuoteResource(
    path="quotes",
    model=Quote,
    schema_in=QuoteIn,
    schema_out=QuoteOut,
    schema_patch=QuotePatch,
    filters=QuoteFilters,
    sorts={"created_at": "created_at", "number": "number", "total": "total", "valid_until": "valid_until"},
    default_sort="-created_at",
    refs={
        **PLACEMENT_REFS,
        "account": visible(Account),
        "contact": visible(Contact),
        "opportunity": visible(Opportunity),
        "price_list": visible(PriceList),
    },
    **{**record_services(Quote), "create": _quote_create, "update": _quote_update},
)

for resource in (products, price_lists, quotes):
    add_record_routes(router, resource)


def _acted(quote, response: HttpResponse):
    quote = quotes.reload(quote)
    response["ETag"] = etag(quote)
    return quote


@router.post(
    "/quotes/{record_id}/send",
    response={200: QuoteOut, **errors_doc(400, 401, 403, 404, 412, 422)},
    tags=["quotes"],
    summary="Email the quote's PDF and mark it sent (logged on the timeline)",
)
def send_quote(request, record_id: int, payload: QuoteSendIn, response: HttpResponse):
    quote = quotes.get_for(request.user, record_id, Action.CHANGE)
    version = expected_version(request, quote)
    sent = quote_send(
        quote=quote,
        by=request.user,
        to=payload.to,
        subject=payload.subject,
        message=payload.message,
        expected_version=version,
    )
    return _acted(sent, response)


@router.post(
    "/quotes/{record_id}/accept",
    response={200: QuoteOut, **errors_doc(401, 403, 404, 412, 422)},
    tags=["quotes"],
    summary="The customer accepted: the opportunity moves to its won stage",
)
def accept_quote(request, record_id: int, response: HttpResponse):
    quote = quotes.get_for(request.user, record_id, Action.CHANGE)
    accepted = quote_accept(quote=quote, by=request.user, expected_version=expected_version(request, quote))
    return _acted(accepted, response)


@router.post(
    "/quotes/{record_id}/reject",
    response={200: QuoteOut, **errors_doc(401, 403, 404, 412, 422)},
    tags=["quotes"],
    summary="The customer declined the quote",
)
def reject_quote(request, record_id: int, response: HttpResponse, payload: QuoteRejectIn | None = None):
    quote = quotes.get_for(request.user, record_id, Action.CHANGE)
    reason = (payload or QuoteRejectIn()).reason
    rejected = quote_reject(
        quote=quote, by=request.user, reason=reason, expected_version=expected_version(request, quote)
    )
    return _acted(rejected, response)


@router.get(
    "/quotes/{record_id}/pdf",
    response={200: None, **errors_doc(401, 403, 404)},
    tags=["quotes"],
    summary="The quote as an A4 PDF",
)
def quote_pdf_download(request, record_id: int):
    quote = quotes.get_for(request.user, record_id)
    from sencrm.sales.services.documents import quote_pdf  # fpdf2 (35 MB) only in workers that print

    response = HttpResponse(quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{quote.number}.pdf"'
    return response


@router.get(
    "/quotes/{record_id}/revisions",
    response={200: page_schema(QuoteRevisionOut), **errors_doc(401, 403, 404, 422)},
    tags=["quotes"],
    summary="Earlier versions of the quote, newest first",
)
def quote_revisions(request, record_id: int, params: Query[ListParams]):
    quote = quotes.get_for(request.user, record_id)
    return paginate(request, quote.revisions.order_by("-revision"), params)
