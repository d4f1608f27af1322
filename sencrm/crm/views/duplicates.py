"""Duplicates and merge pages (issue 3): the duplicates page, the "possible duplicates" box of a
record, the live warning of the create/edit forms, and the side-by-side merge page.

Every page reads through ``visible_to``; the merge itself is ``crm.services.merge.record_merge``,
which checks the rights (change on the survivor, delete on the others) and answers 404 otherwise.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import select_template
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sencrm.common.display import custom_display, display_value, field_label, tag_badges, users_by_id
from sencrm.common.models import Action
from sencrm.core.services.records import ConflictError
from sencrm.crm.services.duplicates import GROUP_BY, KINDS, duplicate_groups, find_duplicates, group_columns
from sencrm.crm.services.merge import MAX_RECORDS, default_choices, merge_fields, record_merge

BOX_LIMIT = 5


def _model(kind: str):
    model = KINDS.get(kind)
    if model is None:
        raise Http404
    return model


def _can_merge(user, model) -> bool:
    return user.has_right(model, Action.CHANGE) and user.has_right(model, Action.DELETE)


def merge_url(kind: str, ids) -> str:
    return reverse("crm:merge", args=[kind]) + "?" + "&".join(f"ids={pk}" for pk in ids)


# --------------------------------------------------------------------------------------------------
# The duplicates page
# --------------------------------------------------------------------------------------------------
@login_required
def duplicates_page(request):
    """Likely duplicate groups of one kind among the visible records, a page of blocks at a time."""
    kind = request.GET.get("type", "contact")
    model = _model(kind)
    if not request.user.has_right(model, Action.VIEW):
        raise Http404
    columns = group_columns(model)
    by = request.GET.get("by", "name")
    if by not in columns:
        by = "name"
    page = request.GET.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    groups, has_next = duplicate_groups(model, request.user, by=by, page=page)
    can_merge = _can_merge(request.user, model)
    return render(
        request,
        "crm/duplicates.html",
        {
            "kind": kind,
            "kinds": [(k, m._meta.verbose_name_plural) for k, m in KINDS.items()],
            "by": by,
            "groupings": [(key, GROUP_BY[key]) for key in columns],
            "groups": [
                {"group": g, "merge_url": merge_url(kind, g.ids) if can_merge else ""} for g in groups
            ],
            "page": page,
            "has_next": has_next,
            "verbose_name_plural": model._meta.verbose_name_plural,
        },
    )


# --------------------------------------------------------------------------------------------------
# A record's possible duplicates (detail page box, loaded by htmx so the page itself stays cheap)
# --------------------------------------------------------------------------------------------------
@login_required
def duplicate_box(request, kind: str, pk: int):
    from sencrm.common.access import get_object_for_user

    model = _model(kind)
    obj = get_object_for_user(model.objects.all(), request.user, pk)
    matches = find_duplicates(model, obj, request.user, limit=BOX_LIMIT)
    can_merge = _can_merge(request.user, model)
    return render(
        request,
        "crm/partials/duplicate_box.html",
        {
            "matches": matches,
            "object": obj,
            "kind": kind,
            "merge_all_url": merge_url(kind, [obj.pk, *(m.record.pk for m in matches)]) if can_merge else "",
            "can_merge": can_merge,
            "merge_urls": {m.record.pk: merge_url(kind, [obj.pk, m.record.pk]) for m in matches},
        },
    )


# --------------------------------------------------------------------------------------------------
# The live warning of the create and edit forms
# --------------------------------------------------------------------------------------------------
@login_required
@require_POST
def duplicate_check(request, kind: str):
    """The form's fields as typed so far → a non-blocking list of possible duplicates."""
    model = _model(kind)
    data = {key: request.POST.get(key) for key in request.POST if key != "csrfmiddlewaretoken"}
    exclude = request.GET.get("pk", "")
    matches = [
        m
        for m in find_duplicates(model, data, request.user, limit=BOX_LIMIT + 1)
        if str(m.record.pk) != exclude
    ][:BOX_LIMIT]
    return render(request, "crm/partials/duplicate_warning.html", {"matches": matches})


class DuplicateWarningMixin:
    """For a record kind's edit view: the form warns of possible duplicates while it is filled in.

    The form template stays the kind's own; ``crm/duplicates_form.html`` extends it and adds the
    htmx attributes and the warning area.
    """

    def template_names(self, kind=None):
        if (kind or self.template_kind) == "form":
            return ["crm/duplicates_form.html"]
        return super().template_names(kind)

    def base_context(self, request) -> dict:
        return {
            **super().base_context(request),
            "form_base": select_template(super().template_names("form")).template.name,
            "duplicate_check_url": reverse("crm:duplicate_check", args=[self.meta.model_name]),
        }


