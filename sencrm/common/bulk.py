"""Bulk actions on a list's selection or on everything its filters match.

A bulk action is applied record by record through ``record_update``/``record_delete`` so every
change is validated, versioned and audited exactly as an edit on the record's page would be. The
selection is either explicit ids (the checked rows) or the list's query string ("select all
12.345 matching", read by the list's own machinery, ``exports.list_queryset``). Which records are
touched is decided by ``visible_to(user, "change")`` (``"delete"`` for the Trash): rows the user
may not change are never loaded for writing; they are counted as *skipped*. A record whose change
fails validation is counted as *failed*, with its message.

Small selections run inline; larger ones (``SENCRM_BULK_INLINE_ROWS``) run as a ``core.Job``
(``sencrm.core.tasks_jobs.bulk_run``) with progress.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sencrm.common import display
from sencrm.common.access import require_right
from sencrm.common.models import Action

CHUNK = 500
MAX_ERRORS = 100

ACTIONS = {
    "assign_owner": gettext_lazy("Assign owner"),
    "move_branch": gettext_lazy("Move to branch"),
    "add_tags": gettext_lazy("Add tags"),
    "remove_tags": gettext_lazy("Remove tags"),
    "set_field": gettext_lazy("Set a field"),
    "delete": gettext_lazy("Move to Trash"),
}

# Fields a bulk "set a field" may change, per record kind: plain choices, flags and dates whose
# change needs no other service (an opportunity's stage goes through ``opportunity_move``, see
# ``SERVICE_FIELDS``; a lead's conversion through ``lead_convert``, not in bulk). Custom fields
# (``cf_<key>``) are always settable, validated by ``core.services.custom_fields``. Modules add
# theirs with ``bulk_fields_register``.
_BULK_FIELDS: dict[str, list[str]] = {
    "crm.account": ["type"],
    "crm.contact": ["preferred_channel", "preferred_time", "do_not_contact"],
    "crm.lead": ["status", "source", "rating"],
    "crm.opportunity": ["expected_close"],
    "crm.activity": ["priority"],
}


def bulk_fields_register(entity: str, fields: Iterable[str]) -> None:
    _BULK_FIELDS[entity] = list(fields)


def bulk_fields(model) -> list[str]:
    return list(_BULK_FIELDS.get(model._meta.label_lower, []))


# Fields a bulk "set a field" changes through their own service, per record kind: an opportunity's
# stage moves through ``opportunity_move`` (stage history, probability, won/lost rules).
SERVICE_FIELDS: dict[str, list[str]] = {"crm.opportunity": ["stage"]}
CUSTOM_PREFIX = "cf_"  # custom fields go by ``cf_<key>``, as in the list's filters and columns


def _custom_field(model, field_name: str):
    from sencrm.core.services.custom_fields import custom_fields_for

    if not field_name.startswith(CUSTOM_PREFIX):
        return None
    key = field_name[len(CUSTOM_PREFIX) :]
    return next((cf for cf in custom_fields_for(model.entity()) if cf.key == key), None)


def settable_fields(model) -> list[dict]:
    """Every field a bulk "set a field" may change: name, label, input kind and choices."""
    from sencrm.core.models import CustomField
    from sencrm.core.services.custom_fields import custom_fields_for

    fields = []
    for name in bulk_fields(model):
        model_field = model._meta.get_field(name)
        kind = display.field_kind(model, name)
        choices = [(str(v), str(label)) for v, label in model_field.choices] if model_field.choices else []
        if kind == "bool":
            choices = [("true", _("Yes")), ("false", _("No"))]
        fields.append(
            {"name": name, "label": display.field_label(model, name), "kind": kind, "choices": choices}
        )
    if "stage" in SERVICE_FIELDS.get(model._meta.label_lower, []):
        from sencrm.crm.models import Stage

        stages = Stage.objects.select_related("pipeline").order_by(
            "pipeline__position", "pipeline_id", "position"
        )
        fields.append(
            {
                "name": "stage",
                "label": display.field_label(model, "stage"),
                "kind": "stage",
                "choices": [(str(s.pk), f"{s.pipeline} › {s}") for s in stages],
                "lost_stages": [str(s.pk) for s in stages if s.kind == Stage.Kind.LOST],
            }
        )
    t = CustomField.Type
    for cf in custom_fields_for(model.entity()):
        choices: list = []
        if cf.type in (t.CHOICE, t.MULTI):
            choices = [(str(c), str(c)) for c in cf.choices]
        elif cf.type == t.BOOL:
            choices = [("true", _("Yes")), ("false", _("No"))]
        elif cf.type == t.USER:
            choices = [(str(u.pk), str(u)) for u in get_user_model().objects.filter(is_active=True)]
        fields.append(
            {
                "name": CUSTOM_PREFIX + cf.key,
                "label": cf.label,
                "kind": {t.DATE: "date", t.MULTI: "multi"}.get(cf.type, "text"),
                "choices": choices,
            }
        )
    return fields


def inline_limit() -> int:
    return int(getattr(settings, "SENCRM_BULK_INLINE_ROWS", 500))


@dataclass
class BulkResult:
    """What a bulk action did: records changed, unchanged (already so), skipped, failed."""

    changed: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[dict] = field(default_factory=list)  # {"id", "record", "message"}, first 100

    def as_counts(self) -> dict:
        return {
            "changed": self.changed,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "failed": self.failed,
            "errors": self.errors,
        }


@dataclass
class BulkRequest:
    """A validated bulk action: what to do (``action``, ``value``) and to which records."""

    action: str
    value: object = None
    field_name: str = ""
    ids: list[int] | None = None  # None: every record the query string matches
    query: str = ""
    lost_reason: str = ""  # moving deals to a lost stage

    def as_params(self, view_class) -> dict:
        from sencrm.common.exports import view_path

        value = self.value
        if hasattr(value, "pk"):
            value = value.pk
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        return {
            "view": view_path(view_class),
            "action": self.action,
            "value": value,
            "field": self.field_name,
            "ids": self.ids,
            "query": self.query,
            "lost_reason": self.lost_reason,
        }


def _message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(
            f"{k}: {' '.join(v)}" if k != "__all__" else " ".join(v) for k, v in exc.message_dict.items()
        )
    return " ".join(exc.messages)


def bulk_prepare(
    model, *, action: str, value=None, field_name: str = "", ids=None, query: str = "", lost_reason: str = ""
) -> BulkRequest:
    """Check the action and turn its raw value (form or JSON) into what the services take.

    Raises ValidationError (``{"value": [...]}``, the message naming the field) when the action
    cannot run at all: an unknown user or branch, no tag names, a field outside the allow-list, a
    value of the wrong type (custom fields: as ``clean_custom`` says), a stage that does not exist
    or a lost stage without ``lost_reason``.
    Errors that depend on the record (a choice a record's rules reject) are reported per record.
    """
    from sencrm.core.models import Branch

    if action not in ACTIONS:
        raise ValidationError({"action": [_("Choose an action.")]})
    if ids is not None:
        ids = sorted({int(i) for i in ids if str(i).isdigit()})
        if not ids:
            raise ValidationError({"ids": [_("Select at least one record.")]})
    req = BulkRequest(action=action, ids=ids, query=query or "")
    raw = "" if value is None else value
    if action == "assign_owner":
        user = (
            get_user_model().objects.filter(pk=int(raw) if str(raw).isdigit() else 0, is_active=True).first()
        )
        if user is None:
            raise ValidationError({"value": [_("Choose an active user.")]})
        req.value = user
    elif action == "move_branch":
        branch = Branch.objects.filter(pk=int(raw) if str(raw).isdigit() else 0).first()
        if branch is None:
            raise ValidationError({"value": [_("Choose a branch.")]})
        req.value = branch
    elif action in ("add_tags", "remove_tags"):
        names = raw if isinstance(raw, list) else str(raw).split(",")
        names = [str(n).strip() for n in names if str(n).strip()]
        if not names:
            raise ValidationError({"value": [_("Give at least one tag.")]})
        req.value = names
    elif action == "set_field":
        req.field_name = field_name
        if field_name in SERVICE_FIELDS.get(model._meta.label_lower, []):
            req.value, req.lost_reason = _prepare_stage(model, raw, lost_reason)
            return req
        cf = _custom_field(model, field_name)
        if cf is not None:
            req.value = _prepare_custom(model, cf, raw)
            return req
        if field_name not in bulk_fields(model):
            raise ValidationError({"field": [_("This field cannot be changed in bulk.")]})
        model_field = model._meta.get_field(field_name)
        if display.field_kind(model, field_name) == "bool" and str(raw).lower() in _TRUE | _FALSE:
            raw = str(raw).lower() in _TRUE  # the value input offers "true"/"false"
        try:
            req.value = model_field.to_python(raw if raw != "" else None)
        except ValidationError as exc:
            label = display.field_label(model, field_name)
            raise ValidationError({"value": [f"{label}: {m}" for m in exc.messages]}) from None
        if req.value is None and not model_field.null:
            req.value = False if display.field_kind(model, field_name) == "bool" else ""
    return req


def _prepare_stage(model, raw, lost_reason: str):
    """The stage to move deals to, and the reason a lost stage needs (checked before any move)."""
    from sencrm.common.text import nfc
    from sencrm.crm.models import Stage

    label = display.field_label(model, "stage")
    stage = Stage.objects.filter(pk=int(raw) if str(raw).isdigit() else 0).first()
    if stage is None:
        raise ValidationError({"value": [_("%(field)s: choose a stage.") % {"field": label}]})
    reason = nfc(str(lost_reason or "")).strip()
    if stage.kind == Stage.Kind.LOST and not reason:
        raise ValidationError(
            {"lost_reason": [_("%(field)s: say why the deals were lost.") % {"field": label}]}
        )
    if len(reason) > 255:
        raise ValidationError({"lost_reason": [_("The lost reason is at most 255 characters.")]})
    return stage, reason


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _prepare_custom(model, cf, raw):
    """A custom field's value as the record services store it (blank clears), checked once for all."""
    from sencrm.core.models import CustomField
    from sencrm.core.services.custom_fields import clean_custom, custom_fields_for

    if cf.type == CustomField.Type.BOOL and isinstance(raw, str) and raw != "":
        raw = True if raw.strip().lower() in _TRUE else False if raw.strip().lower() in _FALSE else raw
    elif cf.type == CustomField.Type.MULTI and isinstance(raw, str):
        raw = [v.strip() for v in raw.split(",") if v.strip()]
    # Other required fields count as filled here: whether a record has them is its own business
    # (reported per record); ``current`` values are not validated again, only the required check.
    others = {f.key: "-" for f in custom_fields_for(model.entity()) if f.required and f.key != cf.key}
    try:
        cleaned = clean_custom(model.entity(), {cf.key: raw}, current=others)
    except ValidationError as exc:
        messages = exc.message_dict.get(f"custom.{cf.key}") or exc.messages
        raise ValidationError({"value": [f"{cf.label}: {m}" for m in messages]}) from None
    return cleaned.get(cf.key, "")


def _tag_names_after(obj, req: BulkRequest) -> list[str] | None:
    """The record's tag names after adding or removing; None when nothing would change."""
    from sencrm.common.text import fold

    current = [t.name for t in obj.tags.all()]
    folded = {fold(n).strip() for n in current}
    if req.action == "add_tags":
        new = [n for n in req.value if fold(n).strip() not in folded]
        return current + new if new else None
    remove = {fold(n).strip() for n in req.value}
    kept = [n for n in current if fold(n).strip() not in remove]
    return kept if len(kept) != len(current) else None


def _apply_one(obj, req: BulkRequest, by) -> bool:
    """Apply the action to one record through the record services; True when it changed."""
    from sencrm.core.services.records import record_delete, record_update

    if req.action == "delete":
        record_delete(obj, by=by)
        return True
    if req.action in ("add_tags", "remove_tags"):
        names = _tag_names_after(obj, req)
        if names is None:
            return False
        updated = record_update(obj, by=by, data={}, tags=names)
    elif req.action == "assign_owner":
        updated = record_update(obj, by=by, data={"owner": req.value})
    elif req.action == "move_branch":
        updated = record_update(obj, by=by, data={"branch": req.value})
    elif req.field_name == "stage" and "stage" in SERVICE_FIELDS.get(obj._meta.label_lower, []):
        from sencrm.crm.services.opportunities import opportunity_move

        updated = opportunity_move(opportunity=obj, stage=req.value, by=by, lost_reason=req.lost_reason)
    elif req.field_name.startswith(CUSTOM_PREFIX):
        updated = record_update(obj, by=by, data={}, custom={req.field_name[len(CUSTOM_PREFIX) :]: req.value})
    else:
        updated = record_update(obj, by=by, data={req.field_name: req.value})
    return updated.version != obj.version


def bulk_targets(view_class, user, req: BulkRequest):
    """``(selected, permitted)`` querysets: what the user chose (as far as they can see it) and
    the part of it they may change (or delete)."""
    from sencrm.common.exports import list_queryset

    action = Action.DELETE if req.action == "delete" else Action.CHANGE
    if req.ids is not None:
        model = view_class.model
        selected = model.objects.filter(pk__in=req.ids)
        permitted = model.objects.visible_to(user, action).filter(pk__in=req.ids).order_by("pk")
        return selected, permitted
    selected, _state = list_queryset(view_class, user, req.query, Action.VIEW)
    permitted, _state = list_queryset(view_class, user, req.query, action)
    return selected, permitted


def bulk_count(view_class, user, req: BulkRequest) -> int:
    """How many records the selection names (the size that decides inline or background)."""
    if req.ids is not None:
        return len(req.ids)
    selected, _permitted = bulk_targets(view_class, user, req)
    return selected.count()


def bulk_apply(
    view_class, *, user, req: BulkRequest, progress: Callable[[int], None] | None = None
) -> BulkResult:
    """Apply ``req`` to the permitted records of the selection, one record at a time.

    Raises ``RightDenied`` when the role lacks the change (or delete) right altogether. Records
    outside the user's scope are skipped and counted; each record is written in its own
    transaction, so a failing record leaves the others changed.
    """
    model = view_class.model
    action = Action.DELETE if req.action == "delete" else Action.CHANGE
    require_right(user, model, action)
    selected, permitted = bulk_targets(view_class, user, req)
    # Ids first: the changes may move rows out of the filter (a new owner) while we work.
    ids = list(permitted.values_list("pk", flat=True))
    total = len(req.ids) if req.ids is not None else selected.count()
    result = BulkResult(skipped=max(total - len(ids), 0))
    done = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        objects = model.objects.visible_to(user, action).filter(pk__in=chunk).prefetch_related("tags")
        found = {obj.pk: obj for obj in objects}
        result.skipped += len(chunk) - len(found)  # changed hands meanwhile
        for pk in chunk:
            obj = found.get(pk)
            if obj is None:
                continue
            try:
                if _apply_one(obj, req, user):
                    result.changed += 1
                else:
                    result.unchanged += 1
            except ValidationError as exc:
                result.failed += 1
                if len(result.errors) < MAX_ERRORS:
                    result.errors.append({"id": obj.pk, "record": str(obj), "message": _message(exc)})
            done += 1
        if progress:
            progress(done)
    return result


def bulk_job_run(job_id: int) -> None:
    """Run a queued bulk action as its user and store the counts on the job."""
    from django.utils import translation
    from django.utils.module_loading import import_string

    from sencrm.common.access import RightDenied
    from sencrm.core.services.jobs import job_fail, job_finish, job_progress, job_start

    job = job_start(job_id)
    if job is None:
        return
    user = get_user_model().objects.get(pk=job.user_id)
    params = job.params
    view_class = import_string(params["view"])
    with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
        try:
            req = bulk_prepare(
                view_class.model,
                action=params["action"],
                value=params.get("value"),
                field_name=params.get("field", ""),
                ids=params.get("ids"),
                query=params.get("query", ""),
                lost_reason=params.get("lost_reason", ""),
            )
            result = bulk_apply(
                view_class, user=user, req=req, progress=lambda n: job_progress(job_id, done=n)
            )
        except RightDenied:
            job_fail(job_id, _("Your role no longer has the right to change these records."))
            return
        except ValidationError as exc:
            job_fail(job_id, _message(exc))
            return
        except Exception as exc:  # the job must end, and say why
            job_fail(job_id, str(exc)[:500])
            raise
        job_finish(job_id, counts=result.as_counts())
