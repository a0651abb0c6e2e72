"""FAQ answers embed blocks: when a block is published or deleted, re-index the
entries that embed it (sections are re-indexed by the manual itself)."""

from django.dispatch import receiver

from manuals.signals import blocks_published

from . import search
from .models import Entry


@receiver(blocks_published, dispatch_uid="faq_reindex_on_block_publish")
def reindex_entries(sender, *, affected, **kwargs):
    ids = affected.get(Entry)
    if ids:
        search.enqueue(sorted(ids))
