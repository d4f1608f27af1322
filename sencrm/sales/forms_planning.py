"""Forms of the forecast filter, the target pages and the stage playbook settings.

They only read and shape input; the rules (scope, periods, negative values, known fields) live
in the services, whose ``ValidationError`` the views put back on the form (``apply_errors``).
"""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sencrm.core.forms import TablerMixin
from sencrm.core.models import Branch, Province, Team, User
from sencrm.crm.models import Pipeline
from sencrm.sales.models import PlaybookTask, Target
from sencrm.sales.services.playbooks import REQUIRABLE_FIELDS, field_label


class ForecastFilterForm(TablerMixin, forms.Form):
    """The forecast page's filter: a year cut into months or quarters, and the narrowing."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)
    granularity = forms.ChoiceField(
        label=_("Periods"), choices=[("month", _("Months")), ("quarter", _("Quarters"))], required=False
    )
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=Pipeline.objects.none(), required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    branch = forms.ModelChoiceField(label=_("Branch"), queryset=Branch.objects.none(), required=False)
    group = forms.ChoiceField(
        label=_("Compare"),
        choices=[("owner", _("Reps")), ("team", _("Teams")), ("branch", _("Branches"))],
        required=False,
    )

    def __init__(self, *args, choices: dict, pipelines, **kwargs):
        super().__init__(*args, **kwargs)
        # Choices are lists already read (one query each), within the user's scope.
        self.fields["pipeline"].queryset = Pipeline.objects.filter(pk__in=[p.pk for p in pipelines])
        self.fields["pipeline"].choices = [("", _("All pipelines"))] + [(p.pk, p.name) for p in pipelines]
        self.fields["owner"].queryset = User.objects.filter(pk__in=[u.pk for u in choices["owners"]])
        self.fields["owner"].choices = [("", _("Everyone"))] + [(u.pk, str(u)) for u in choices["owners"]]
        self.fields["team"].queryset = Team.objects.filter(pk__in=[t.pk for t in choices["teams"]])
        self.fields["team"].choices = [("", _("All teams"))] + [(t.pk, str(t)) for t in choices["teams"]]
        self.fields["branch"].queryset = Branch.objects.filter(pk__in=[b.pk for b in choices["branches"]])
        self.fields["branch"].choices = [("", _("All branches"))] + [
            (b.pk, str(b)) for b in choices["branches"]
        ]


class TargetForm(TablerMixin, forms.Form):
    """Setting a target: for whom, which period, what measure and how much."""

    subject = forms.ChoiceField(label=_("For"), choices=Target.Subject.choices)
    user = forms.ModelChoiceField(label=_("Person"), queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    branch = forms.ModelChoiceField(label=_("Branch"), queryset=Branch.objects.none(), required=False)
    period = forms.ChoiceField(label=_("Period"), choices=Target.Period.choices)
    start = forms.DateField(
        label=_("Start"),
        help_text=_("The first day of the month, quarter or year."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("End"),
        required=False,
        help_text=_("Leave empty: the last day of the period."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    measure = forms.ChoiceField(label=_("Measure"), choices=Target.Measure.choices)
    # No min_value here: the service refuses negatives with its own message (one rule, one place).
    value = forms.IntegerField(
        label=_("Target"), help_text=_("VND for revenue, a number of deals for deals won.")
    )
    province = forms.ModelChoiceField(
        label=_("Province"), queryset=Province.objects.order_by("name"), required=False
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, users, teams, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
        self.fields["team"].queryset = teams
        self.fields["branch"].queryset = branches

    @staticmethod
    def initial_for(target: Target | None) -> dict:
        if target is None:
            today = timezone.localdate()
            return {
                "start": datetime.date(today.year, today.month, 1),
                "measure": "revenue",
                "period": "month",
            }
        return {
            "subject": target.subject,
            "user": target.owner_id if target.subject == Target.Subject.USER else None,
            "team": target.team_id if target.subject == Target.Subject.TEAM else None,
            "branch": target.branch_id if target.subject == Target.Subject.BRANCH else None,
            "period": target.period,
            "start": target.start,
            "end": target.end,
            "measure": target.measure,
            "value": target.value,
            "province": target.province_id,
            "note": target.note,
            "version": target.version,
        }

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class PlaybookForm(TablerMixin, forms.Form):
    """A stage's playbook: required fields, guidance, checklist (one item a line) and tasks."""

    required_fields = forms.MultipleChoiceField(
        label=_("Required before entering the stage"),
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    guidance = forms.CharField(label=_("Guidance"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    checklist = forms.CharField(
        label=_("Checklist"),
        help_text=_("One item a line."),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["required_fields"].choices = [(name, field_label(name)) for name in REQUIRABLE_FIELDS]

    def checklist_items(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["checklist"].splitlines() if line.strip()]


class PlaybookTaskForm(TablerMixin, forms.Form):
    """One automatic task row of the playbook form (a formset)."""

    subject = forms.CharField(label=_("Task"), max_length=255, required=False)
    due_days = forms.IntegerField(label=_("Due after (days)"), required=False, initial=1)
    assignee = forms.ChoiceField(label=_("For"), choices=PlaybookTask.Assignee.choices, required=False)
    min_amount = forms.IntegerField(label=_("Only when the amount is over (VND)"), required=False)

    def task(self) -> dict | None:
        """The row as the service takes it; None for a blank row."""
        data = self.cleaned_data
        if not data.get("subject") and data.get("min_amount") is None:
            return None
        return {
            "subject": data.get("subject") or "",
            "due_days": 1 if data.get("due_days") is None else data["due_days"],
            "assignee": data.get("assignee") or PlaybookTask.Assignee.OWNER,
            "min_amount": data.get("min_amount"),
        }


PlaybookTaskFormSet = forms.formset_factory(PlaybookTaskForm, extra=2)


class ForecastCategoryForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Forecast category"),
        choices=[("", _("From the probability"))],
        required=False,
    )

    def __init__(self, *args, **kwargs):
        from sencrm.sales.models import ForecastCategory

        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("From the probability")), *ForecastCategory.choices]
        self.fields["category"].widget.attrs["class"] = "form-select form-select-sm"
