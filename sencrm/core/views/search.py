"""Global search pages: the as-you-type dropdown of the top bar and the full results page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from sencrm.core.search import COUNT_CAP, kinds_for, search, search_counts

DROPDOWN_LIMIT = 8
PAGE_LIMIT = 50


def _groups(hits) -> list[dict]:
    """Hits grouped by kind, groups in the order of their best hit."""
    groups: dict[str, dict] = {}
    for hit in hits:
        groups.setdefault(hit.type, {"kind": hit.kind, "hits": []})["hits"].append(hit)
    return list(groups.values())


@login_required
def search_suggest(request):
    """The dropdown under the search box (htmx, as the user types)."""
    q = request.GET.get("q", "").strip()[:200]
    hits = search(request.user, q, limit=DROPDOWN_LIMIT) if q else []
    return render(request, "core/partials/search_dropdown.html", {"q": q, "groups": _groups(hits)})


@login_required
def search_page(request):
    """All results of a query, with one tab per record kind and its count."""
    q = request.GET.get("q", "").strip()[:200]
    kinds = kinds_for(request.user)
    current = request.GET.get("type", "")
    if current not in {k.type for k in kinds}:
        current = ""
    counts = search_counts(request.user, q) if q else {}
    hits = search(request.user, q, types=[current] if current else None, limit=PAGE_LIMIT) if q else []
    tabs = [{"kind": k, "count": counts.get(k.type, 0)} for k in kinds]
    context = {
        "q": q,
        "current": current,
        "tabs": tabs,
        "total": sum(counts.values()),
        "hits": hits,
        "cap": COUNT_CAP,
        "limit": PAGE_LIMIT,
    }
    template = "core/partials/search_results.html" if request.htmx else "core/search.html"
    return render(request, template, context)
