"""URLs of the CRM pages. Record pages (lists, details, forms) and the other pages (home, board,
timeline) live in two modules so each stays short."""

from sencrm.crm import urls_pages, urls_records

app_name = "crm"
urlpatterns = [*urls_pages.urlpatterns, *urls_records.urlpatterns]
