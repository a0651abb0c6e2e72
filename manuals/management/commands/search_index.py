"""`manage.py search_index --rebuild | --check [--fix] | --optimize`: rebuild, verify
or compact the index."""

import sys

from django.core.management.base import BaseCommand, CommandError

from manuals.search import get_search_backend, services
from manuals.search.backends.base import IndexBusy
from manuals.search.registry import get_builder


class Command(BaseCommand):
    help = (
        "Rebuild the search index from the database (--rebuild), or report documents "
        "whose indexed text differs from the database, documents that cannot be "
        "built and parked index updates (--check, exit code 1 when there are any; "
        "--fix repairs them and retries the parked ones), or merge its segments "
        "(--optimize, for backends that have segments)."
    )

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--rebuild", action="store_true")
        group.add_argument("--check", action="store_true")
        group.add_argument("--optimize", action="store_true")
        parser.add_argument(
            "--fix", action="store_true", help="With --check: repair what differs."
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        try:
            if options["rebuild"]:
                self.rebuild(progress=not options["no_progress"])
            elif options["optimize"]:
                self.optimize()
            else:
                self.check_index(fix=options["fix"])
        except IndexBusy as exc:
            raise CommandError(
                f"The search index is locked by another process: {exc}"
            ) from exc

    def rebuild(self, *, progress: bool):
        total = services.count_documents()
        width = 30
        show = progress and total > 0

        def report(done: int) -> None:
            if done % 50 and done != total:
                return
            filled = width * done // max(total, 1)
            self.stdout.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
                ending="",
            )
            self.stdout.flush()

        count = services.rebuild_index(progress=report if show else None)
        if show:
            self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Indexed {count} documents."))

    def optimize(self):
        optimize = getattr(get_search_backend(), "optimize", None)
        if optimize is None:
            self.stdout.write("This search backend has nothing to optimize.")
            return
        count = optimize()
        self.stdout.write(self.style.SUCCESS(f"Merged the index: {count} documents."))

    def check_index(self, *, fix: bool):
        failures: dict[str, str] = {}
        report = services.check_index(failures=failures)
        for label, keys in (
            ("stale", report.stale),
            ("missing", report.missing),
            ("orphaned", report.orphaned),
        ):
            for key in keys:
                self.stdout.write(f"{label}: {self._describe(key)}")
        for key, error in failures.items():
            self.stdout.write(f"cannot be built: {self._describe(key)}: {error}")
        parked = services.parked_tasks()
        for task in parked:
            key = f"{task.doc_type}:{task.object_id}"
            self.stdout.write(
                f"parked after {task.attempts} attempts: {self._describe(key)}: "
                f"{task.last_error}"
            )
        if report.ok and not failures and not parked:
            self.stdout.write(
                self.style.SUCCESS("The search index matches the database.")
            )
            return
        problems = len(report.stale) + len(report.missing) + len(report.orphaned)
        if fix:
            services.fix_index(report)
            failures = {}
            again = services.check_index(failures=failures)
            if again.ok and not failures and not services.parked_tasks():
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Fixed {problems} documents; the index now matches."
                    )
                )
                return
            self.stderr.write("Some documents still differ after --fix.")
            sys.exit(1)
        if problems:
            self.stderr.write(
                f"{problems} documents differ from the database; "
                "run with --fix to repair."
            )
        if failures or parked:
            self.stderr.write(
                f"{len(failures)} documents cannot be built and {len(parked)} index "
                "updates are parked; fix their text, then run with --fix to retry."
            )
        sys.exit(1)

    def _describe(self, key: str) -> str:
        doc_type, _sep, object_id = key.partition(":")
        builder = get_builder(doc_type)
        return builder.describe(object_id) if builder else key
