"""The organisation (users, teams, branches, roles) and the services every record kind shares:
audit trail, custom-field definitions, tags, notifications, recently viewed records, API tokens
and the Vietnamese administrative units addresses point at."""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from sencrm.common.models import Action, BaseModel, DataScope
from sencrm.common.text import fold, sort_key

# ---------------------------------------------------------------------------------------------------
# Organisation
# ---------------------------------------------------------------------------------------------------


class Branch(BaseModel):
    """A unit of the organisation tree: head office → branch → front office (U5).

    ``path`` is the materialised path of ids ("/1/4/9/") so "this branch and everything below it"
    is one indexed prefix query, whatever the depth.
    """

    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=30, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    path = models.CharField(max_length=255, editable=False, default="", db_index=True)
    address = models.CharField(_("address"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)

    def descendant_ids(self) -> list[int]:
        """Ids of this branch and every branch below it."""
        return list(Branch.objects.filter(path__startswith=self.path).values_list("id", flat=True))


class Team(BaseModel):
    """A sales or service team; "team" data scope shows a user the records of their team."""

    name = models.CharField(_("name"), max_length=200)
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="teams", verbose_name=_("branch")
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("leader"),
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


#: Record kinds a role grants rights on, by entity name. Later modules add theirs here.
MODULES: dict[str, str] = {
    "crm.account": _("Accounts"),
    "crm.contact": _("Contacts"),
    "crm.lead": _("Leads"),
    "crm.opportunity": _("Opportunities"),
    "crm.activity": _("Activities"),
}


class Role(BaseModel):
    """Module rights (view/create/edit/delete/export per record kind) plus one data scope.

    ``rights`` maps an entity name to the actions granted, e.g.
    ``{"crm.lead": ["view", "create", "change"]}``. ``is_admin`` opens the settings pages.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    scope = models.CharField(_("data scope"), max_length=10, choices=DataScope.choices, default=DataScope.OWN)
    rights = models.JSONField(_("rights"), default=dict, blank=True)
    is_admin = models.BooleanField(
        _("administrator"), default=False, help_text=_("Administrators manage users, roles and settings.")
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def grants(self, entity: str, action: str) -> bool:
        return action in self.rights.get(entity, ())

    @staticmethod
    def all_rights() -> dict[str, list[str]]:
        return {entity: [a.value for a in Action] for entity in MODULES}


class User(AbstractUser):
    """A person who logs in. Belongs to one branch, at most one team, and has one role."""

    class Language(models.TextChoices):
        VI = "vi", "Tiếng Việt"
        EN = "en", "English"

    branch = models.ForeignKey(
        Branch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("branch"),
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members", verbose_name=_("team")
    )
    role = models.ForeignKey(
        Role, on_delete=models.PROTECT, null=True, blank=True, related_name="users", verbose_name=_("role")
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=5, choices=Language.choices, default=Language.VI)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Ho_Chi_Minh")
    preferences = models.JSONField(default=dict, blank=True, editable=False)  # list columns, saved UI choices

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["first_name", "last_name"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_full_name(self) -> str:
        # Vietnamese order: họ (last_name) then tên (first_name), in both UI languages.
        return " ".join(p for p in (self.last_name, self.first_name) if p).strip()

    @property
    def sort_name(self) -> str:
        return sort_key(self.first_name, self.last_name)

    # --- rights and scope, read by VisibleQuerySet.visible_to ---------------------------------------
    @property
    def is_admin(self) -> bool:
        return self.is_superuser or bool(self.role and self.role.is_admin)

    @property
    def data_scope(self) -> str:
        if self.is_superuser:
            return DataScope.ALL
        return self.role.scope if self.role else DataScope.OWN

    def has_right(self, model_or_entity, action: str) -> bool:
        if self.is_superuser:
            return True
        if self.role is None:
            return False
        entity = model_or_entity if isinstance(model_or_entity, str) else model_or_entity._meta.label_lower
        return self.role.grants(entity, action)

    @cached_property
    def _branch_ids_below(self) -> list[int]:
        return self.branch.descendant_ids() if self.branch_id else []

    def branch_ids_below(self) -> list[int]:
        """Ids of the user's branch and all branches below it (cached per request)."""
        return self._branch_ids_below


# ---------------------------------------------------------------------------------------------------
# Audit trail
# ---------------------------------------------------------------------------------------------------


class AuditEntry(models.Model):
    """One change to one record: who, when, what, and each field's value before and after.

    ``changes`` maps a field name to ``[old, new]`` as displayed strings (JSON-safe).
    """

    class Kind(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Moved to trash")
        RESTORE = "restore", _("Restored")
        CONVERT = "convert", _("Converted")

    entity = models.CharField(max_length=50)
    object_id = models.BigIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    changes = models.JSONField(default=dict, blank=True)
    message = models.CharField(max_length=255, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        # The record's history, newest first (detail pages and the timeline).
        indexes = [models.Index(fields=["entity", "object_id", "-at"], name="audit_record_idx")]

    def __str__(self) -> str:
        return f"{self.entity}#{self.object_id} {self.kind}"


# ---------------------------------------------------------------------------------------------------
# Custom fields and tags
# ---------------------------------------------------------------------------------------------------


class CustomField(BaseModel):
    """An extra field an administrator adds to a record kind (C7). Values live in ``record.custom``."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        MONEY = "money", _("Money (VND)")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")
        MULTI = "multi", _("Multiple choice")
        BOOL = "bool", _("Yes/no")
        USER = "user", _("User")

    entity = models.CharField(_("record kind"), max_length=50, choices=list(MODULES.items()))
    key = models.SlugField(
        _("key"), max_length=50, help_text=_("Used in the API and in imports; letters, digits and _.")
    )
    label = models.CharField(_("label"), max_length=100)
    type = models.CharField(_("type"), max_length=10, choices=Type.choices, default=Type.TEXT)
    choices = models.JSONField(
        _("choices"), default=list, blank=True, help_text=_("For choice fields: the allowed values.")
    )
    required = models.BooleanField(_("required"), default=False)
    show_in_list = models.BooleanField(_("show in lists"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["entity", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["entity", "key"], name="customfield_entity_key_uniq")]

    def __str__(self) -> str:
        return self.label


class Tag(BaseModel):
    """A free label on records (C7: favourite scent, occasion buyer, high value…)."""

    name = models.CharField(_("name"), max_length=60)
    slug = models.CharField(max_length=60, unique=True, editable=False)
    color = models.CharField(_("colour"), max_length=20, default="blue")

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # Tags are matched regardless of case and diacritics: "Khách VIP" == "khach vip".
        self.slug = fold(self.name).strip()
        super().save(*args, **kwargs)


# ---------------------------------------------------------------------------------------------------
# Notifications, recently viewed, API tokens
# ---------------------------------------------------------------------------------------------------


class Notification(models.Model):
    """An in-app message to one user (L8): reminders, assignments, mentions."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(max_length=255)
    url = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The bell: a user's unread notifications, newest first.
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_user_idx")]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.text


class RecentView(models.Model):
    """The records a user opened lately (home page)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    entity = models.CharField(max_length=50)
    object_id = models.BigIntegerField()
    title = models.CharField(max_length=255)
    url = models.CharField(max_length=255)
    viewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "entity", "object_id"], name="recentview_uniq"),
        ]
        indexes = [models.Index(fields=["user", "-viewed_at"], name="recentview_user_idx")]

    def __str__(self) -> str:
        return self.title


class ApiToken(models.Model):
    """A bearer token for programs. Only its SHA-256 is stored; the key is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user, name: str) -> tuple["ApiToken", str]:
        """Create a token for ``user``; return it with the clear key (never stored)."""
        key = "sen_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=key[:10], key_hash=cls.hash(key))
        return token, key


# ---------------------------------------------------------------------------------------------------
# Administrative units (after the 2025 reorganisation; VIETNAM.md §1)
# ---------------------------------------------------------------------------------------------------


class Province(models.Model):
    """A province-level unit, keyed by its official NSO code (34 since 1/7/2025)."""

    code = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=50, blank=True)
    search_name = models.CharField(max_length=100, editable=False, default="")

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        ordering = ["search_name"]

    def __str__(self) -> str:
        return self.name


class Ward(models.Model):
    """A commune-level unit (xã / phường / đặc khu), directly below a province since 2025."""

    code = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=50, blank=True)
    province = models.ForeignKey(Province, on_delete=models.CASCADE, related_name="wards")
    search_name = models.CharField(max_length=100, editable=False, default="")

    class Meta:
        verbose_name = _("ward")
        verbose_name_plural = _("wards")
        ordering = ["search_name"]
        indexes = [models.Index(fields=["province", "search_name"], name="ward_province_idx")]

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------------------------------------------
# Background jobs (imports, exports, bulk actions)
# ---------------------------------------------------------------------------------------------------


