"""`manage.py search_worker`: apply the search outbox in its own process.

For deployments with several web processes (set KB_SEARCH_INLINE=0 there): one worker
is the index's only writer, so web requests never wait for the index lock. Works with
either backend: the outbox and `backend.batch()` hide whether the index is a whoosh
folder or PostgreSQL tables. Rows whose document failed to build wait for their retry
(or stay parked) and are skipped meanwhile, so they never hold up the rows behind them.
"""

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from manuals.search.backends.base import IndexBusy
from manuals.search.outbox import apply_pending

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Apply pending search index updates from the outbox, continuously."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=0.5, help="Seconds between polls."
        )
        parser.add_argument(
            "--once", action="store_true", help="Drain the outbox, then exit."
        )

    def handle(self, *args, **options):
        self.running = True
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        failures = 0
        while self.running:
            if not connection.in_atomic_block:
                # Between polls as between requests: drop a broken or expired
                # connection. Not inside a transaction (call_command in a test),
                # where closing would lose the caller's work.
                close_old_connections()
            try:
                done = apply_pending()
                failures = 0
            except IndexBusy:
                done = 0
            except Exception:
                # Keep serving: the rows stay and count their attempts.
                logger.exception("search_worker: applying the outbox failed")
                failures += 1
                done = 0
            if done:
                self.stdout.write(f"Applied {done} index updates.")
                continue
            if options["once"]:
                break
            time.sleep(min(30.0, options["interval"] * (2**failures)))

    def _stop(self, *args):
        self.running = False
