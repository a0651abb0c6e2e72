"""The edit page's flow, one for sections and blocks: offer back (or restore) text
the editor left behind, save with the three-way merge, and on a conflict put the
merged text with both sides back into the form, based on the head it met, so no
one's words are lost."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError

from ..diff import side_by_side
from .services import conflict_message


@dataclass
class EditPage:
    """What an edit page shows when it is not redirecting after a save."""

    form: object
    conflict: object = None  # the save result, with `rows`: both sides side by side
    draft: object = None  # kept text to offer back ("restore" / "discard")


def edit_with_merge(
    request,
    *,
    form: Callable,
    initial: dict,
    kept=None,
    restored: Callable | None = None,
    save: Callable,
    saved: Callable,
):
    """Run the flow; returns a response after a successful save, else an EditPage.

    `form(data=None, initial=...)` builds the page's form; `kept` is the text the
    editor left behind (or None) and `restored(kept)` the form's initial data when
    they ask for it back (?draft=restore); `save(cleaned_data)` saves through the
    service (raising ValidationError, or returning its result with `.ok`);
    `saved(result, cleaned_data)` answers a save that went through.
    """
    if kept is not None and restored and request.GET.get("draft") == "restore":
        # Based on the revision it was written from: saving it merges again.
        initial, kept = restored(kept), None
    page = EditPage(form=form(request.POST or None, initial=initial), draft=kept)
    if request.method != "POST" or not page.form.is_valid():
        return page
    data = page.form.cleaned_data
    try:
        result = save(data)
    except ValidationError as exc:
        page.form.add_error(None, exc)
        return page
    if result.ok:
        return saved(result, data)
    result.rows = side_by_side(result.head.body, data["body"])
    page.conflict, page.draft = result, None  # the page shows the conflict itself
    page.form = form(
        initial={
            "title": result.conflict_title or data["title"],
            "body": result.conflict_body,
            "base": result.head,
            "message": data["message"],
            "resolves": result.draft.pk,
        }
    )
    messages.error(request, conflict_message())
    return page
