"""`manage.py media_adopt`: give files under MEDIA_ROOT written before media had
owners (or restored from a backup) the section or block that points to them."""

from django.core.management.base import BaseCommand

from manuals.media import media_adopt


class Command(BaseCommand):
    help = (
        "Adopt files under MEDIA_ROOT that have no Media row: each gets the section "
        "(else the block) whose revisions pointed to it first. Files nothing points "
        "to are listed and stay unserved."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be adopted."
        )

    def handle(self, *args, dry_run=False, **options):
        report = media_adopt(dry_run=dry_run)
        for media in report.adopted:
            owner = (
                f"section {media.section_id}"
                if media.section_id
                else f"block {media.block_id}"
            )
            self.stdout.write(f"{media.file.name} -> {owner}")
        for name in report.unreferenced:
            self.stderr.write(f"not referenced by any revision, not served: {name}")
        for name in report.unknown_type:
            self.stderr.write(f"not an image we serve, not adopted: {name}")
        verb = "Would adopt" if dry_run else "Adopted"
        self.stdout.write(self.style.SUCCESS(f"{verb} {len(report.adopted)} files."))
