"""`manage.py analytics_prune --days N`: delete raw events past retention."""

from django.conf import settings
from django.core.management.base import BaseCommand

from feedback.services import analytics_prune


class Command(BaseCommand):
    help = (
        "Delete raw page views and searches older than N days. Only days already in "
        "the daily tables are deleted; run analytics_rollup first."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=settings.KB_ANALYTICS_RETENTION_DAYS,
            help="Keep this many days of raw events (default: %(default)s).",
        )

    def handle(self, *args, days, verbosity=1, **options):
        deleted = analytics_prune(days=days)
        if verbosity:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Deleted {deleted['page_views']} page views and "
                    f"{deleted['searches']} searches older than {days} days."
                )
            )
