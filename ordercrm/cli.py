"""The ``ordercrm`` command: Django's ``manage.py`` with OrderCRM's settings.

Besides Django's own commands it offers ``serve``, ``worker``, ``demo`` and ``createuser``
(see ``ordercrm/console/management/commands``).
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordercrm.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv if argv is not None else sys.argv)


if __name__ == "__main__":
    main()
