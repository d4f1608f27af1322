"""Contracts (Hợp đồng): list, detail with the attached documents, form, and access-checked
downloads (someone who may not see the contract gets 404 for its files too)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sencrm.common.access import get_object_for_user
from sencrm.common.display import choice_label
from sencrm.common.lists import BranchFilter, ChoiceFilter, Column, RelatedFilter, TeamFilter, UserFilter
from sencrm.common.models import Action
from sencrm.common.views import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    requires_right,
)
from sencrm.sales.forms_orders import ContractDocumentForm, ContractForm
from sencrm.sales.models import Contract
from sencrm.sales.services.contracts import contract_document_add, contract_document_delete
from sencrm.sales.templatetags.sales import format_amount

STATUS_COLORS = {
    "draft": "secondary",
    "active": "green",
    "expired": "orange",
    "terminated": "red",
    "renewed": "blue",
}


def status_badge(obj):
    return format_html(
        '<span class="badge bg-{}-lt">{}</span>',
        STATUS_COLORS.get(obj.status, "secondary"),
        choice_label(obj, "status"),
    )


def value(obj):
    return format_html("{}", format_amount(obj.value, "VND"))


class ContractListView(ObjectListView):
    model = Contract
    columns = [
        Column("number", link=True, sort="number"),
        Column("title", sort=None),
        Column("account"),
        Column("type", default=False),
        Column("status", render=status_badge),
        Column("value", render=value, sort=None, css="text-end"),
        Column("end_date", sort="end_date"),
        Column("owner"),
        Column("created_at", default=False),
    ]
    filters = [
        ChoiceFilter("status"),
        ChoiceFilter("type"),
        RelatedFilter("account"),
        UserFilter("owner"),
        BranchFilter(),
        TeamFilter(),
    ]
    default_sort = ["-created_at"]


class ContractDetailView(ObjectDetailView):
    model = Contract
    queryset = Contract.objects.select_related("account", "contact", "order")
    fieldsets = [
        (
            gettext_lazy("Contract"),
            ["type", "account", "contact", "order", "start_date", "end_date", "value"],
        ),
        (gettext_lazy("Renewal"), ["auto_renew", "notice_days", "renewal_terms:multiline"]),
        (gettext_lazy("Notes"), ["notes:multiline"]),
    ]

    def get_extra_context(self, request, obj) -> dict:
        return {
            "status_badge": status_badge(obj),
            "documents": list(obj.documents.select_related("uploaded_by")),
            "document_form": ContractDocumentForm(),
            "can_change_contract": request.user.has_right(Contract, Action.CHANGE),
        }


class ContractEditView(ObjectEditView):
    model = Contract
    form_class = ContractForm
    queryset = Contract.objects.select_related("account", "contact", "order")

    def get_initial(self, request) -> dict:
        value = request.GET.get("account", "")
        return {"account": int(value)} if value.isdigit() else {}


class ContractDeleteView(ObjectDeleteView):
    model = Contract


@requires_right(Contract, Action.VIEW)
def contract_document_download(request, pk, document_pk):
    """A contract's file, only for those who may see the contract (404 otherwise, like a missing one)."""
    contract = get_object_for_user(Contract.objects.all(), request.user, pk)
    document = contract.documents.filter(pk=document_pk).first()
    if document is None:
        raise Http404
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=document.name)


@require_POST
@requires_right(Contract, Action.CHANGE)
def contract_document_upload(request, pk):
    contract = get_object_for_user(Contract.objects.all(), request.user, pk, Action.CHANGE)
    form = ContractDocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(contract.get_absolute_url())
    try:
        document = contract_document_add(contract=contract, by=request.user, upload=form.cleaned_data["file"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(name)s was attached.") % {"name": document.name})
    return redirect(contract.get_absolute_url())


@require_POST
@requires_right(Contract, Action.CHANGE)
def contract_document_remove(request, pk, document_pk):
    contract = get_object_for_user(Contract.objects.all(), request.user, pk, Action.CHANGE)
    document = contract.documents.filter(pk=document_pk).first()
    if document is None:
        raise Http404
    contract_document_delete(document=document, by=request.user)
    messages.success(request, _("%(name)s was removed.") % {"name": document.name})
    return redirect(contract.get_absolute_url())
