"""What a reader keeps for themself: the sections they starred and the ones they
opened (when, and which published revision they saw). Services and selectors.

Every list here is a read: it shows only sections `Section.objects.visible_to(user)`
lets the reader see now, whatever they starred or opened before, and costs one
query. The section page is hot, so recording a visit writes at most one row per
view and none for a repeat view, and the star's state comes from the session.
"""

from django.core.cache import cache
from django.db.models import Exists, F, OuterRef
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ..cache import key
from ..models import Favourite, Revision, Section, SectionVisit
from ..permissions import can_read, require

# A repeat view of the same revision within this many seconds writes nothing: a
# marker in the cache answers it. With the per-process cache each process may
# write once per window; "recently viewed" is that coarse, by design.
VISIT_WINDOW = 600

# The ids of the sections a signed-in reader starred, kept in their session (filled
# on first use, changed by the star's view): the star on every page costs no query.
FAVOURITES_SESSION_KEY = "kb_favourites"
FAVOURITES_KEPT = 1000


def _visible(user):
    return Section.objects.visible_to(user).values("pk")


# --- favourites -------------------------------------------------------------------


def favourite_add(*, user, section: Section) -> Favourite:
    """Star `section` for `user` (once); only a section they may read."""
    require(user.is_authenticated and can_read(user, section))
    favourite, _created = Favourite.objects.get_or_create(
        user_id=user.pk, section=section
    )
    return favourite


def favourite_remove(*, user, section: Section) -> bool:
    """Unstar `section`; True when it was starred."""
    require(user.is_authenticated)
    deleted, _rows = Favourite.objects.filter(
        user_id=user.pk, section_id=section.pk
    ).delete()
    return bool(deleted)


def favourite_ids(request) -> frozenset[int]:
    """The ids of the sections the reader of `request` starred (from the session;
    one query the first time a session asks)."""
    user = request.user
    if not user.is_authenticated:
        return frozenset()
    if FAVOURITES_SESSION_KEY not in request.session:
        remember_favourites_at_login(None, request, user)
    return frozenset(request.session[FAVOURITES_SESSION_KEY])


def remember_favourites_at_login(sender, request, user, **kwargs):
    """user_logged_in receiver: the session starts with the reader's starred ids, so
    no page has to ask (a session from before this existed asks once)."""
    if request is not None and hasattr(request, "session"):
        request.session[FAVOURITES_SESSION_KEY] = list(
            Favourite.objects.filter(user_id=user.pk)
            .order_by("-created", "-pk")
            .values_list("section_id", flat=True)[:FAVOURITES_KEPT]
        )


def remember_favourite(request, section_id: int, starred: bool) -> None:
    """Keep the session's ids in step with a star or unstar just made."""
    known = [i for i in favourite_ids(request) if i != section_id]
    if starred:
        known.insert(0, section_id)
    request.session[FAVOURITES_SESSION_KEY] = known[:FAVOURITES_KEPT]


def favourites_for(*, user, limit: int | None = None) -> list[Favourite]:
    """The reader's favourites they may still read, newest first, in one query."""
    if not user.is_authenticated:
        return []
    rows = (
        Favourite.objects.filter(user_id=user.pk, section__in=_visible(user))
        .select_related("section")
        .order_by("-created", "-pk")
    )
    return list(rows[:limit] if limit else rows)


# --- visits -----------------------------------------------------------------------


def visit_record(*, user, section: Section, revision: Revision | None) -> bool:
    """Remember that `user` opened `section` and saw `revision`, its published
    revision (drafts an editor looks at are not what readers saw). True when a row
    was written: one statement (an upsert), and none when the same revision was
    recorded for them within VISIT_WINDOW. The caller has checked they may read it.
    """
    if not user.is_authenticated or revision is None:
        return False
    if revision.pk != section.published_revision_id:
        return False
    marker = key("visit", 1, user.pk, section.pk)
    if cache.get(marker) == revision.pk:
        return False
    SectionVisit.objects.bulk_create(
        [
            SectionVisit(
                user_id=user.pk,
                section_id=section.pk,
                revision_id=revision.pk,
                viewed=timezone.now(),
            )
        ],
        update_conflicts=True,
        unique_fields=["user", "section"],
        update_fields=["revision", "viewed"],
    )
    cache.set(marker, revision.pk, VISIT_WINDOW)
    return True


def recently_viewed(*, user, limit: int = 10) -> list[SectionVisit]:
    """The sections the reader opened lately and may still read, in one query."""
    if not user.is_authenticated:
        return []
    return list(
        SectionVisit.objects.filter(user_id=user.pk, section__in=_visible(user))
        .select_related("section")
        .order_by("-viewed", "-pk")[:limit]
    )


def changes_url(section_id: int, since: int, fallback: str) -> str:
    """The reader's "what changed since revision `since`" page of a section, or
    `fallback` (the section itself) where the site has no such page."""
    try:
        url = reverse("manuals:changes", kwargs={"pk": section_id})
    except NoReverseMatch:
        return fallback
    return f"{url}?since={since}"


def changed_since_visit(*, user, limit: int = 10) -> list[SectionVisit]:
    """Sections the reader may read whose published text changed since they last
    opened them: a newer published revision than the one they saw, and at least one
    of those not a minor edit. Most recently published first, in one query; each
    visit carries `changes_url`, the comparison of what they saw with what is now.
    """
    if not user.is_authenticated:
        return []
    newer = Revision.objects.filter(
        section_id=OuterRef("section_id"),
        number__gt=OuterRef("revision__number"),
        number__lte=OuterRef("section__published_revision__number"),
        first_published_at__isnull=False,
        minor=False,
    )
    visits = list(
        SectionVisit.objects.filter(
            user_id=user.pk,
            section__in=_visible(user),
            revision__isnull=False,
            section__published_revision__number__gt=F("revision__number"),
        )
        .filter(Exists(newer))
        .select_related("section", "section__published_revision", "revision")
        .order_by("-section__published_at", "-pk")[:limit]
    )
    for visit in visits:
        visit.changes_url = changes_url(
            visit.section_id,
            visit.revision.number,
            visit.section.get_absolute_url(),
        )
    return visits
