"""Forms of the CRM pages. They parse input; the services validate and save (common.forms)."""

import datetime

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sencrm.common.forms import DateInput, MoneyField, ObjectPicker, RecordForm, RecordMeta, style_widget
from sencrm.crm.models import Account, Activity, Contact, Lead, Opportunity, Pipeline, Stage
from sencrm.crm.models.contacts import Channel

ADDRESS = ["street", "province", "ward"]
NAME_PARTS = ("family_name", "middle_name", "given_name")


def _plain_name_parts(form) -> None:
    """The labels say it all (Họ / Tên đệm / Tên); the models' Vietnamese hints would repeat them."""
    for name in NAME_PARTS:
        form.fields[name].help_text = ""
    form.fields["given_name"].required = False


class AccountForm(RecordForm):
    pickers = {"parent": "crm:account_list"}
    widths = {"street": 12}

    class Meta(RecordMeta):
        model = Account
        fields = [
            "name", "type", "parent", "industry", "tax_code", "employees", "annual_revenue",
            "phone", "phone2", "email", "email2", "website", *ADDRESS, "description", "owner",
        ]  # fmt: skip

    fieldsets = [
        (
            gettext_lazy("Organisation"),
            ["name", "type", "parent", "industry", "tax_code", "employees", "annual_revenue"],
        ),
        (gettext_lazy("Contact details"), ["phone", "phone2", "email", "email2", "website"]),
        (gettext_lazy("Address"), ADDRESS),
        (gettext_lazy("Description"), ["description"]),
    ]  # fmt: skip


