"""The REST API at /api/v1/: one NinjaAPI, one router per app (STYLE.md §7).

Authentication, the error shape, lists and concurrency are described in ``sencrm.common.api``;
OpenAPI is served at ``/api/v1/openapi.json`` and interactive docs at ``/api/v1/docs``.
"""

from django.http import Http404
from ninja import NinjaAPI, Router

from sencrm.common.api import JsonParser, api_auth, install_error_handlers
from sencrm.core.services.records import ConflictError

api = NinjaAPI(
    title="Sen CRM API",
    version="1",
    description=(
        "Authenticate with `Authorization: Bearer <key>` (`sencrm token create <username>`) or the "
        "browser session (send `X-CSRFToken` on writes). Errors are "
        '`{"detail": "...", "errors": {"field": ["message"]}}`. Lists take `q`, `sort`, filters, '
        "`limit` (≤ 200) and `offset`, and answer `{count, next, results}`. Details answer an `ETag`; "
        "send it back as `If-Match` on PATCH/DELETE to get 412 instead of overwriting someone's change."
    ),
    urls_namespace="api",
    auth=api_auth(),
    parser=JsonParser(),
)
install_error_handlers(api, stale_errors=(ConflictError,))

fallback = Router(auth=None)


@fallback.api_operation(["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", include_in_schema=False)
def not_found(request, rest: str):
    """Unknown paths under /api/v1/ answer the API's JSON 404, not Django's HTML page."""
    raise Http404


api.add_router("", "sencrm.core.api.router")
api.add_router("", "sencrm.core.api.admin_router")
api.add_router("", "sencrm.crm.api_exports.router")  # before /<kind>/{record_id}
api.add_router("", "sencrm.crm.api_duplicates.router")  # before /<kind>/{record_id}
api.add_router("", "sencrm.crm.api.router")
api.add_router("", "sencrm.sales.api.router")
api.add_router("", "sencrm.sales.api_planning.router")  # forecast, targets, playbooks
api.add_router("", "sencrm.sales.api_orders.router")  # orders, invoices, contracts, ERP
api.add_router("", "sencrm.core.api_imports.router")
api.add_router("", "sencrm.core.api_segments.router")
api.add_router("", "sencrm.core.api_search.router")
api.add_router("", fallback)  # last: it matches every path
