"""Orders API: list, detail, change, delete and audit as every record kind, plus

- ``POST /orders`` — create an order; a shop sends an ``Idempotency-Key`` header so a repeated
  request creates nothing twice, and may name its customer by email/phone instead of an account id;
- ``POST /orders/{id}/status`` — move it along new → confirmed → shipped → delivered, or cancel it;
- invoices (``/invoices``, ``/invoices/{id}/payments``, ``/invoices/{id}/cancel``, ``/receivables``)
  and contracts (``/contracts``, ``/contracts/{id}/documents``).

The bodies live here beside their handlers (sales/schemas.py holds part A's).
"""

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from sencrm.common.access import require_right
from sencrm.common.api import (
    ApiError,
    InSchema,
    ListParams,
    RecordFilters,
    RecordOut,
    RecordResource,
    add_record_routes,
    apply_filters,
    apply_sort,
    choice,
    errors_doc,
    etag,
    expected_version,
    page_schema,
    paginate,
    require_admin,
    resolve_refs,
    split_body,
    text,
    visible,
)
from sencrm.common.models import Action
from sencrm.core.api import record_services
from sencrm.crm.models import Account, Contact
from sencrm.crm.schemas import PlacementIn
from sencrm.sales.api import PLACEMENT_REFS, _products_for
from sencrm.sales.models import Carrier, Contract, ErpEndpoint, Invoice, Order, PaymentMethod
from sencrm.sales.schemas import PricedDocumentOut, QuoteLineIn, QuoteLineOut, VatGroupOut
from sencrm.sales.services.contracts import contract_document_add
from sencrm.sales.services.invoices import (
    account_balances,
    invoice_cancel,
    invoice_create,
    payment_record,
)
from sencrm.sales.services.orders import (
    IdempotencyConflict,
    order_create,
    order_customer,
    order_intake,
    order_set_status,
    order_update,
    orders_csv,
)

router = Router()

# ---------------------------------------------------------------------------------------------------
# Bodies
# ---------------------------------------------------------------------------------------------------


class CustomerIn(InSchema):
    """A shop's customer, found by email or phone among the records you may see, else created."""

    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=20)
    name: str = Field("", max_length=255, description="Full name, Vietnamese order (Họ Tên đệm Tên).")
    company: str = Field("", max_length=255, description="Company name: the order's account.")
    tax_code: str = Field("", max_length=20)
    address: str = Field("", max_length=255)


class OrderIn(PlacementIn):
    """An order: an ``account`` id, or a ``customer`` found or created by email/phone."""

    title: str = text(Order, "title", default="")
    account: int | None = None
    contact: int | None = None
    customer: CustomerIn | None = None
    external_ref: str = text(Order, "external_ref", default="")
    currency: str | None = Field(None, max_length=3, description="Default: VND.")
    order_date: datetime.date | None = None
    shipping_address: str = text(Order, "shipping_address", default="")
    notes: str = text(Order, "notes", default="")
    lines: list[QuoteLineIn]


class OrderPatch(InSchema):
    """Fields to change; ``lines``, account, contact and currency only while the order is new."""

    title: str | None = text(Order, "title", default=None)
    account: int | None = None
    contact: int | None = None
    external_ref: str | None = text(Order, "external_ref", default=None)
    currency: str | None = Field(None, max_length=3)
    order_date: datetime.date | None = None
    carrier: choice(Carrier, blank=True) | None = None
    tracking_number: str | None = text(Order, "tracking_number", default=None)
    shipping_address: str | None = text(Order, "shipping_address", default=None)
    notes: str | None = text(Order, "notes", default=None)
    lines: list[QuoteLineIn] | None = None
    owner: int | None = None
    branch: int | None = None
    tags: list[str] | None = None
    custom: dict | None = None
    version: int | None = Field(None, ge=1, description="The version you read; a stale one gets 412.")


class OrderStatusIn(InSchema):
    status: choice(Order.Status)
    carrier: choice(Carrier, blank=True) | None = None
    tracking_number: str | None = text(Order, "tracking_number", default=None)


class OrderOut(PricedDocumentOut):
    number: str
    title: str
    status: str
    source: str
    quote: int | None = Field(validation_alias="quote_id")
    account: int = Field(validation_alias="account_id")
    contact: int | None = Field(validation_alias="contact_id")
    external_ref: str
    currency: str
    order_date: datetime.date
    carrier: str
    tracking_number: str
    tracking_url: str
    shipping_address: str
    buyer_name: str
    buyer_tax_code: str
    buyer_address: str
    buyer_email: str
    notes: str
    lines: list[QuoteLineOut]
    vat_groups: list[VatGroupOut]
    subtotal: Decimal
    vat_total: Decimal
    total: Decimal
    amount_in_words: str


