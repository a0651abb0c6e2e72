"""Signal receivers: content changes write outbox rows in their own transaction."""

from django.dispatch import receiver

from ..models import Section
from ..signals import sections_changed
from .outbox import enqueue
from .sections import SectionDocumentBuilder


@receiver(sections_changed, sender=Section, dispatch_uid="kb_search_sections_changed")
def on_sections_changed(sender, *, section_ids, deleted=False, **kwargs):
    # `deleted` needs no special case: applying a row for a missing section deletes
    # it from the index.
    enqueue(doc_type=SectionDocumentBuilder.doc_type, object_ids=section_ids)
