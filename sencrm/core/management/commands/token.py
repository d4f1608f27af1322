"""``sencrm token create <username> [--name NAME]``: issue an API token and print its key once.

Also ``sencrm token list <username>`` and ``sencrm token revoke <username> <prefix>``. The key is
stored only as a hash, so it cannot be shown again: a lost key is revoked and replaced.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sencrm.core.models import ApiToken
from sencrm.core.services.users import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "Create, list or revoke API tokens (Authorization: Bearer <key>)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Issue a token and print its key (shown only once).")
        create.add_argument("username")
        create.add_argument("--name", default="", help="What the token is for, e.g. the program using it.")
        listing = actions.add_parser("list", help="List a user's tokens (prefix, name, last use).")
        listing.add_argument("username")
        revoke = actions.add_parser("revoke", help="Delete a user's token, named by its prefix.")
        revoke.add_argument("username")
        revoke.add_argument("prefix")

    def handle(self, *args, action: str, username: str, **options):
        user = self._user(username)
        if action == "create":
            self._create(user, options["name"] or _("Command line"))
        elif action == "list":
            for token in ApiToken.objects.filter(user=user).order_by("created_at"):
                last = token.last_used_at.isoformat() if token.last_used_at else "-"
                self.stdout.write(f"{token.prefix}\t{token.name}\t{token.created_at.isoformat()}\t{last}")
        else:
            token = ApiToken.objects.filter(user=user, prefix=options["prefix"]).first()
            if token is None or not api_token_revoke(user=user, token_id=token.pk):
                raise CommandError(_("%(user)s has no token %(prefix)s.") % {"user": username, **options})
            self.stdout.write(_("Token revoked."))

    def _user(self, username: str):
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(_("Unknown user: %(username)s") % {"username": username}) from None

    def _create(self, user, name: str) -> None:
        if not user.is_active:
            raise CommandError(_("%(username)s is deactivated.") % {"username": user.username})
        try:
            _token, key = api_token_create(user=user, name=name)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        # Only the key on stdout, so scripts can capture it: KEY=$(sencrm token create bob).
        self.stdout.write(key)
        self.stderr.write(_("Store this key now: it cannot be shown again."))
