"""Views that belong to no app: the home page and uploaded media."""

from django.contrib.auth.decorators import login_not_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from manuals.media import (
    IMAGE_TYPES,
    PUBLIC,
    media_audience,
    media_by_path,
    sniff_image,
)
from manuals.permissions import can_create
from manuals.portal.models import PortalSettings
from manuals.sections import reading
from manuals.sections.navigation import page_navigation
from manuals.training import panels as training_panels

# Public files may sit in shared caches this long: a section made internal stops
# showing its images everywhere within it (the pages' caches expire as fast).
MEDIA_PUBLIC_MAX_AGE = 600


def home(request):
    user = request.user
    return render(
        request,
        "home.html",
        {
            **page_navigation(user),  # with the manuals and recent changes
            "can_create": can_create(user),
            # The reader's own lists: one query each, readable sections only.
            "changed_since_visit": reading.changed_since_visit(user=user, limit=10),
            "favourites": reading.favourites_for(user=user, limit=12),
            "recently_viewed": reading.recently_viewed(user=user, limit=10),
            # From the session: the link to "My training" costs no query. Named
            # here: the manual's templates do not know the training app.
            "my_training_url": reverse("training:mine"),
            "training_owed": training_panels.owed_count(request),
        },
    )


@login_not_required  # anonymous visitors get what the owner's read rule gives them
@require_safe
def media(request, path):
    """A file under MEDIA_ROOT that has a Media row, to whoever may read its owner
    (section or block); 404 for everything else, so nobody learns what exists.
    The portal's logo has no row: it is on every public page."""
    item = media_by_path(path)
    if item is not None:
        audience = media_audience(request.user, item)
        if audience is None:
            raise Http404
        name, content_type = item.file.name, item.content_type
        etag, modified = f'"{item.sha256}"', item.created.timestamp()
    else:
        logo = PortalSettings.load().logo
        if not logo or logo.name != path:
            raise Http404
        name, audience, etag, modified = logo.name, PUBLIC, None, None
        try:
            with default_storage.open(name, "rb") as stream:
                content_type = sniff_image(stream.read(32))
        except OSError:
            raise Http404 from None
        if content_type not in IMAGE_TYPES:
            raise Http404
    response = get_conditional_response(request, etag=etag, last_modified=modified)
    if response is None:
        try:
            stream = default_storage.open(name, "rb")
        except OSError:
            raise Http404 from None
        response = FileResponse(stream, content_type=content_type)
        if etag:
            response.headers["ETag"] = etag
        if modified:
            response.headers["Last-Modified"] = http_date(modified)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if audience == PUBLIC:
        response.headers["Cache-Control"] = f"public, max-age={MEDIA_PUBLIC_MAX_AGE}"
        # The login middleware read the session, but this answer is the same for
        # everyone: without this, SessionMiddleware adds "Vary: Cookie" and shared
        # caches keep one copy per visitor.
        request.session.accessed = False
    else:
        response.headers["Cache-Control"] = "private"
        patch_vary_headers(response, ["Cookie"])
    return response