class ContactForm(RecordForm):
    """A person, with Vietnamese name parts and marketing consent per channel (VIETNAM.md §3, §7)."""

    pickers = {"account": "crm:account_list"}
    widths = {"salutation": 3, "family_name": 3, "middle_name": 3, "given_name": 3, "street": 12}

    class Meta(RecordMeta):
        model = Contact
        fields = [
            "salutation", "family_name", "middle_name", "given_name", "account", "job_title", "department",
            "mobile", "phone", "email", "email2", "birthday", "preferred_channel", "preferred_time",
            "do_not_contact", *ADDRESS, "description", "owner",
        ]  # fmt: skip

    fieldsets = [
        (gettext_lazy("Name"), ["salutation", "family_name", "middle_name", "given_name"]),
        (gettext_lazy("Work"), ["account", "job_title", "department"]),
        (
            gettext_lazy("Reaching them"),
            [
                "mobile", "phone", "email", "email2", "preferred_channel", "preferred_time",
                "birthday", "do_not_contact",
            ],
        ),
        (gettext_lazy("Address"), ADDRESS),
        (gettext_lazy("Description"), ["description"]),
    ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        consent = self.instance.consent if isinstance(self.instance.consent, dict) else {}
        for value, _label in Channel.choices:
            entry = consent.get(value) or {}
            self.fields[f"consent_{value}_granted"] = forms.BooleanField(
                required=False, initial=bool(entry.get("granted"))
            )
            at = None
            if entry.get("at"):
                try:
                    at = datetime.date.fromisoformat(str(entry["at"])[:10])
                except ValueError:
                    at = None
            self.fields[f"consent_{value}_at"] = forms.DateField(required=False, widget=DateInput, initial=at)
            self.fields[f"consent_{value}_source"] = forms.CharField(
                required=False,
                max_length=100,
                initial=entry.get("source", ""),
                widget=forms.TextInput(
                    attrs={"placeholder": _("Source: web form, call, paper…"), "aria-label": _("Source")}
                ),
            )
            for suffix in ("granted", "at", "source"):
                style_widget(self.fields[f"consent_{value}_{suffix}"])
        _plain_name_parts(self)

    def consent_rows(self) -> list[dict]:
        return [
            {
                "label": label,
                "granted": self[f"consent_{value}_granted"],
                "at": self[f"consent_{value}_at"],
                "source": self[f"consent_{value}_source"],
            }
            for value, label in Channel.choices
        ]

    def layout(self):
        sets = super().layout()
        # The consent fields have their own table (contact_form.html).
        for s in sets:
            s["fields"] = [f for f in s["fields"] if not f.name.startswith("consent_")]
        return [s for s in sets if s["fields"]]

    def service_data(self) -> dict:
        data = super().service_data()
        previous = self.instance.consent if isinstance(self.instance.consent, dict) else {}
        consent = dict(previous)
        today = timezone.localdate()
        for value, _label in Channel.choices:
            granted = bool(self.cleaned_data.get(f"consent_{value}_granted"))
            at = self.cleaned_data.get(f"consent_{value}_at")
            source = (self.cleaned_data.get(f"consent_{value}_source") or "").strip()
            before = previous.get(value) or {}
            if value not in previous and not (granted or at or source):
                continue
            if at is None and granted != bool(before.get("granted")):
                at = today  # the day consent was given or withdrawn
            consent[value] = {
                "granted": granted,
                "at": at.isoformat() if at else before.get("at", ""),
                "source": source,
            }
        data["consent"] = consent
        return data


SALUTATIONS = [("", "—"), *Contact.Salutation.choices]


class LeadForm(RecordForm):
    widths = {"salutation": 3, "family_name": 3, "middle_name": 3, "given_name": 3, "street": 12}

    salutation = forms.ChoiceField(label=gettext_lazy("Salutation"), choices=SALUTATIONS, required=False)
    estimated_value = MoneyField(label=gettext_lazy("Estimated value (VND)"), required=False)

    class Meta(RecordMeta):
        model = Lead
        fields = [
            "salutation", "family_name", "middle_name", "given_name", "company", "job_title", "tax_code",
            "industry", "website", "mobile", "phone", "email", "source", "status", "rating",
            "estimated_value", *ADDRESS, "description", "owner",
        ]  # fmt: skip

    fieldsets = [
        (gettext_lazy("Person"), ["salutation", "family_name", "middle_name", "given_name", "job_title"]),
        (gettext_lazy("Company"), ["company", "tax_code", "industry", "website"]),
        (gettext_lazy("Reaching them"), ["mobile", "phone", "email"]),
        (gettext_lazy("Qualification"), ["source", "status", "rating", "estimated_value"]),
        (gettext_lazy("Address"), ADDRESS),
        (gettext_lazy("Description"), ["description"]),
    ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _plain_name_parts(self)
        # "Converted" is set by the conversion, never chosen by hand.
        if not self.instance.is_converted:
            self.fields["status"].choices = [
                c for c in self.fields["status"].choices if c[0] != Lead.Status.CONVERTED
            ]


class OpportunityForm(RecordForm):
    """A deal. The stage list is grouped by pipeline; the pipeline follows the chosen stage."""

    pickers = {"account": "crm:account_list", "contact": "crm:contact_list"}
    widths = {"currency": 3, "probability": 3}

    class Meta(RecordMeta):
        model = Opportunity
        fields = [
            "name", "account", "contact", "stage", "amount", "currency", "probability", "expected_close",
            "next_step", "lost_reason", "products", "competitors", "description", "owner",
        ]  # fmt: skip

    fieldsets = [
        (gettext_lazy("Deal"), ["name", "account", "contact", "stage", "expected_close", "next_step"]),
        (gettext_lazy("Value"), ["amount", "currency", "probability"]),
        (gettext_lazy("More about the deal"), ["products", "competitors", "lost_reason", "description"]),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stage_field = self.fields["stage"]
        stages = Stage.objects.filter(Q(pipeline__active=True) | Q(pk=self.instance.stage_id or 0))
        stages = list(
            stages.select_related("pipeline").order_by("pipeline__position", "pipeline_id", "position")
        )
        stage_field.queryset = Stage.objects.filter(pk__in=[s.pk for s in stages])
        groups: dict[Pipeline, list] = {}
        for stage in stages:
            groups.setdefault(stage.pipeline, []).append((stage.pk, f"{stage.name} ({stage.probability}%)"))
        stage_field.choices = [("", "—")] + [(str(p), choices) for p, choices in groups.items()]
        stage_field.required = False
        stage_field.help_text = _("Empty: the first stage of the default pipeline.")
        self.fields["probability"].required = False
        self.fields["probability"].help_text = _("Empty: the stage's probability.")
        self.fields["currency"].required = False

    def service_data(self) -> dict:
        data = super().service_data()
        stage = data.get("stage")
        if stage is None:
            data.pop("stage", None)
        else:
            data["pipeline"] = stage.pipeline
        if data.get("probability") is None:
            data.pop("probability", None)
            if stage is not None and stage.pk != self.instance.stage_id:
                data["probability"] = stage.probability
        if not data.get("currency"):
            data["currency"] = "VND"
        return data


# Which fields each kind of activity uses; the others are hidden (Alpine) and cleared on save.
KIND_FIELDS = {
    "due_at": {"task", "call", "email"},
    "priority": {"task", "call"},
    "start_at": {"meeting"},
    "end_at": {"meeting"},
    "location": {"meeting"},
    "remind_at": {"task", "call", "meeting"},
    "direction": {"call"},
    "call_duration": {"call"},
    "call_result": {"call"},
    "outcome": {"call", "meeting", "email"},
}


class ActivityForm(RecordForm):
    pickers = {
        "account": "crm:account_list",
        "contact": "crm:contact_list",
        "lead": "crm:lead_list",
        "opportunity": "crm:opportunity_list",
    }
    widths = {"kind": 4, "subject": 8, "direction": 4, "call_duration": 4, "call_result": 4}
    field_show = {
        name: " || ".join(f"kind === '{k}'" for k in sorted(kinds)) for name, kinds in KIND_FIELDS.items()
    }

    class Meta(RecordMeta):
        model = Activity
        fields = [
            "kind", "subject", "description", "priority", "due_at", "start_at", "end_at", "location",
            "remind_at", "direction", "call_duration", "call_result", "done", "outcome",
            "account", "contact", "lead", "opportunity", "owner",
        ]  # fmt: skip

    fieldsets = [
        (None, ["kind", "subject", "description"]),
        (
            gettext_lazy("When"),
            ["due_at", "start_at", "end_at", "location", "remind_at", "priority"],
        ),
        (gettext_lazy("Call"), ["direction", "call_duration", "call_result"]),
        (gettext_lazy("Result"), ["done", "outcome"]),
        (gettext_lazy("Related to"), ["account", "contact", "lead", "opportunity"]),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].widget.attrs["x-model"] = "kind"

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        for name, kinds in KIND_FIELDS.items():
            if kind and kind not in kinds and name in cleaned:
                cleaned[name] = self.fields[name].to_python("") if name != "priority" else "normal"
        return cleaned


# --------------------------------------------------------------------------------------------------
# Lead conversion and closing deals
# --------------------------------------------------------------------------------------------------
class LeadConvertForm(forms.Form):
    """Choices of the conversion page; ``crm.services.leads.lead_convert`` does the work."""

    ACCOUNT_MODES = [
        ("new", gettext_lazy("Create a new account")),
        ("existing", gettext_lazy("Link to an existing account")),
        ("none", gettext_lazy("No account (individual customer)")),
    ]
    CONTACT_MODES = [
        ("new", gettext_lazy("Create a new contact")),
        ("existing", gettext_lazy("Link to an existing contact")),
    ]

    account_mode = forms.ChoiceField(choices=ACCOUNT_MODES, widget=forms.RadioSelect, initial="new")
    account = forms.ModelChoiceField(
        queryset=Account.objects.none(), required=False, label=gettext_lazy("Account")
    )
    contact_mode = forms.ChoiceField(choices=CONTACT_MODES, widget=forms.RadioSelect, initial="new")
    contact = forms.ModelChoiceField(
        queryset=Contact.objects.none(), required=False, label=gettext_lazy("Contact")
    )
    create_opportunity = forms.BooleanField(
        required=False, initial=True, label=gettext_lazy("Create an opportunity")
    )
    opportunity_name = forms.CharField(required=False, max_length=255, label=gettext_lazy("Opportunity name"))
    amount = MoneyField(required=False, label=gettext_lazy("Amount (VND)"))
    expected_close = forms.DateField(
        required=False, widget=DateInput, label=gettext_lazy("Expected close date")
    )
    pipeline = forms.ModelChoiceField(
        queryset=Pipeline.objects.filter(active=True),
        required=False,
        label=gettext_lazy("Pipeline"),
        empty_label=None,
    )

    def __init__(self, *args, user, lead: Lead, **kwargs):
        super().__init__(*args, **kwargs)
        self.lead = lead
        self.fields["account"].queryset = Account.objects.visible_to(user)
        self.fields["account"].widget = ObjectPicker("crm:account_list")
        self.fields["account"].widget.choices = self.fields["account"].choices
        self.fields["contact"].queryset = Contact.objects.visible_to(user)
        self.fields["contact"].widget = ObjectPicker("crm:contact_list")
        self.fields["contact"].widget.choices = self.fields["contact"].choices
        if not lead.company:
            self.fields["account_mode"].choices = self.ACCOUNT_MODES[1:]
            self.fields["account_mode"].initial = "none"
        self.fields["opportunity_name"].initial = lead.company or lead.full_name
        self.fields["amount"].initial = lead.estimated_value
        if self.fields["pipeline"].queryset.count() < 2:
            self.fields["pipeline"].widget = forms.HiddenInput()
        self.fields["account_mode"].widget.attrs["x-model"] = "accountMode"
        self.fields["contact_mode"].widget.attrs["x-model"] = "contactMode"
        self.fields["create_opportunity"].widget.attrs["x-model"] = "createOpp"
        for field in self.fields.values():
            style_widget(field)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("account_mode") == "existing" and not cleaned.get("account"):
            self.add_error("account", _("Choose the account to link to."))
        if cleaned.get("contact_mode") == "existing" and not cleaned.get("contact"):
            self.add_error("contact", _("Choose the contact to link to."))
        return cleaned


class OpportunityCloseForm(forms.Form):
    """Won, lost (with the required reason) or reopen, from the opportunity page."""

    outcome = forms.ChoiceField(choices=[("won", "won"), ("lost", "lost"), ("reopen", "reopen")])
    lost_reason = forms.CharField(required=False, max_length=255, label=gettext_lazy("Lost reason"))
    version = forms.IntegerField(required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") == "lost" and not (cleaned.get("lost_reason") or "").strip():
            self.add_error("lost_reason", _("Say why the deal was lost."))
        return cleaned
