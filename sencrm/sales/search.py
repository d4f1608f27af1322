"""Products, quotes, orders, invoices and contracts in global search (core.search)."""

from sencrm.core.search import register
from sencrm.sales.models import Contract, Invoice, Order, Product, Quote


def product_subtitle(product: Product) -> str:
    return " · ".join(p for p in (product.group.name if product.group_id else "", product.unit) if p)


def quote_subtitle(quote: Quote) -> str:
    return " · ".join(p for p in (quote.buyer_name, quote.get_status_display()) if p)


def order_subtitle(order: Order) -> str:
    return " · ".join(p for p in (order.buyer_name, order.get_status_display()) if p)


def invoice_subtitle(invoice: Invoice) -> str:
    return " · ".join(p for p in (invoice.buyer_name, invoice.get_status_display()) if p)


def contract_subtitle(contract: Contract) -> str:
    return " · ".join(
        p for p in (contract.account.name if contract.account_id else "", contract.get_status_display()) if p
    )


def register_sales() -> None:
    """Called from ``SalesConfig.ready``."""
    register(
        Product,
        title=str,
        subtitle=product_subtitle,
        icon="dot",
        select_related=["group"],
        index_fields=["code", "name"],
        shared=True,  # the catalogue: every role that may view products sees all of them
    )
    register(Quote, title=str, subtitle=quote_subtitle, icon="coin", index_fields=["number"])
    register(Order, title=str, subtitle=order_subtitle, icon="coin", index_fields=["number"])
    register(Invoice, title=str, subtitle=invoice_subtitle, icon="coin", index_fields=["number"])
    register(
        Contract,
        title=str,
        subtitle=contract_subtitle,
        icon="dot",
        select_related=["account"],
        index_fields=["number", "title"],
    )
