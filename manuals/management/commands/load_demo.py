"""`manage.py load_demo`: load the demo training manual (idempotent).

A node is matched to an existing section by its title under the same parent, so running
the command again adds only what is missing and never overwrites an editor's changes.
Then sixty days of demo use (manuals.demo.history) are added once, unless
--no-history; --remove-history deletes them again.
"""

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from manuals.blocks import services as blocks
from manuals.demo import history
from manuals.demo.blocks import DEMO_BLOCKS, EMBEDS
from manuals.demo.content import DEMO_MANUAL
from manuals.models import Block, Section
from manuals.sections import services


def _count(nodes) -> int:
    return sum(1 + _count(n.get("children", [])) for n in nodes)


class Command(BaseCommand):
    help = "Load the demo customer-service training manual (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--user",
            default="admin",
            help="Username recorded as the author (default: admin).",
        )
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="Do not add the demo's 60 days of use (views, searches, answers).",
        )
        parser.add_argument(
            "--remove-history",
            action="store_true",
            help="Delete the demo's use (everything the demo-* readers did) and stop.",
        )

    def handle(self, *args, **options):
        if options["remove_history"]:
            history.remove(write=self.stdout.write)
            return
        User = get_user_model()
        author = User.objects.filter(username=options["user"]).first()
        if author is None:
            author, _ = User.objects.get_or_create(
                username="demo-loader",
                defaults={"is_superuser": True, "is_active": True},
            )
        self.total = _count(DEMO_MANUAL)
        self.done = 0
        self.created = 0
        with transaction.atomic():
            self._blocks(author)
            self._load(None, DEMO_MANUAL, author)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo manual: {self.created} sections created, "
                f"{self.total - self.created} already there."
            )
        )
        if not options["no_history"]:
            started = time.monotonic()
            if history.load(write=self.stdout.write):
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Demo history: {history.DAYS} days of use added in "
                        f"{time.monotonic() - started:.1f} s (by the demo-* readers)."
                    )
                )

    def _blocks(self, author):
        """The demo's reusable blocks (created once, by key)."""
        for spec in DEMO_BLOCKS:
            if not Block.objects.filter(key=spec["key"]).exists():
                blocks.block_create(user=author, publish=True, **spec)
                self.stdout.write(f"block {spec['key']}")

    def _load(self, parent, nodes, author):
        for node in nodes:
            siblings = (
                Section.objects.get_children(parent)
                if parent is not None
                else Section.objects.get_root_nodes()
            )
            section = siblings.filter(title=node["title"]).first()
            if section is None:
                section = services.section_create(
                    parent=parent,
                    title=node["title"],
                    body=node.get("body", "")
                    + "".join(
                        f"\n\n{{{{block:{key}}}}}\n"
                        for key in EMBEDS.get(node.get("key"), [])
                    ),
                    kind=node["kind"],
                    visibility=node["visibility"],
                    user=author,
                    message="Demo content",
                    publish=True,
                )
                if node.get("tags"):
                    services.section_update_settings(
                        section=section,
                        user=author,
                        kind=section.kind,
                        visibility=section.visibility,
                        owner=author,
                        tags=node["tags"],
                    )
                self.created += 1
            self.done += 1
            self.stdout.write(f"[{self.done}/{self.total}] {node['title']}")
            self._load(section, node.get("children", []), author)
