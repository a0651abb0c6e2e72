"""`manage.py export_portal OUT [--live-url URL]`: the portal as a static site."""

from django.core.management.base import BaseCommand, CommandError

from manuals.transfer.export_static import ExportError, export_portal


class Command(BaseCommand):
    help = (
        "Write the public help portal as a static site to OUT (a folder, or a file "
        "ending in .zip): one page per public section and FAQ category, assets and "
        "a client-side search. Only public, published text is written."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "out", help="A folder (new, empty or an earlier export) or a .zip"
        )
        parser.add_argument(
            "--live-url",
            default=None,
            help="The live site (https://kb.example.com); the exported survey posts "
            "there. Defaults to KB_PORTAL_LIVE_URL; without one there is no survey.",
        )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]

        def progress(done: int, total: int, title: str) -> None:
            # Every page at -v 2; otherwise about every 2% and the last one.
            step = max(1, total // 50)
            if verbosity >= 2 or (
                verbosity >= 1 and (done % step == 0 or done == total)
            ):
                self.stdout.write(f"[{done}/{total}] {title}")

        try:
            report = export_portal(
                options["out"], live_url=options["live_url"], progress=progress
            )
        except (ExportError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        for url in report.missing_media:
            self.stderr.write(f"missing file, link left out: {url}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported {report.sections} sections and {report.faq_pages} FAQ pages "
                f"({report.files} files) to {options['out']} in {report.seconds:.1f} s."
            )
        )
