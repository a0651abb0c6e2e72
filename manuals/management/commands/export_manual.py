"""`manage.py export_manual OUT [--section ID ...]`: sections as Markdown files."""

from django.core.management.base import BaseCommand, CommandError

from manuals.models import Section
from manuals.transfer.manual_export import ManualExportError, export_manual


class Command(BaseCommand):
    help = (
        "Write a subtree (internal text included: this is an administrator's tool) as "
        "a folder or .zip of Markdown files with front matter, which import_manual "
        "reads back. Without --section, every manual is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", help="A new or empty folder, or a .zip")
        parser.add_argument(
            "--section",
            type=int,
            action="append",
            default=[],
            help="Id of a section to write with its subtree (repeatable).",
        )

    def handle(self, *args, **options):
        ids = options["section"]
        if ids:
            found = {s.pk: s for s in Section.objects.filter(pk__in=ids)}
            missing = [i for i in ids if i not in found or found[i].in_trash]
            if missing:
                raise CommandError(
                    "No such section: " + ", ".join(str(i) for i in missing)
                )
            roots = [found[i] for i in ids]
        else:
            roots = list(Section.objects.get_root_nodes().filter(in_trash=False))

        def progress(done: int, total: int, title: str) -> None:
            if options["verbosity"] >= 1:
                self.stdout.write(f"[{done}/{total}] {title}")

        try:
            report = export_manual(options["out"], roots=roots, progress=progress)
        except (ManualExportError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Wrote {report.sections} sections to {options['out']}.")
        )
