#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kbsite.settings")
    # Commands run from a checkout default to development; the WSGI entry point
    # (gunicorn) defaults to production. Set DJANGO_DEBUG=0 to run commands as in
    # production.
    os.environ.setdefault("DJANGO_DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
