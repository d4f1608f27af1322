"""Base models every business record inherits, and the one queryset method that applies visibility.

``OwnedModel`` gives a record its owner, team and branch (where it lives in the organisation tree),
who created and last changed it, custom-field values, an optimistic-concurrency ``version`` and a
soft-delete timestamp. ``VisibleQuerySet.visible_to`` is the only place the data scope of a role is
turned into SQL: every list, detail page, search, export and API call goes through it.
"""

from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DataScope(models.TextChoices):
    """How far a role sees: its own records, its team's, its branch and below, or everything."""

    OWN = "own", _("Own records")
    TEAM = "team", _("Team")
    BRANCH = "branch", _("Branch and below")
    ALL = "all", _("All")


class Action(models.TextChoices):
    """Module rights a role grants per record kind."""

    VIEW = "view", _("View")
    CREATE = "create", _("Create")
    CHANGE = "change", _("Edit")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")


class BaseModel(models.Model):
    """Creation and change timestamps for every table we own."""

    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class VisibleQuerySet(models.QuerySet):
    """Querysets of owned records: visibility, trash and the business states subclasses add."""

    def alive(self) -> Self:
        return self.filter(deleted_at__isnull=True)

    def deleted(self) -> Self:
        return self.filter(deleted_at__isnull=False)

    def visible_to(self, user, action: str = Action.VIEW, *, trash: bool = False) -> Self:
        """Rows ``user`` may ``action``: the role's module right, then its data scope.

        ``trash=True`` gives the deleted rows instead of the live ones (the Trash page).
        """
        qs = self.deleted() if trash else self.alive()
        # Anonymous or deactivated users see nothing.
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return qs.none()
        # The role must grant this action on this kind of record.
        if not user.has_right(self.model, action):
            return qs.none()
        scope = user.data_scope
        # Scope "all": every record of the company.
        if scope == DataScope.ALL:
            return qs
        # Scope "branch": the user's branch and every branch below it.
        if scope == DataScope.BRANCH:
            return qs.filter(branch_id__in=user.branch_ids_below())
        # Scope "team": the team's records, and the user's own wherever they live.
        if scope == DataScope.TEAM and user.team_id:
            return qs.filter(Q(team_id=user.team_id) | Q(owner_id=user.pk))
        # Scope "own" (and "team" for a user without a team): only records the user owns.
        return qs.filter(owner_id=user.pk)


class OwnedModel(BaseModel):
    """A business record: owned by a user, living in a branch, audited, versioned, soft-deleted."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
        help_text=_("The person responsible for this record."),
    )
    team = models.ForeignKey(
        "core.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    branch = models.ForeignKey(
        "core.Branch", on_delete=models.PROTECT, related_name="+", verbose_name=_("branch")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("updated by"),
    )
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False, db_index=True)
    tags = models.ManyToManyField("core.Tag", blank=True, related_name="+", verbose_name=_("tags"))
    search_text = models.TextField(editable=False, default="", blank=True)

    objects = VisibleQuerySet.as_manager()

    # Fields the audit trail ignores (bookkeeping, not business data).
    audit_exclude = frozenset(
        {"created_at", "updated_at", "updated_by", "version", "search_text", "sort_name", "deleted_at"}
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # Derived columns only; business rules live in services (STYLE.md §4).
        self.refresh_search()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse(f"{self._meta.app_label}:{self._meta.model_name}_detail", args=[self.pk])

    def search_parts(self) -> list[str]:
        """Texts a search on this record should match; subclasses list names, emails, phones."""
        return [str(self)]

    def refresh_search(self) -> None:
        from sencrm.common.text import search_text

        self.search_text = search_text(*self.search_parts())

    @classmethod
    def entity(cls) -> str:
        """Stable name of the record kind, e.g. 'crm.contact' (custom fields, audit, rights)."""
        return cls._meta.label_lower
