"""`manage.py import_manual PATH [--parent ID]`: Markdown or Word into the tree."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from manuals.models import Section
from manuals.transfer.importer import apply, read_source
from manuals.transfer.problems import ImportFailed


class Command(BaseCommand):
    help = (
        "Import PATH (a .md file, a folder or .zip of Markdown files with front "
        "matter, a .docx or a folder of .docx files) under the section --parent (new "
        "manuals without it). All or nothing: any problem imports nothing and lists "
        "every problem with its file and line; --partial imports what it can."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--parent", type=int, help="Id of the parent section")
        parser.add_argument(
            "--split-level",
            type=int,
            default=2,
            choices=range(1, 7),
            help="Word files: headings of this level and above start a new section "
            "(default 2: Heading 1 and Heading 2).",
        )
        parser.add_argument(
            "--partial",
            action="store_true",
            help="Best effort: skip files with problems, import the rest.",
        )
        parser.add_argument(
            "--user",
            help="Username the sections are created as (default: the first superuser).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and show the tree only."
        )

    def handle(self, *args, **options):
        user = self._user(options["user"])
        parent = None
        if options["parent"] is not None:
            parent = Section.objects.filter(pk=options["parent"]).first()
            if parent is None or parent.in_trash:
                raise CommandError(
                    f"There is no section {options['parent']} to import under "
                    "(missing parent); nothing was imported."
                )
        plan = read_source(options["path"], split_level=options["split_level"])
        if options["dry_run"]:
            from manuals.transfer.importer import check

            check(plan, parent=parent)
            for root in plan.roots:
                self._show(root, 0)
            self._problems(plan.problems)
            return

        def progress(done: int, total: int, title: str) -> None:
            if options["verbosity"] >= 1:
                self.stdout.write(f"[{done}/{total}] {title}")

        try:
            result = apply(
                plan,
                parent=parent,
                user=user,
                partial=options["partial"],
                progress=progress,
            )
        except ImportFailed as exc:
            self._problems(exc.problems)
            raise CommandError(
                "Nothing was imported: fix the problems above, or use --partial."
            ) from exc
        self._problems(result.problems)
        summary = f"Imported {len(result.created)} sections"
        if result.skipped:
            summary += f", skipped {result.skipped}"
        self.stdout.write(self.style.SUCCESS(summary + "."))

    def _user(self, username):
        users = get_user_model().objects.filter(is_active=True)
        if username:
            user = users.filter(username=username).first()
            if user is None:
                raise CommandError(f"There is no active user {username}.")
            return user
        user = users.filter(is_superuser=True).order_by("pk").first()
        if user is None:
            raise CommandError("There is no superuser; pass --user.")
        return user

    def _show(self, node, depth):
        mark = " !" if node.errors else ""
        self.stdout.write(f"{'  ' * depth}- {node.title} [{node.kind}]{mark}")
        for child in node.children:
            self._show(child, depth + 1)

    def _problems(self, problems):
        for problem in problems:
            label = "warning" if not problem.is_error else "error"
            self.stderr.write(f"{label}: {problem}")
