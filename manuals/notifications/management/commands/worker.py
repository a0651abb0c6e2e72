"""`manage.py worker [--every SECONDS]`: the site's background work.

Each round publishes scheduled revisions whose time has come, sends queued e-mails
and chat posts (retrying failures with backoff), and once a day (after
KB_DIGEST_HOUR) sends the daily digests and tells owners about sections due for
review. Once (cron, every minute), or as a worker every SECONDS until stopped:
`make run` starts one beside the development server; a deployment runs one worker
or the cron line, and several workers are safe (rows are locked, daily jobs run once).
"""

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from ...services import worker_round


class Command(BaseCommand):
    help = (
        "Publish what is due, send notifications, run daily jobs (once or --every N)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            help="Keep running and do a round every this many seconds.",
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
                close_old_connections()
            counts = worker_round()
            busy = {name: n for name, n in counts.items() if n}
            if busy or not every:
                self.stdout.write(
                    ", ".join(f"{name}: {n}" for name, n in counts.items())
                )
                self.stdout.flush()
            done += 1
            if not every or (runs and done >= runs):
                return
            try:
                time.sleep(every)
            except KeyboardInterrupt:
                return
