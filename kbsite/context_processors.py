"""Values every template needs: the site name and the reader's role flags."""

from django.conf import settings


def site(request):
    return {"kb_site_name": settings.KB_SITE_NAME}
