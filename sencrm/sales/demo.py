"""The demo catalogue and quotes (``sencrm demo``, after the CRM demo).

Sen Việt runs two lines of business in the demo: a gift shop (scented candles, candle holders,
essential oils, gift combos — Tết, 8/3 and 20/10 are its peaks) and a B2B distributor of office
goods. Products, price lists and exchange rates are few and written one by one (reused on a
second load); quotes are written in bulk, like the CRM demo, with their derived columns (numbers,
totals, search text, team and branch) computed here the way the services compute them.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from sencrm.common.text import fold, sort_key
from sencrm.core.models import Branch, Tag, User
from sencrm.crm.demo.builder import tax_check_digit
from sencrm.crm.models import Opportunity
from sencrm.sales.models import (
    Currency,
    ExchangeRate,
    PriceList,
    PriceListItem,
    Product,
    ProductGroup,
    Quote,
    QuoteCounter,
    QuoteLine,
    SellerProfile,
)
from sencrm.sales.money import LineInput, quote_totals
from sencrm.sales.services.pricing import currencies_ensure

GROUPS = [
    "Nến thơm",
    "Chân nến & phụ kiện",
    "Tinh dầu",
    "Combo quà tặng",
    "Thiết bị văn phòng",
    "Vật tư văn phòng",
]
# (code, name, group index, unit, list price, currency, VAT rate)
PRODUCTS = [
    ("NEN-001", "Nến thơm hoa sen 200g", 0, "hũ", 185000, "VND", "8"),
    ("NEN-002", "Nến thơm quế hồi Tết 250g", 0, "hũ", 215000, "VND", "8"),
    ("NEN-003", "Nến thơm sả chanh 150g", 0, "hũ", 145000, "VND", "8"),
    ("NEN-004", "Nến thơm oải hương 200g", 0, "hũ", 195000, "VND", "8"),
    ("NEN-005", "Nến tealight không mùi (hộp 50)", 0, "hộp", 120000, "VND", "8"),
    ("NEN-006", "Nến thơm trầm hương cao cấp", 0, "hũ", 390000, "VND", "8"),
    ("CHN-001", "Chân nến gốm Bát Tràng", 1, "cái", 165000, "VND", "10"),
    ("CHN-002", "Chân nến thủy tinh mạ vàng", 1, "cái", 245000, "VND", "10"),
    ("CHN-003", "Đèn xông tinh dầu gốm men lam", 1, "cái", 320000, "VND", "10"),
    ("CHN-004", "Bộ cắt bấc nến inox", 1, "bộ", 135000, "VND", "10"),
    ("TD-001", "Tinh dầu sả chanh 100ml", 2, "chai", 150000, "VND", "5"),
    ("TD-002", "Tinh dầu quế 50ml", 2, "chai", 110000, "VND", "5"),
    ("TD-003", "Tinh dầu bưởi 100ml", 2, "chai", 165000, "VND", "5"),
    ("TD-004", "Tinh dầu tràm Huế 100ml", 2, "chai", 95000, "VND", "5"),
    ("TD-005", "Tinh dầu oải hương Pháp 30ml (nhập khẩu)", 2, "chai", Decimal("12.50"), "USD", "10"),
    ("CB-001", "Combo quà Tết An Khang", 3, "hộp", 890000, "VND", "8"),
    ("CB-002", "Combo quà 8/3 Hoa Sen", 3, "hộp", 560000, "VND", "8"),
    ("CB-003", "Combo quà 20/10 Dịu Dàng", 3, "hộp", 520000, "VND", "8"),
    ("CB-004", "Combo quà doanh nghiệp Thịnh Vượng", 3, "hộp", 1450000, "VND", "8"),
    ("CB-005", "Thiệp chúc mừng in logo (gói 100)", 3, "gói", 450000, "VND", "10"),
    ("VP-001", "Máy in laser đơn sắc A4", 4, "cái", 4290000, "VND", "10"),
    ("VP-002", "Máy hủy tài liệu 12 tờ", 4, "cái", 3150000, "VND", "10"),
    ("VP-003", "Máy chiếu văn phòng 4000 lumen", 4, "cái", Decimal("520.00"), "USD", "10"),
    ("VP-004", "Bàn làm việc chân sắt 1m2", 4, "cái", 1850000, "VND", "10"),
    ("VP-005", "Ghế xoay lưới văn phòng", 4, "cái", 1290000, "VND", "10"),
    ("VT-001", "Giấy A4 Double A 80gsm", 5, "ram", 86000, "VND", "10"),
    ("VT-002", "Mực in HP 85A chính hãng", 5, "hộp", 1650000, "VND", "10"),
    ("VT-003", "Bút bi Thiên Long (hộp 20)", 5, "hộp", 78000, "VND", "10"),
    ("VT-004", "Sổ tay bìa da in logo", 5, "cuốn", 95000, "VND", "10"),
    ("VT-005", "Dịch vụ lắp đặt và hướng dẫn sử dụng", 5, "lần", 500000, "VND", "kct"),
]
TERMS = (
    "Giá đã bao gồm chi phí giao hàng nội thành.\n"
    "Thanh toán: chuyển khoản 50% khi đặt hàng, 50% trong 15 ngày sau khi giao hàng.\n"
    "Bảo hành theo chính sách của nhà sản xuất."
)


def _seller_tax_code() -> str:
    first9 = "010123456"
    digit = tax_check_digit(first9)
    return first9 + str(digit) if digit is not None else "0101248141"


def build_catalogue() -> dict[str, Product]:
    """Seller profile, groups, rates, products and price lists; reused when they exist."""
    currencies_ensure()
    admin = (
        User.objects.filter(is_superuser=True).order_by("pk").first() or User.objects.order_by("pk").first()
    )
    if not SellerProfile.objects.exists():
        SellerProfile.objects.create(
            legal_name="Công ty TNHH Sen Việt",
            tax_code=_seller_tax_code(),
            address="Số 18 Láng Hạ, Phường Giảng Võ, TP. Hà Nội",
            phone="024 3762 8899",
            email="banhang@senviet.vn",
            website="senviet.vn",
            bank_account="0021000123456 – Vietcombank, CN Hà Nội",
        )
    groups = [
        ProductGroup.objects.get_or_create(name=name, defaults={"position": i})[0]
        for i, name in enumerate(GROUPS)
    ]
    usd = Currency.objects.get(code="USD")
    today = timezone.localdate()
    for days, rate in ((90, "25180"), (30, "25320"), (0, "25410")):
        ExchangeRate.objects.get_or_create(
            currency=usd, date=today - timedelta(days=days), defaults={"rate": rate}
        )
    products: dict[str, Product] = {
        p.code: p for p in Product.objects.filter(code__in=[p[0] for p in PRODUCTS])
    }
    new = []
    for code, name, group, unit, price, currency, vat in PRODUCTS:
        if code in products:
            continue
        product = Product(
            code=code,
            name=name,
            group=groups[group],
            unit=unit,
            list_price=Decimal(price),
            currency=currency,
            vat_rate=vat,
            owner=admin,
            team_id=admin.team_id,
            branch_id=admin.branch_id,
            created_by=admin,
            updated_by=admin,
            sort_name=sort_key(name),
        )
        product.refresh_search()
        new.append(product)
    Product.objects.bulk_create(new)
    products.update({p.code: p for p in new})
    if not PriceList.objects.exists():
        dealers = Tag.objects.filter(slug=fold("Đại lý")).first()
        wholesale = Tag.objects.filter(slug=fold("Khách sỉ")).first()
        lists = [
            ("Bảng giá đại lý 2026", dealers, Decimal("0.85"), None, None),
            ("Bảng giá khách sỉ", wholesale, Decimal("0.92"), None, None),
            (
                "Giá ưu đãi mùa Tết",
                None,
                Decimal("0.95"),
                today - timedelta(days=30),
                today + timedelta(days=60),
            ),
        ]
        for name, tag, factor, start, end in lists:
            price_list = PriceList(
                name=name,
                currency="VND",
                customer_group=tag,
                valid_from=start,
                valid_to=end,
                owner=admin,
                team_id=admin.team_id,
                branch_id=admin.branch_id,
                created_by=admin,
                updated_by=admin,
                sort_name=sort_key(name),
            )
            price_list.refresh_search()
            price_list.save()
            PriceListItem.objects.bulk_create(
                PriceListItem(
                    price_list=price_list,
                    product=p,
                    unit_price=(p.list_price * factor).quantize(Decimal(1000)),
                )
                for p in products.values()
                if p.currency == "VND" and (tag is not None or p.group.name.startswith(("Nến", "Combo")))
            )
    return products


def build_quotes(*, products: dict[str, Product], seed: int, size: float) -> int:
    """Quotes on some demo opportunities: accepted for won deals, rejected for lost ones, drafts
    and sent ones (some expired) for open deals."""
    rng = random.Random(seed + 5)
    vnd = [p for p in products.values() if p.currency == "VND"]
    gift = [p for p in vnd if p.code.startswith(("NEN", "CHN", "TD", "CB"))]
    office = [p for p in vnd if p.code.startswith(("VP", "VT"))]
    opportunities = list(
        Opportunity.objects.alive()
        .filter(account__isnull=False, currency="VND")
        .select_related("account", "owner")
        .order_by("pk")
    )
    wanted = max(1, round(len(opportunities) * 0.4)) if opportunities else 0
    chosen = rng.sample(opportunities, min(wanted, len(opportunities)))
    branches = {b.pk: b for b in Branch.objects.all()}
    counters: dict[tuple[int, int], int] = {(c.branch_id, c.year): c.last for c in QuoteCounter.objects.all()}
    quotes, line_sets = [], []
    today = timezone.localdate()
    for opportunity in sorted(chosen, key=lambda o: (o.created_at, o.pk)):
        created = opportunity.created_at + timedelta(days=rng.randint(3, 20))
        created = min(created, timezone.now())
        quote_date = timezone.localtime(created).date()
        catalogue = gift if rng.random() < 0.6 else office
        lines = []
        for position, product in enumerate(rng.sample(catalogue, rng.randint(1, min(4, len(catalogue))))):
            quantity = Decimal(rng.choice([1, 2, 5, 10, 20, 50, 100]))
            discount = Decimal(rng.choice([0, 0, 0, 5, 10]))
            lines.append(
                QuoteLine(
                    position=position,
                    product=product,
                    description=product.name,
                    unit=product.unit,
                    quantity=quantity,
                    unit_price=product.list_price,
                    discount_percent=discount,
                    vat_rate=product.vat_rate,
                )
            )
        totals = quote_totals(
            [
                LineInput(
                    quantity=x.quantity,
                    unit_price=x.unit_price,
                    vat_rate=x.vat_rate,
                    discount_percent=x.discount_percent,
                )
                for x in lines
            ],
            0,
        )
        for line, amounts in zip(lines, totals.lines, strict=True):
            line.amount = amounts.amount
        valid_until = quote_date + timedelta(days=30)
        if opportunity.status == Opportunity.Status.WON:
            status = Quote.Status.ACCEPTED
        elif opportunity.status == Opportunity.Status.LOST:
            status = Quote.Status.REJECTED
        elif valid_until < today:
            status = Quote.Status.EXPIRED
        else:
            status = rng.choice([Quote.Status.DRAFT, Quote.Status.SENT, Quote.Status.SENT])
        owner: User = opportunity.owner
        branch = branches[owner.branch_id or opportunity.branch_id]
        key = (branch.pk, quote_date.year)
        counters[key] = counters.get(key, 0) + 1
        account = opportunity.account
        quote = Quote(
            number=f"BG-{(branch.code or str(branch.pk)).upper()}-{quote_date.year}-{counters[key]:04d}",
            title=opportunity.name,
            account=account,
            contact_id=opportunity.contact_id,
            opportunity=opportunity,
            currency="VND",
            quote_date=quote_date,
            valid_until=valid_until,
            status=status,
            buyer_name=account.name,
            buyer_tax_code=account.tax_code,
            buyer_address=account.address,
            buyer_email=account.email,
            terms=TERMS,
            subtotal=totals.subtotal,
            vat_total=totals.vat,
            total=totals.total,
            owner=owner,
            team_id=owner.team_id,
            branch_id=branch.pk,
            created_by=owner,
            updated_by=owner,
            created_at=created,
            sent_at=created if status != Quote.Status.DRAFT else None,
            closed_at=opportunity.closed_at
            if status in (Quote.Status.ACCEPTED, Quote.Status.REJECTED)
            else None,
        )
        quote.refresh_search()
        quotes.append(quote)
        line_sets.append(lines)
    Quote.objects.bulk_create(quotes, batch_size=500)
    for quote, lines in zip(quotes, line_sets, strict=True):
        for line in lines:
            line.quote = quote
    QuoteLine.objects.bulk_create([line for lines in line_sets for line in lines], batch_size=1000)
    for (branch_id, year), last in counters.items():
        QuoteCounter.objects.update_or_create(branch_id=branch_id, year=year, defaults={"last": last})
    return len(quotes)


def build_sales_demo(*, seed: int, size: float, log=None) -> dict[str, int]:
    with transaction.atomic():
        products = build_catalogue()
        count = build_quotes(products=products, seed=seed, size=size)
    if log:
        log(f"Sales: {len(products)} products, {count} quotes")
    return {"products": len(products), "quotes": count}
