"""The REST API at /api/v1/: one NinjaAPI, one router per app (STYLE.md §7)."""

from ninja import NinjaAPI

api = NinjaAPI(title="Sen CRM API", version="1", urls_namespace="api")
