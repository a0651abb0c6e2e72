"""`manage.py publish_scheduled`: publish revisions whose scheduled time has come.

Run it from cron (every minute is fine); sections are also published lazily when
someone opens them after their time.
"""

from django.core.management.base import BaseCommand

from manuals.collaboration import publish_due


class Command(BaseCommand):
    help = "Publish every scheduled revision whose time has come."

    def handle(self, *args, **options):
        count = publish_due()
        self.stdout.write(f"Published {count} scheduled revision(s).")
