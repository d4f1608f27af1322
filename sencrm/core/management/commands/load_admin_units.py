"""``sencrm load_admin_units [--file PATH]``: refresh provinces and wards from a data file."""

from django.core.management.base import BaseCommand
from django.db import transaction

from sencrm.core.data.admin_units import ADMIN_UNITS_FILE, load_admin_units, read_admin_units
from sencrm.core.models import Province, Ward


class Command(BaseCommand):
    help = (
        "Create or update Vietnam's provinces and wards by their official codes. Without --file, "
        "loads the file shipped with Sen CRM. Units no longer in the file are kept and listed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--file",
            default=str(ADMIN_UNITS_FILE),
            help="Our admin_units.json format, or the nested-divisions.json of vietnam-provinces.",
        )

    def handle(self, *args, file: str, verbosity: int = 1, **options):
        units = read_admin_units(file)
        with transaction.atomic():
            result = load_admin_units(Province, Ward, file)
        if verbosity:
            self.stdout.write(
                f"{units.version}: provinces {result.provinces_created} added, "
                f"{result.provinces_updated} changed; wards {result.wards_created} added, "
                f"{result.wards_updated} changed."
            )
        for kind, codes in (("provinces", result.stale_provinces), ("wards", result.stale_wards)):
            if codes:
                shown = ", ".join(map(str, codes[:20])) + (" …" if len(codes) > 20 else "")
                self.stdout.write(
                    self.style.WARNING(f"{len(codes)} {kind} kept but no longer in the file: {shown}")
                )