class OrderFilters(RecordFilters):
    status: choice(Order.Status) | None = None
    source: choice(Order.Source) | None = None
    account: int | None = None
    contact: int | None = None
    number: str | None = None
    external_ref: str | None = None


# ---------------------------------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderResource(RecordResource):
    def queryset(self):
        return super().queryset().prefetch_related("lines")


def _order_data(data: dict) -> dict:
    return {k: v for k, v in data.items() if not (k in {"currency", "order_date"} and v is None)}


def _order_update(instance, *, by, data, custom=None, tags=None, expected_version=None):
    lines = data.pop("lines", None)
    _products_for(by, lines, "lines")
    return order_update(
        order=instance,
        by=by,
        data=_order_data(data),
        lines=lines,
        custom=custom,
        tags=tags,
        expected_version=expected_version,
    )


orders = OrderResource(
    path="orders",
    model=Order,
    schema_in=OrderIn,
    schema_out=OrderOut,
    schema_patch=OrderPatch,
    filters=OrderFilters,
    sorts={"created_at": "created_at", "number": "number", "total": "total", "order_date": "order_date"},
    default_sort="-created_at",
    refs={**PLACEMENT_REFS, "account": visible(Account), "contact": visible(Contact)},
    **{**record_services(Order), "update": _order_update},
)


