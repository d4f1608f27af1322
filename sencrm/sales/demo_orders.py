"""The demo's orders, invoices, payments and contracts (``sencrm demo``, after the quotes).

Orders come from the accepted demo quotes and, entered directly, over the last two years with
the gift shop's Vietnamese peaks: the weeks before 8/3, 20/10 and Tết (lunar: a small table of
Tết dates, since no lunar-calendar package is installed). Most delivered orders are invoiced;
most invoices are paid, some in part, some overdue. Rows are written in bulk with their derived
columns (numbers, totals, search text) computed the way the services compute them.
"""

import datetime
import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from sencrm.crm.models import Account
from sencrm.sales.models import (
    Contract,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Payment,
    PaymentMethod,
    Product,
    Quote,
    SalesCounter,
    SellerProfile,
)
from sencrm.sales.money import LineInput, quote_totals

#: Tết (1 tháng Giêng) in the demo's years (VIETNAM.md §8).
TET = [
    datetime.date(2024, 2, 10),
    datetime.date(2025, 1, 29),
    datetime.date(2026, 2, 17),
    datetime.date(2027, 2, 6),
]
LINE_FIELDS = (
    "position",
    "product",
    "description",
    "unit",
    "quantity",
    "unit_price",
    "discount_percent",
    "vat_rate",
)


def peaks(years) -> list[tuple[datetime.date, int]]:
    """Peak days and how many days before them demand rises: 8/3 and 20/10 (two weeks), Tết (four)."""
    days = [(d, 28) for d in TET]
    for year in years:
        days += [(datetime.date(year, 3, 8), 14), (datetime.date(year, 10, 20), 14)]
    return days


def day_weights(start: datetime.date, end: datetime.date) -> tuple[list[datetime.date], list[float]]:
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    rush = peaks(range(start.year, end.year + 1))
    weights = [1.0 + sum(4.0 for peak, lead in rush if 0 <= (peak - day).days <= lead) for day in days]
    return days, weights


class Numbers:
    """Next document numbers per kind, branch and year, continuing the counters' rows."""

    def __init__(self):
        self.last = {(c.kind, c.branch_id, c.year): c.last for c in SalesCounter.objects.all()}

    def next(self, kind: str, branch, year: int) -> str:
        key = (kind, branch.pk, year)
        self.last[key] = self.last.get(key, 0) + 1
        prefix = {"order": "DH", "invoice": "HD"}[kind]
        return f"{prefix}-{(branch.code or str(branch.pk)).upper()}-{year}-{self.last[key]:04d}"

    def save(self) -> None:
        for (kind, branch_id, year), last in self.last.items():
            SalesCounter.objects.update_or_create(
                kind=kind, branch_id=branch_id, year=year, defaults={"last": last}
            )


def _totals(lines) -> object:
    totals = quote_totals(
        [
            LineInput(
                quantity=x.quantity,
                unit_price=x.unit_price,
                vat_rate=x.vat_rate,
                discount_percent=x.discount_percent,
                discount_amount=x.discount_amount,
            )
            for x in lines
        ],
        0,
    )
    for line, amounts in zip(lines, totals.lines, strict=True):
        line.amount = amounts.amount
    return totals


def _at(day: datetime.date, rng) -> datetime.datetime:
    moment = datetime.datetime.combine(day, datetime.time(rng.randint(8, 17), rng.randint(0, 59)))
    return min(timezone.make_aware(moment), timezone.now())


