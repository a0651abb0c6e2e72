"""`manage.py export_manual OUT [--section ID ...] [--visibility V] [--drafts]`:
sections as Markdown files that `import_manual` reads back."""

from django.core.management.base import BaseCommand, CommandError

from manuals.models import Section
from manuals.transfer.manual_export import (
    AUDIENCES,
    ManualExportError,
    export_manual,
)


class Command(BaseCommand):
    help = (
        "Write a subtree as a folder or .zip of Markdown files with front matter, "
        "which import_manual reads back. Without --section, every manual is written. "
        "By default public and internal sections, published text only: restricted "
        "sections need --visibility all, unpublished drafts need --drafts."
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
        parser.add_argument(
            "--visibility",
            choices=sorted(AUDIENCES),
            default="internal",
            help="public: public sections only; internal (default): public and "
            "internal; all: restricted sections too.",
        )
        parser.add_argument(
            "--all",
            action="store_true",
            help="The same as --visibility all.",
        )
        parser.add_argument(
            "--drafts",
            action="store_true",
            help="Write each section's latest revision, drafts included (marked "
            "'published: false'), and never-published sections.",
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
        visibility = "all" if options["all"] else options["visibility"]

        def progress(done: int, total: int, title: str) -> None:
            if options["verbosity"] >= 1:
                self.stdout.write(f"[{done}/{total}] {title}")

        try:
            report = export_manual(
                options["out"],
                roots=roots,
                visibility=visibility,
                drafts=options["drafts"],
                progress=progress,
            )
        except (ManualExportError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {report.sections} sections ({visibility}"
                f"{', drafts' if options['drafts'] else ', published text'}) "
                f"to {options['out']}."
            )
        )
