"""``sencrm search_reindex [--entity crm.contact]``: rebuild the global search index from the records."""

import time

from django.core.management.base import BaseCommand, CommandError

from sencrm.core.search import kind_for_entity, search_kinds, search_reindex


class Command(BaseCommand):
    help = (
        "Rebuild the global search index (all record kinds, or one with --entity). Run it after "
        "writing records in bulk outside the services; the demo command runs it itself."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--entity",
            action="append",
            help="Record kind, e.g. crm.contact (repeatable). Default: every kind registered for search.",
        )

    def handle(self, *args, entity=None, verbosity: int = 1, **options):
        for name in entity or []:
            if kind_for_entity(name) is None:
                known = ", ".join(k.entity for k in search_kinds())
                raise CommandError(f"{name} is not registered for search (known: {known}).")
        started = time.monotonic()
        if not entity:  # every kind: one rebuild from an empty index, the fastest way
            count = search_reindex()
            if verbosity:
                self.stdout.write(f"{count:,} records indexed in {time.monotonic() - started:.1f} s")
            return
        for name in entity:
            started = time.monotonic()
            count = search_reindex(name)
            if verbosity:
                self.stdout.write(f"{name}: {count:,} records indexed in {time.monotonic() - started:.1f} s")
