"""The Trash: deleted records of every kind the user may restore, newest first."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sencrm.core.services.trash import trash_counts, trash_list, trash_restore


@login_required
def trash(request):
    counts = trash_counts(request.user)
    kind = request.GET.get("kind", "")
    if kind not in {k.entity for k, _n in counts}:
        kind = ""
    page = Paginator(trash_list(request.user, kind or None), settings.SENCRM_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "counts": counts,
        "total": sum(n for _k, n in counts),
        "kind": kind,
        "page": page,
        "trash_days": settings.SENCRM_TRASH_DAYS,
    }
    return render(request, "core/trash.html", context)


@login_required
@require_POST
def trash_restore_view(request, entity: str, pk: int):
    record = trash_restore(user=request.user, entity=entity, pk=pk)
    messages.success(request, _("“%(name)s” has been restored.") % {"name": record})
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("trash")
