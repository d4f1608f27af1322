"""URLs of the sales pages: products, price lists and quotes."""

from django.urls import path

from sencrm.common.views import record_urls
from sencrm.sales.views import contracts, forecast, invoices, orders, playbooks, products, quotes, targets

app_name = "sales"
urlpatterns = [
    *record_urls(
        "products",
        "product",
        list=products.ProductListView,
        detail=products.ProductDetailView,
        edit=products.ProductEditView,
        delete=products.ProductDeleteView,
    ),
    *record_urls(
        "price-lists",
        "pricelist",
        list=products.PriceListListView,
        detail=products.PriceListDetailView,
        edit=products.PriceListEditView,
        delete=products.PriceListDeleteView,
    ),
    *record_urls(
        "quotes",
        "quote",
        list=quotes.QuoteListView,
        detail=quotes.QuoteDetailView,
        edit=quotes.QuoteEditView,
        delete=quotes.QuoteDeleteView,
    ),
    path("quotes/lines/", quotes.quote_lines_view, name="quote_lines"),
    path("quotes/<int:pk>/lines/", quotes.quote_lines_view, name="quote_lines_edit"),
    path("quotes/<int:pk>/pdf/", quotes.quote_pdf_view, name="quote_pdf"),
    path("quotes/<int:pk>/send/", quotes.quote_send_view, name="quote_send"),
    path("quotes/<int:pk>/accept/", quotes.quote_accept_view, name="quote_accept"),
    path("quotes/<int:pk>/reject/", quotes.quote_reject_view, name="quote_reject"),
    path("quotes/<int:pk>/revisions/<int:revision>/", quotes.quote_revision_view, name="quote_revision"),
    path("quotes/<int:pk>/revisions/<int:revision>/pdf/", quotes.quote_pdf_view, name="quote_revision_pdf"),
    # Orders (issue 5, part B).
    *record_urls(
        "orders",
        "order",
        list=orders.OrderListView,
        detail=orders.OrderDetailView,
        edit=orders.OrderEditView,
        delete=orders.OrderDeleteView,
    ),
    path("orders/lines/", orders.order_lines_view, name="order_lines"),
    path("orders/<int:pk>/lines/", orders.order_lines_view, name="order_lines_edit"),
    path("orders/<int:pk>/status/", orders.order_status_view, name="order_status"),
    path("orders/<int:order_pk>/invoice/", invoices.invoice_create_view, name="invoice_create"),
    *record_urls("invoices", "invoice", list=invoices.InvoiceListView, detail=invoices.InvoiceDetailView),
    path("invoices/<int:pk>/payments/", invoices.payment_create_view, name="payment_create"),
    path("invoices/<int:pk>/cancel/", invoices.invoice_cancel_view, name="invoice_cancel"),
    path("receivables/", invoices.receivables_view, name="receivables"),
    *record_urls(
        "contracts",
        "contract",
        list=contracts.ContractListView,
        detail=contracts.ContractDetailView,
        edit=contracts.ContractEditView,
        delete=contracts.ContractDeleteView,
    ),
    path(
        "contracts/<int:pk>/documents/", contracts.contract_document_upload, name="contract_document_upload"
    ),
    path(
        "contracts/<int:pk>/documents/<int:document_pk>/",
        contracts.contract_document_download,
        name="contract_document",
    ),
    path(
        "contracts/<int:pk>/documents/<int:document_pk>/remove/",
        contracts.contract_document_remove,
        name="contract_document_remove",
    ),
    # Forecast, targets and stage playbooks (issue 5, part C).
    path("forecast/", forecast.forecast_view, name="forecast"),
    path("targets/", targets.target_list, name="target_list"),
    path("targets/new/", targets.target_create_view, name="target_create"),
    path("targets/leaderboard/", targets.leaderboard_view, name="target_leaderboard"),
    path("targets/<int:pk>/", targets.target_edit_view, name="target_edit"),
    path("targets/<int:pk>/delete/", targets.target_delete_view, name="target_delete"),
    path("opportunities/<int:pk>/checklist/", playbooks.checklist_tick_view, name="checklist_tick"),
    path("opportunities/<int:pk>/forecast/", playbooks.forecast_category_view, name="forecast_category"),
    path("settings/stages/<int:pk>/playbook/", playbooks.playbook_edit_view, name="playbook_edit"),
    path("settings/stages/<int:pk>/playbook/delete/", playbooks.playbook_delete_view, name="playbook_delete"),
]
