"""`manage.py analytics_rollup`: roll raw page views and searches into daily tables."""

from django.core.management.base import BaseCommand

from feedback.services import analytics_rollup


class Command(BaseCommand):
    help = "Roll raw analytics events of finished days into the daily tables."

    def add_arguments(self, parser):
        parser.add_argument(
            "--full",
            action="store_true",
            help="Recompute every day that still has raw events.",
        )

    def handle(self, *args, full=False, verbosity=1, **options):
        done = analytics_rollup(full=full)
        if verbosity:
            for day, sections, queries in done:
                self.stdout.write(
                    f"{day}: {sections} section rows, {queries} query rows"
                )
            self.stdout.write(self.style.SUCCESS(f"Rolled up {len(done)} day(s)."))
