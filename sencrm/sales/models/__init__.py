from sencrm.sales.models.company import SellerProfile
from sencrm.sales.models.contracts import Contract, ContractDocument
from sencrm.sales.models.forecast import ForecastCategory, OpportunityForecast
from sencrm.sales.models.invoices import Invoice, InvoiceLine, Payment, PaymentMethod
from sencrm.sales.models.orders import (
    CARRIERS,
    Carrier,
    ErpEndpoint,
    IdempotencyKey,
    Order,
    OrderLine,
    SalesCounter,
    WebhookAttempt,
    WebhookDelivery,
)
from sencrm.sales.models.playbooks import (
    ChecklistTick,
    PlaybookChecklistItem,
    PlaybookTask,
    PlaybookTaskRun,
    StagePlaybook,
)
from sencrm.sales.models.products import (
    Currency,
    ExchangeRate,
    PriceList,
    PriceListItem,
    Product,
    ProductGroup,
    VatRate,
)
from sencrm.sales.models.quotes import Quote, QuoteCounter, QuoteLine, QuoteRevision
from sencrm.sales.models.targets import Target

__all__ = [
    "ErpEndpoint",
    "WebhookAttempt",
    "WebhookDelivery",
    "Contract",
    "ContractDocument",
    "Invoice",
    "InvoiceLine",
    "Payment",
    "PaymentMethod",
    "CARRIERS",
    "Carrier",
    "IdempotencyKey",
    "Order",
    "OrderLine",
    "SalesCounter",
    "ChecklistTick",
    "ForecastCategory",
    "OpportunityForecast",
    "PlaybookChecklistItem",
    "PlaybookTask",
    "PlaybookTaskRun",
    "StagePlaybook",
    "Target",
    "Currency",
    "ExchangeRate",
    "PriceList",
    "PriceListItem",
    "Product",
    "ProductGroup",
    "Quote",
    "QuoteCounter",
    "QuoteLine",
    "QuoteRevision",
    "SellerProfile",
    "VatRate",
]
