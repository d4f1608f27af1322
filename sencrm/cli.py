"""The ``sencrm`` command: Django's management commands plus ours (up, demo, token…)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sencrm.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["sencrm", *sys.argv[1:]])


if __name__ == "__main__":
    main()
