"""Records the sales tests share, made through the services (as users would make them)."""

from decimal import Decimal

from sencrm.core.services.records import record_create
from sencrm.crm.models import Account, Contact
from sencrm.crm.services.opportunities import opportunity_create, pipeline_create_default
from sencrm.sales.models import Product
from sencrm.sales.services.products import price_list_create, product_create
from sencrm.sales.services.quotes import quote_create


def product(by, code: str = "NEN-001", name: str = "Nến thơm hoa sen", price=185000, **data) -> Product:
    data = {"code": code, "name": name, "list_price": Decimal(price), "unit": "hũ", "vat_rate": "8", **data}
    return product_create(by=by, data=data)


def account(owner, name: str = "Công ty TNHH Quà Tặng Việt", **data) -> Account:
    return record_create(
        Account,
        by=owner,
        data={"name": name, "email": "muahang@quatang.vn", "tax_code": "0101248141", "owner": owner, **data},
    )


def contact(owner, acct: Account, name: str = "Lê Thị Hoa") -> Contact:
    return record_create(
        Contact,
        by=owner,
        data={"full_name": name, "account": acct, "owner": owner, "email": "hoa@quatang.vn"},
    )


def opportunity(
    owner, acct: Account | None = None, person: Contact | None = None, name: str = "Quà Tết 2027"
):
    pipeline_create_default()
    acct = acct or account(owner)
    return opportunity_create(
        by=owner,
        data={"name": name, "account": acct, "contact": person, "amount": 10_000_000, "owner": owner},
    )


def price_list(by, items: dict[Product, int], **data):
    data = {"name": "Bảng giá đại lý", "currency": "VND", **data}
    return price_list_create(
        by=by, data=data, items=[{"product": p, "unit_price": Decimal(v)} for p, v in items.items()]
    )


def quote(owner, opp=None, lines=None, **data):
    """A draft quote on ``opp`` (made for ``owner`` when not given) with one product line."""
    opp = opp or opportunity(owner)
    if lines is None:
        item = Product.objects.filter(code="NEN-001").first() or product(owner)
        lines = [{"product": item, "quantity": Decimal(10)}]
    return quote_create(by=owner, data={"opportunity": opp, "owner": owner, **data}, lines=lines)
