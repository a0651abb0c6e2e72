"""The confirmation bar on a section page, for those who owe it.

The section page is hot: what the reader owes is kept in their session under the
change stamp the page has read anyway. A request, a material change or a team
change writes an audit entry, so the stamp moves and the next page asks again (one
query); confirming updates the session directly. Owing nothing costs no query.
"""

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from . import selectors, services

SESSION_KEY = "kb_training_owed"


def owed_from_session(request, stamp) -> dict:
    user = request.user
    if not user.is_authenticated or not hasattr(request, "session"):
        return {}
    kept = request.session.get(SESSION_KEY)
    if stamp is None or not kept or kept.get("stamp") != stamp:
        owed = selectors.owed(user)
        kept = {
            "stamp": stamp,
            "owed": {
                str(pk): [row["since"], row["due"].isoformat() if row["due"] else None]
                for pk, row in owed.items()
            },
        }
        request.session[SESSION_KEY] = kept
    return kept["owed"]


def owed_count(request) -> int | None:
    """How many sections the reader owes, as their session last knew (no query;
    None when it does not know yet): for the home page's link."""
    kept = getattr(request, "session", {}).get(SESSION_KEY)
    return len(kept["owed"]) if kept else None


def forget_owed(request, section_id: int) -> None:
    """The reader just confirmed `section_id`: the bar goes, no query needed."""
    kept = request.session.get(SESSION_KEY)
    if kept and str(section_id) in kept["owed"]:
        del kept["owed"][str(section_id)]
        request.session.modified = True


def confirmation_bar(request, section, stamp=None) -> str:
    user = request.user
    manage = SafeString("")
    if user.is_authenticated and (
        section.owner_id == user.pk or services.can_manage_training(user)
    ):
        manage = render_to_string(
            "training/_manage_links.html", {"section": section}, request=request
        )
    owed = owed_from_session(request, stamp).get(str(section.pk))
    if owed is None:
        return manage
    since, due = owed
    published = section.published_revision
    current = published.number if published is not None else None
    return (
        render_to_string(
            "training/_confirm_bar.html",
            {
                "section": section,
                "since": since if since and current and since < current else None,
                "outdated": since is not None,
                "due": due,
            },
            request=request,
        )
        + manage
    )