class Job(models.Model):
    """A piece of background work a user started and follows: an import, an export, a bulk action.

    The task updates ``done``/``total`` as it goes (the progress bar reads them), ``counts`` when it
    ends (e.g. ``{"created": 10, "updated": 2, "errors": 1}``), and may leave files behind
    (``result_file``: the export or the error report).
    """

    class Kind(models.TextChoices):
        IMPORT = "import", _("Import")
        EXPORT = "export", _("Export")
        BULK = "bulk", _("Bulk action")
        UNDO = "undo", _("Undo of an import")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        UNDONE = "undone", _("Undone")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs")
    entity = models.CharField(_("record kind"), max_length=50)
    params = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    source_file = models.FileField(upload_to="jobs/%Y/%m/", blank=True)
    result_file = models.FileField(upload_to="jobs/%Y/%m/", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        # "My imports/exports", newest first.
        indexes = [models.Index(fields=["user", "kind", "-created_at"], name="job_user_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    #: What each key of ``counts`` means, for people.
    COUNT_LABELS = {
        "rows": _("Rows"),
        "created": _("Created"),
        "updated": _("Updated"),
        "skipped": _("Skipped"),
        "errors": _("Errors"),
        "warnings": _("Warnings"),
        "side_created": _("Linked records created"),
        "changed": _("Changed"),
        "unchanged": _("Already so"),
        "failed": _("Failed"),
        "restored": _("Restored"),
        "removed": _("Removed"),
    }

    def count_items(self) -> list[tuple[str, int]]:
        """``counts`` as (label, number) pairs in the user's language; lists (error details) left out."""
        return [
            (str(self.COUNT_LABELS.get(key, key)), value)
            for key, value in (self.counts or {}).items()
            if isinstance(value, int)
        ]

    @property
    def percent(self) -> int:
        return (
            100 if self.status == self.Status.DONE else (100 * self.done // self.total if self.total else 0)
        )


# ---------------------------------------------------------------------------------------------------
# Saved views and segments (issue 3)
# ---------------------------------------------------------------------------------------------------


def _valid_filter_tree(value) -> None:
    """A stored filter tree must parse (``common.filtering.FilterTree``); rules are checked on use."""
    from django.core.exceptions import ValidationError

    from sencrm.common.filtering import FilterError, parse_tree

    try:
        parse_tree(value)
    except FilterError as exc:
        raise ValidationError(exc.messages) from None


class SavedView(BaseModel):
    """A named way of looking at a list: its filters, search, columns and sort.

    ``filters`` is a filter tree (``common.filtering``); ``params`` the list's simple filters and
    search as ``{"owner": ["4"], "q": ["nguyen"]}``. Personal views are their owner's; shared
    ones everyone sees, and only the owner or an administrator changes them. A view never widens
    what a user sees: the list still goes through ``visible_to``.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_views",
        verbose_name=_("owner"),
    )
    entity = models.CharField(_("record kind"), max_length=50, choices=list(MODULES.items()))
    name = models.CharField(_("name"), max_length=100)
    filters = models.JSONField(_("filters"), default=dict, blank=True, validators=[_valid_filter_tree])
    params = models.JSONField(default=dict, blank=True)
    columns = models.JSONField(default=list, blank=True)
    sort = models.CharField(_("sort"), max_length=60, blank=True)
    shared = models.BooleanField(
        _("shared"), default=False, help_text=_("Everyone sees a shared view; only you can change it.")
    )

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "id"]
        # The "Views" menu of a list: the user's own and the shared views of that kind.
        indexes = [models.Index(fields=["entity", "owner"], name="savedview_entity_idx")]

    def __str__(self) -> str:
        return self.name


class Segment(BaseModel):
    """A named group of contacts, accounts or leads, e.g. for a marketing campaign.

    A *dynamic* segment is a saved filter tree: its members are whatever matches today. A *static*
    segment is a fixed list of records (``SegmentMember``). Either way a user only ever sees the
    members ``visible_to`` lets them see, so counts differ from user to user.
    """

    class Kind(models.TextChoices):
        DYNAMIC = "dynamic", _("Dynamic (a saved filter)")
        STATIC = "static", _("Static (a fixed list)")

    ENTITIES = ("crm.contact", "crm.account", "crm.lead")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="segments", verbose_name=_("owner")
    )
    entity = models.CharField(_("record kind"), max_length=50, choices=[(e, MODULES[e]) for e in ENTITIES])
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.DYNAMIC)
    filters = models.JSONField(_("filters"), default=dict, blank=True, validators=[_valid_filter_tree])
    shared = models.BooleanField(
        _("shared"), default=True, help_text=_("Everyone can see and use a shared segment.")
    )

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name", "id"]
        # The segment list, by record kind.
        indexes = [models.Index(fields=["entity", "name"], name="segment_entity_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("segment_detail", args=[self.pk])


class SegmentMember(models.Model):
    """One record in a static segment (the record lives in the segment's ``entity`` table)."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="members")
    object_id = models.BigIntegerField()
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("segment member")
        verbose_name_plural = _("segment members")
        constraints = [
            models.UniqueConstraint(fields=["segment", "object_id"], name="segmentmember_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.segment_id}:{self.object_id}"


# ---------------------------------------------------------------------------------------------------
# Imports
# ---------------------------------------------------------------------------------------------------


class ImportRow(models.Model):
    """One record an import created or changed, kept so the import can be undone.

    ``before`` holds the changed fields' values before an update (JSON-safe), so undo can put
    them back; a created record is simply removed.
    """

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="import_rows")
    row = models.PositiveIntegerField(_("row"))
    entity = models.CharField(max_length=50)
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=10, choices=Action.choices)
    before = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("imported row")
        verbose_name_plural = _("imported rows")
        # Undo walks one job's rows by kind.
        indexes = [models.Index(fields=["job", "entity", "action"], name="importrow_job_idx")]

    def __str__(self) -> str:
        return f"{self.entity}#{self.object_id} ({self.action})"