def build_orders_demo(*, seed: int, size: float, log=None) -> dict[str, int]:
    rng = random.Random(seed + 11)
    today = timezone.localdate()
    numbers = Numbers()
    products = list(Product.objects.alive().filter(active=True, currency="VND").order_by("code"))
    accounts = list(Account.objects.alive().select_related("owner", "branch").order_by("pk"))
    if not products or not accounts:
        return {"orders": 0, "invoices": 0, "payments": 0, "contracts": 0}
    with transaction.atomic():
        orders, line_sets = [], []

        def add(account, owner, day, lines, source, quote=None, contact_id=None):
            totals = _totals(lines)
            if day >= today - timedelta(days=7):
                status = rng.choice([Order.Status.NEW, Order.Status.CONFIRMED, Order.Status.SHIPPED])
            else:
                status = rng.choices([Order.Status.DELIVERED, Order.Status.CANCELLED], [19, 1])[0]
            branch = owner.branch or account.branch
            created = _at(day, rng)
            order = Order(
                number=numbers.next("order", branch, day.year),
                title=quote.title if quote else "",
                account=account,
                contact_id=contact_id,
                quote=quote,
                source=source,
                currency="VND",
                order_date=day,
                status=status,
                carrier=rng.choice(["ghn", "ghtk", "viettelpost", "vnpost", "jt"])
                if status in ("shipped", "delivered")
                else "",
                buyer_name=account.name,
                buyer_tax_code=account.tax_code,
                buyer_address=account.address,
                buyer_email=account.email,
                subtotal=totals.subtotal,
                vat_total=totals.vat,
                total=totals.total,
                owner=owner,
                team_id=owner.team_id,
                branch_id=branch.pk,
                created_by=owner,
                updated_by=owner,
                created_at=created,
                status_changed_at=created,
            )
            if order.carrier:
                order.tracking_number = f"{order.carrier.upper()}{rng.randint(10**8, 10**9 - 1)}"
            order.refresh_search()
            orders.append(order)
            line_sets.append(lines)

        # Orders of accepted quotes, dated when the quote was accepted.
        accepted = (
            Quote.objects.filter(status=Quote.Status.ACCEPTED, order__isnull=True)
            .select_related("account", "account__branch", "owner", "owner__branch")
            .prefetch_related("lines")
        )
        for quote in accepted.order_by("pk"):
            day = timezone.localtime(quote.closed_at).date() if quote.closed_at else quote.quote_date
            lines = [
                OrderLine(
                    **{name: getattr(line, name) for name in LINE_FIELDS},
                    discount_amount=line.discount_amount,
                )
                for line in quote.lines.all()
            ]
            add(
                quote.account,
                quote.owner,
                min(day, today),
                lines,
                Order.Source.QUOTE,
                quote,
                quote.contact_id,
            )
        # Orders entered directly over two years, more of them before the peaks.
        days, weights = day_weights(today - timedelta(days=730), today)
        for day in sorted(rng.choices(days, weights, k=max(20, round(1500 * size)))):
            account = rng.choice(accounts)
            lines = []
            for position, product in enumerate(rng.sample(products, rng.randint(1, 3))):
                lines.append(
                    OrderLine(
                        position=position,
                        product=product,
                        description=product.name,
                        unit=product.unit,
                        quantity=Decimal(rng.choice([1, 2, 3, 5, 10, 20])),
                        unit_price=product.list_price,
                        discount_percent=Decimal(rng.choice([0, 0, 0, 5, 10])),
                        vat_rate=product.vat_rate,
                    )
                )
            add(account, account.owner, day, lines, rng.choice([Order.Source.DIRECT, Order.Source.API]))
        Order.objects.bulk_create(orders, batch_size=500)
        for order, lines in zip(orders, line_sets, strict=True):
            for line in lines:
                line.order = order
        OrderLine.objects.bulk_create([line for lines in line_sets for line in lines], batch_size=1000)

        # Invoices of delivered orders (most), paid in full, in part, or not yet (some overdue).
        seller = SellerProfile.objects.order_by("pk").first()
        invoices, invoice_lines, payments = [], [], []
        for order, lines in zip(orders, line_sets, strict=True):
            if order.status != Order.Status.DELIVERED or rng.random() < 0.15:
                continue
            invoice_date = min(order.order_date + timedelta(days=rng.randint(0, 5)), today)
            branch = order.branch
            invoice = Invoice(
                number=numbers.next("invoice", branch, invoice_date.year),
                order=order,
                account=order.account,
                currency="VND",
                invoice_date=invoice_date,
                due_date=invoice_date + timedelta(days=30),
                payment_method=rng.choice(
                    [PaymentMethod.TRANSFER, PaymentMethod.TRANSFER, PaymentMethod.TRANSFER_OR_CASH]
                ),
                seller_name=seller.legal_name if seller else "",
                seller_tax_code=seller.tax_code if seller else "",
                seller_address=seller.address if seller else "",
                buyer_name=order.buyer_name,
                buyer_tax_code=order.buyer_tax_code,
                buyer_address=order.buyer_address,
                buyer_email=order.buyer_email,
                subtotal=order.subtotal,
                vat_total=order.vat_total,
                total=order.total,
                owner=order.owner,
                team_id=order.team_id,
                branch_id=order.branch_id,
                created_by=order.owner,
                updated_by=order.owner,
                created_at=_at(invoice_date, rng),
            )
            roll = rng.random()
            if invoice.due_date < today and roll < 0.8:
                paid = [invoice.total]
            elif roll < 0.9:
                half = (invoice.total / 2).quantize(Decimal(1))
                paid = [half] if invoice.due_date < today or rng.random() < 0.5 else []
            else:
                paid = []  # unpaid: overdue once the due date is past
            for amount in paid:
                payments.append(
                    Payment(
                        invoice=invoice,
                        amount=amount,
                        paid_on=min(invoice_date + timedelta(days=rng.randint(3, 30)), today),
                        method=PaymentMethod.TRANSFER,
                        reference=f"UNC {rng.randint(100000, 999999)}",
                        created_by=order.owner,
                    )
                )
            invoice.paid = sum(paid, Decimal(0))
            invoice.status = Invoice.Status.PAID if invoice.paid == invoice.total else Invoice.Status.ISSUED
            invoice.refresh_search()
            invoices.append(invoice)
            invoice_lines += [
                InvoiceLine(
                    invoice=invoice,
                    order_line=line,
                    position=line.position,
                    product=line.product,
                    description=line.description,
                    unit=line.unit,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    discount_percent=line.discount_percent,
                    discount_amount=line.discount_amount,
                    vat_rate=line.vat_rate,
                    amount=line.amount,
                )
                for line in lines
            ]
        Invoice.objects.bulk_create(invoices, batch_size=500)
        for row in invoice_lines:
            row.invoice_id = row.invoice.pk
        InvoiceLine.objects.bulk_create(invoice_lines, batch_size=1000)
        for payment in payments:
            payment.invoice_id = payment.invoice.pk
        Payment.objects.bulk_create(payments, batch_size=1000)

        # Contracts with some of the accounts: yearly supply and service contracts.
        contracts = []
        taken = set(Contract.objects.values_list("number", flat=True))
        for n, account in enumerate(rng.sample(accounts, min(len(accounts), max(5, round(150 * size))))):
            start = today - timedelta(days=rng.randint(30, 700))
            end = start + timedelta(days=365)
            kind = rng.choice([Contract.Type.CUSTOMER, Contract.Type.SERVICE])
            number = f"{n + 1:02d}/{start.year}/{'HĐMB' if kind == 'customer' else 'HĐDV'}"
            while number in taken:
                number += "-1"
            taken.add(number)
            owner = account.owner
            contract = Contract(
                number=number,
                title=(
                    "Hợp đồng nguyên tắc cung cấp quà tặng"
                    if kind == "customer"
                    else "Hợp đồng dịch vụ bảo trì thiết bị văn phòng"
                ),
                type=kind,
                account=account,
                status=Contract.Status.ACTIVE
                if end >= today
                else rng.choice([Contract.Status.EXPIRED, Contract.Status.RENEWED]),
                start_date=start,
                end_date=end,
                value=Decimal(rng.choice([50, 120, 300, 500, 1200])) * 1_000_000,
                renewal_terms="Tự động gia hạn 12 tháng nếu không bên nào báo chấm dứt trước 30 ngày.",
                auto_renew=rng.random() < 0.5,
                notice_days=30,
                owner=owner,
                team_id=owner.team_id,
                branch_id=(owner.branch_id or account.branch_id),
                created_by=owner,
                updated_by=owner,
                created_at=_at(start, rng),
            )
            contract.refresh_search()
            contracts.append(contract)
        Contract.objects.bulk_create(contracts, batch_size=500)
        numbers.save()
    counts = {
        "orders": len(orders),
        "invoices": len(invoices),
        "payments": len(payments),
        "contracts": len(contracts),
    }
    if log:
        log(
            "Sales: {orders} orders, {invoices} invoices, {payments} payments, {contracts} contracts".format(
                **counts
            )
        )
    return counts
