"""`manage.py publish_scheduled [--every SECONDS]`: publish revisions whose scheduled
time has come.

Once (from cron, every minute is fine), or as a small worker that does so every
SECONDS until stopped (`make run` starts one beside the development server; a
deployment runs cron or this worker, one of them).
"""

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from manuals.editing.services import publications_publish_due


class Command(BaseCommand):
    help = (
        "Publish every scheduled revision whose time has come (once, or --every N s)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            help="Keep running and look again every this many seconds.",
        )
        parser.add_argument(
            "--runs",
            type=int,
            default=0,
            help="With --every: stop after this many rounds (0: never).",
        )

    def handle(self, *args, **options):
        every, runs = options["every"], options["runs"]
        done = 0
        while True:
            if not connection.in_atomic_block:
                # A long-running worker: drop connections that died or outlived
                # CONN_MAX_AGE, as Django does between requests.
                close_old_connections()
            count = publications_publish_due()
            if count or not every:
                self.stdout.write(f"Published {count} scheduled revision(s).")
                self.stdout.flush()
            done += 1
            if not every or (runs and done >= runs):
                return
            try:
                time.sleep(every)
            except KeyboardInterrupt:
                return