# --------------------------------------------------------------------------------------------------
# Merge
# --------------------------------------------------------------------------------------------------
def _ids(values) -> list[int]:
    ids: list[int] = []
    for value in values:
        for part in str(value).split(","):
            if part.strip().isdigit() and int(part) not in ids:
                ids.append(int(part))
    return ids


def _comparison(model, records, choices):
    """Rows of the merge table: each field whose values differ, with one cell per record."""
    from sencrm.core.services.custom_fields import custom_fields_for

    rows = []
    for f in merge_fields(model):
        values = [getattr(r, f.attname) for r in records]
        if len({repr(v) for v in values}) < 2:
            continue
        rows.append(
            {
                "name": f.name,
                "label": field_label(model, f.name),
                "cells": [{"pk": r.pk, "html": display_value(r, f.name)} for r in records],
                "chosen": choices[f.name],
            }
        )
    definitions = custom_fields_for(model.entity())
    users = users_by_id(
        (r.custom or {}).get(cf.key) for r in records for cf in definitions if cf.type == "user"
    )
    for cf in definitions:
        values = [(r.custom or {}).get(cf.key) for r in records]
        if len({repr(v) for v in values}) < 2:
            continue
        name = f"custom.{cf.key}"
        rows.append(
            {
                "name": name,
                "label": cf.label,
                "cells": [
                    {"pk": r.pk, "html": custom_display(cf, v, users)}
                    for r, v in zip(records, values, strict=True)
                ],
                "chosen": choices.get(name, records[0].pk),
            }
        )
    return rows


@login_required
def merge_view(request, kind: str):
    """Compare 2+ records side by side, choose the survivor and each field's value, then merge."""
    model = _model(kind)
    ids = _ids(request.POST.getlist("ids") if request.method == "POST" else request.GET.getlist("ids"))
    if not 2 <= len(ids) <= MAX_RECORDS:
        messages.error(request, _("Choose between 2 and %(n)d records to merge.") % {"n": MAX_RECORDS})
        return redirect(reverse("crm:duplicates") + f"?type={kind}")
    found = {
        r.pk: r for r in model.objects.visible_to(request.user).filter(pk__in=ids).prefetch_related("tags")
    }
    if len(found) != len(ids):
        raise Http404  # one of them is missing or out of scope: say nothing about which
    survivor_id = request.POST.get("survivor") or request.GET.get("survivor") or str(ids[0])
    survivor_id = int(survivor_id) if survivor_id.isdigit() and int(survivor_id) in found else ids[0]
    records = [found[survivor_id], *[found[pk] for pk in ids if pk != survivor_id]]
    custom_keys = sorted({k for r in records for k in (r.custom or {})})
    choices = default_choices(model, records, custom_keys)
    errors: list[str] = []
    if request.method == "POST":
        posted = {
            name[len("value:") :]: int(value)
            for name, value in request.POST.items()
            if name.startswith("value:") and value.isdigit()
        }
        version = request.POST.get(f"version:{survivor_id}", "")
        try:
            result = record_merge(
                model=model,
                survivor_id=survivor_id,
                other_ids=[pk for pk in ids if pk != survivor_id],
                by=request.user,
                choices=posted,
                expected_version=int(version) if version.isdigit() else None,
            )
        except ConflictError:
            errors.append(_("Someone changed the record you keep while you were choosing. Check again."))
        except ValidationError as exc:
            errors.extend(exc.messages)
        else:
            messages.success(
                request,
                _("%(n)d records were merged into %(name)s.")
                % {"n": len(result.merged_ids) + 1, "name": result.survivor},
            )
            return redirect(result.survivor.get_absolute_url())
        choices.update(posted)
    return render(
        request,
        "crm/merge.html",
        {
            "kind": kind,
            "records": records,
            "survivor": records[0],
            "rows": _comparison(model, records, choices),
            "tags": [{"pk": r.pk, "html": tag_badges(r.tags.all())} for r in records],
            "errors": errors,
            "can_merge": _can_merge(request.user, model),
            "verbose_name_plural": model._meta.verbose_name_plural,
            "list_url": reverse(f"crm:{kind}_list"),
        },
    )
