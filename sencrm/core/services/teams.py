"""Teams: who works together in a branch, and who leads them (U5)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sencrm.common.text import nfc
from sencrm.core.models import Branch, Team
from sencrm.core.services.uniqueness import name_taken


def _clean_team(team: Team) -> None:
    team.name = nfc(team.name).strip()
    errors: dict[str, list[str]] = {}
    if name_taken(Team.objects.exclude(pk=team.pk), team.name):
        errors["name"] = [_("A team with this name already exists.")]
    if team.leader_id and not team.leader.is_active:
        errors["leader"] = [_("The leader must be an active user.")]
    try:
        team.full_clean()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(m for m in messages if m not in errors.get(field, []))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def team_create(*, name: str, branch: Branch, leader=None) -> Team:
    """Add a team to a branch, optionally with its leader."""
    team = Team(name=name, branch=branch, leader=leader)
    _clean_team(team)
    team.save()
    return team


@transaction.atomic
def team_update(*, team: Team, name: str, branch: Branch, leader=None) -> Team:
    """Rename a team, move it to another branch or change its leader."""
    current = Team.objects.select_for_update().get(pk=team.pk)
    current.name, current.branch, current.leader = name, branch, leader
    _clean_team(current)
    current.save()
    return current
