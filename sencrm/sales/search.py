"""Products and quotes in global search (core.search)."""

from sencrm.core.search import register
from sencrm.sales.models import Product, Quote


def product_subtitle(product: Product) -> str:
    return " · ".join(p for p in (product.group.name if product.group_id else "", product.unit) if p)


def quote_subtitle(quote: Quote) -> str:
    return " · ".join(p for p in (quote.buyer_name, quote.get_status_display()) if p)


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