@router.get(
    "/orders/export",
    response={200: None, **errors_doc(401, 403, 422)},
    tags=["orders"],
    summary="The orders you may see as CSV (UTF-8 with BOM, for Excel), one row per order",
)
def export_orders(request, filters: Query[OrderFilters]):
    require_right(request.user, Order, Action.VIEW)
    qs = apply_filters(Order.objects.visible_to(request.user), filters)
    qs = apply_sort(qs, filters.sort, orders.sorts, orders.default_sort)
    response = StreamingHttpResponse(orders_csv(qs), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="orders.csv"'
    return response


add_record_routes(router, orders)
# The generic create gives way to the one below (idempotency key, customer by email/phone).
_view = router.path_operations["/orders"]
_view.operations = [op for op in _view.operations if "POST" not in op.methods]


def _create(request, payload: OrderIn) -> Order:
    data, custom, tag_names = split_body(payload)
    customer = data.pop("customer", None)
    lines = data.pop("lines")
    if customer is None and data.get("account") is None:
        raise ValidationError({"account": [_("Give an account id or the customer's email or phone.")]})
    resolve_refs(request.user, data, orders.refs)
    _products_for(request.user, lines, "lines")
    with transaction.atomic():
        if customer is not None and data.get("account") is None:
            data["account"], found_contact = order_customer(by=request.user, customer=customer)
            data.setdefault("contact", found_contact)
        return order_create(
            by=request.user,
            data=_order_data(data),
            lines=lines,
            custom=custom,
            tags=tag_names,
            source=Order.Source.API,
        )


@router.post(
    "/orders",
    response={201: OrderOut, **errors_doc(400, 401, 403, 409, 422)},
    operation_id="orders_create",
    url_name="orders_create",
    summary="Create an order (idempotent with an Idempotency-Key header)",
    description="Send `Idempotency-Key: <unique string>` so that a repeated request creates nothing "
    "twice: the same key with the same body answers the order made the first time (with "
    "`Idempotent-Replayed: true`); the same key with another body answers 409. The customer may be "
    "named by `customer.email`/`customer.phone` (found among the records you may see, else created) "
    "instead of an `account` id.",
    tags=["orders"],
)
def create_order(request, payload: OrderIn, response: HttpResponse):
    require_right(request.user, Order, Action.CREATE)
    key = (request.headers.get("Idempotency-Key") or "").strip()
    replayed = False
    if not key:
        order = _create(request, payload)
    elif len(key) > 255:
        raise ApiError(400, _("The Idempotency-Key is too long (at most 255 characters)."))
    else:
        body = json.dumps(payload.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        try:
            order, replayed = order_intake(
                by=request.user, key=key, body=body.encode(), create=lambda: _create(request, payload)
            )
        except IdempotencyConflict:
            raise ApiError(
                409,
                _("This Idempotency-Key was already used with a different request body."),
                {"Idempotency-Key": [_("Use a new key for a different order.")]},
            ) from None
    order = orders.reload(order)
    response["ETag"] = etag(order)
    response["Location"] = request.build_absolute_uri(f"{request.path}/{order.pk}")
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(201, order)


@router.post(
    "/orders/{record_id}/status",
    response={200: OrderOut, **errors_doc(401, 403, 404, 412, 422)},
    tags=["orders"],
    summary="Move the order to another status (new → confirmed → shipped → delivered, or cancelled)",
)
def set_order_status(request, record_id: int, payload: OrderStatusIn, response: HttpResponse):
    order = orders.get_for(request.user, record_id, Action.CHANGE)
    changed = order_set_status(
        order=order,
        by=request.user,
        status=payload.status,
        carrier=payload.carrier,
        tracking_number=payload.tracking_number,
        expected_version=expected_version(request, order),
    )
    changed = orders.reload(changed)
    response["ETag"] = etag(changed)
    return changed


# ---------------------------------------------------------------------------------------------------
# Invoices and payments
# ---------------------------------------------------------------------------------------------------


class InvoiceLineIn(InSchema):
    order_line: int = Field(description="Id of a line of the order.")
    quantity: Decimal = Field(description="At most what is left to invoice on that line.")


class InvoiceIn(PlacementIn):
    """An invoice for an order: ``lines`` (order line ids and quantities), or everything not yet invoiced."""

    order: int
    lines: list[InvoiceLineIn] | None = Field(None, description="Empty: everything not invoiced yet.")
    invoice_date: datetime.date | None = None
    due_date: datetime.date | None = Field(None, description="Default: 30 days after the invoice date.")
    payment_method: choice(PaymentMethod) = PaymentMethod.TRANSFER.value
    notes: str = text(Invoice, "notes", default="")


class InvoicePatch(InSchema):
    due_date: datetime.date | None = None
    payment_method: choice(PaymentMethod) | None = None
    buyer_name: str | None = text(Invoice, "buyer_name", default=None)
    buyer_tax_code: str | None = text(Invoice, "buyer_tax_code", default=None)
    buyer_address: str | None = text(Invoice, "buyer_address", default=None)
    buyer_email: str | None = text(Invoice, "buyer_email", default=None)
    notes: str | None = text(Invoice, "notes", default=None)
    owner: int | None = None
    branch: int | None = None
    tags: list[str] | None = None
    custom: dict | None = None
    version: int | None = Field(None, ge=1, description="The version you read; a stale one gets 412.")


class InvoiceLineOut(Schema):
    position: int
    order_line: int = Field(validation_alias="order_line_id")
    product: int | None = Field(validation_alias="product_id")
    description: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    discount_amount: Decimal
    vat_rate: str
    amount: Decimal


class InvoiceOut(PricedDocumentOut):
    number: str
    status: str
    order: int = Field(validation_alias="order_id")
    account: int = Field(validation_alias="account_id")
    currency: str
    invoice_date: datetime.date
    due_date: datetime.date
    payment_method: str
    seller_name: str
    seller_tax_code: str
    seller_address: str
    buyer_name: str
    buyer_tax_code: str
    buyer_address: str
    buyer_email: str
    notes: str
    lines: list[InvoiceLineOut]
    vat_groups: list[VatGroupOut]
    subtotal: Decimal
    vat_total: Decimal
    total: Decimal
    paid: Decimal
    outstanding: Decimal
    overdue: bool
    amount_in_words: str

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return obj.is_overdue()


class InvoiceFilters(RecordFilters):
    status: choice(Invoice.Status) | None = None
    account: int | None = None
    order: int | None = None
    number: str | None = None


class PaymentIn(InSchema):
    amount: Decimal = Field(description="At most the invoice's outstanding amount.")
    paid_on: datetime.date | None = None
    method: choice(PaymentMethod) = PaymentMethod.TRANSFER.value
    reference: str = Field("", max_length=100)


class PaymentOut(Schema):
    id: int
    invoice: int = Field(validation_alias="invoice_id")
    amount: Decimal
    paid_on: datetime.date
    method: str
    reference: str
    created_at: datetime.datetime


class BalanceOut(Schema):
    account: int
    currency: str
    outstanding: Decimal
    overdue: Decimal


@dataclass(frozen=True)
class InvoiceResource(RecordResource):
    def queryset(self):
        return super().queryset().prefetch_related("lines")


def _invoice_create(*, by, data, custom=None, tags=None):
    order = data.pop("order")
    lines = data.pop("lines", None)
    for name in ("invoice_date", "due_date"):
        if data.get(name) is None:
            data.pop(name, None)
    return invoice_create(order=order, by=by, data=data, lines=lines)


def _invoice_delete(instance, *, by, expected_version=None):
    from sencrm.core.services.records import record_delete

    # Invoices are accounting records: only a cancelled one may go to the Trash.
    if instance.status != Invoice.Status.CANCELLED:
        raise ValidationError({"status": [_("Cancel the invoice before deleting it.")]})
    return record_delete(instance, by=by, expected_version=expected_version)


invoices = InvoiceResource(
    path="invoices",
    model=Invoice,
    schema_in=InvoiceIn,
    schema_out=InvoiceOut,
    schema_patch=InvoicePatch,
    filters=InvoiceFilters,
    sorts={"created_at": "created_at", "number": "number", "total": "total", "due_date": "due_date"},
    default_sort="-created_at",
    refs={**PLACEMENT_REFS, "order": visible(Order)},
    related=("owner", "branch", "team"),
    **{**record_services(Invoice), "create": _invoice_create, "delete": _invoice_delete},
)
add_record_routes(router, invoices)


@router.post(
    "/invoices/{record_id}/cancel",
    response={200: InvoiceOut, **errors_doc(401, 403, 404, 412, 422)},
    tags=["invoices"],
    summary="Cancel an invoice nothing was paid on (its quantities can be invoiced again)",
)
def cancel_invoice(request, record_id: int, response: HttpResponse):
    invoice = invoices.get_for(request.user, record_id, Action.CHANGE)
    cancelled = invoices.reload(
        invoice_cancel(invoice=invoice, by=request.user, expected_version=expected_version(request, invoice))
    )
    response["ETag"] = etag(cancelled)
    return cancelled


@router.get(
    "/invoices/{record_id}/payments",
    response={200: page_schema(PaymentOut), **errors_doc(401, 403, 404, 422)},
    tags=["invoices"],
    summary="Payments of the invoice, oldest first",
)
def invoice_payments(request, record_id: int, params: Query[ListParams]):
    invoice = invoices.get_for(request.user, record_id)
    return paginate(request, invoice.payments.order_by("paid_on", "id"), params)


@router.post(
    "/invoices/{record_id}/payments",
    response={201: PaymentOut, **errors_doc(401, 403, 404, 412, 422)},
    tags=["invoices"],
    summary="Record a payment (partial allowed; more than the outstanding amount is refused)",
)
def add_payment(request, record_id: int, payload: PaymentIn):
    invoice = invoices.get_for(request.user, record_id, Action.CHANGE)
    payment = payment_record(
        invoice=invoice,
        by=request.user,
        amount=payload.amount,
        paid_on=payload.paid_on,
        method=payload.method,
        reference=payload.reference,
        expected_version=expected_version(request, invoice),
    )
    return Status(201, type(payment).objects.get(pk=payment.pk))  # amounts as stored


@router.get(
    "/receivables",
    response={200: list[BalanceOut], **errors_doc(401, 403, 422)},
    tags=["invoices"],
    summary="Outstanding and overdue amounts per account and currency (invoices you may see)",
)
def receivables(request, account: int | None = None):
    require_right(request.user, Invoice, Action.VIEW)
    balances = account_balances(user=request.user, account_ids=[account] if account is not None else None)
    return [
        {"account": account_id, "currency": currency, **figures}
        for account_id, by_currency in sorted(balances.items())
        for currency, figures in sorted(by_currency.items())
    ]


# ---------------------------------------------------------------------------------------------------
# Contracts
# ---------------------------------------------------------------------------------------------------


class ContractIn(PlacementIn):
    number: str = text(Contract, "number")
    title: str = text(Contract, "title")
    type: choice(Contract.Type) = Contract.Type.CUSTOMER.value
    status: choice(Contract.Status) = Contract.Status.DRAFT.value
    account: int
    contact: int | None = None
    order: int | None = None
    start_date: datetime.date
    end_date: datetime.date | None = None
    value: Decimal = Field(Decimal(0), description="VND, whole đồng.")
    auto_renew: bool = False
    notice_days: int = Field(30, ge=0, le=365, description="Days before the end the owner gets a task.")
    renewal_terms: str = text(Contract, "renewal_terms", default="")
    notes: str = text(Contract, "notes", default="")


class ContractDocumentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    uploaded_at: datetime.datetime


class ContractOut(RecordOut):
    number: str
    title: str
    type: str
    status: str
    account: int = Field(validation_alias="account_id")
    contact: int | None = Field(validation_alias="contact_id")
    order: int | None = Field(validation_alias="order_id")
    start_date: datetime.date
    end_date: datetime.date | None
    value: Decimal
    auto_renew: bool
    notice_days: int
    renewal_terms: str
    notes: str
    documents: list[ContractDocumentOut]

    @staticmethod
    def resolve_documents(obj) -> list:
        return list(obj.documents.all())


class ContractFilters(RecordFilters):
    status: choice(Contract.Status) | None = None
    type: choice(Contract.Type) | None = None
    account: int | None = None
    number: str | None = None


@dataclass(frozen=True)
class ContractResource(RecordResource):
    def queryset(self):
        return super().queryset().prefetch_related("documents")


contracts = ContractResource(
    path="contracts",
    model=Contract,
    schema_in=ContractIn,
    schema_out=ContractOut,
    filters=ContractFilters,
    sorts={"created_at": "created_at", "number": "number", "end_date": "end_date"},
    default_sort="-created_at",
    refs={
        **PLACEMENT_REFS,
        "account": visible(Account),
        "contact": visible(Contact),
        "order": visible(Order),
    },
    **record_services(Contract),
)
add_record_routes(router, contracts)


@router.post(
    "/contracts/{record_id}/documents",
    response={201: ContractDocumentOut, **errors_doc(401, 403, 404, 422)},
    tags=["contracts"],
    summary="Attach a file (multipart field `file`) to the contract",
)
def upload_contract_document(request, record_id: int, file: File[UploadedFile]):
    contract = contracts.get_for(request.user, record_id, Action.CHANGE)
    return Status(201, contract_document_add(contract=contract, by=request.user, upload=file))


@router.get(
    "/contracts/{record_id}/documents/{document_id}",
    response={200: None, **errors_doc(401, 403, 404)},
    tags=["contracts"],
    summary="Download a file of the contract (404 for a contract you may not see)",
)
def download_contract_document(request, record_id: int, document_id: int):
    contract = contracts.get_for(request.user, record_id)
    document = contract.documents.filter(pk=document_id).first()
    if document is None:
        raise Http404
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.name)


# ---------------------------------------------------------------------------------------------------
# ERP endpoints (administrators)
# ---------------------------------------------------------------------------------------------------


class ErpEndpointIn(InSchema):
    name: str = Field(max_length=100)
    url: str = Field(max_length=500, pattern=r"^https?://")
    secret: str = Field(min_length=8, max_length=200, description="Signs each body (HMAC-SHA256).")
    active: bool = True


class ErpEndpointOut(Schema):
    id: int
    name: str
    url: str
    active: bool
    created_at: datetime.datetime


class WebhookDeliveryOut(Schema):
    id: int
    event_id: str
    event: str
    order: int = Field(validation_alias="order_id")
    status: str
    attempts: int
    next_try_at: datetime.datetime | None
    last_response_code: int | None
    created_at: datetime.datetime
    delivered_at: datetime.datetime | None

    @staticmethod
    def resolve_event_id(obj) -> str:
        return str(obj.event_id)


@router.get("/erp-endpoints", response={200: list[ErpEndpointOut], **errors_doc(401, 403)}, tags=["erp"])
def list_erp_endpoints(request):
    require_admin(request.user)
    return list(ErpEndpoint.objects.order_by("pk"))


@router.post(
    "/erp-endpoints",
    response={201: ErpEndpointOut, **errors_doc(401, 403, 422)},
    tags=["erp"],
    summary="Send confirmed and changed orders to this URL (signed with the secret)",
)
def create_erp_endpoint(request, payload: ErpEndpointIn):
    require_admin(request.user)
    return Status(201, ErpEndpoint.objects.create(**payload.model_dump()))


@router.delete(
    "/erp-endpoints/{endpoint_id}", response={204: None, **errors_doc(401, 403, 404)}, tags=["erp"]
)
def delete_erp_endpoint(request, endpoint_id: int):
    require_admin(request.user)
    deleted, _rows = ErpEndpoint.objects.filter(pk=endpoint_id).delete()
    if not deleted:
        raise Http404
    return Status(204, None)


@router.get(
    "/erp-endpoints/{endpoint_id}/deliveries",
    response={200: page_schema(WebhookDeliveryOut), **errors_doc(401, 403, 404, 422)},
    tags=["erp"],
    summary="Deliveries to the endpoint, newest first (status, tries, next try)",
)
def list_erp_deliveries(request, endpoint_id: int, params: Query[ListParams]):
    require_admin(request.user)
    endpoint = ErpEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise Http404
    return paginate(request, endpoint.deliveries.order_by("-created_at", "-pk"), params)
