"""Where portal links point: the live site (/help/...) or the static export.

The same templates render both; a page asks its `Links` for every URL, so the export
gets relative links that work from file:// and from any sub-path.
"""

import posixpath
from urllib.parse import quote

from django.templatetags.static import static
from django.urls import reverse

# Static files every portal page loads (paths under STATICFILES_DIRS).
ASSETS = {
    "css": "portal/css/portal.css",
    "survey_css": "feedback/css/feedback.css",
    "survey_js": "feedback/js/survey.js",
    "search_js": "portal/js/search.js",
}


class Links:
    """URLs of the live portal."""

    static_site = False

    def home(self) -> str:
        return reverse("portal:home")

    def section(self, section) -> str:
        if section.slug:
            return reverse(
                "portal:article", kwargs={"pk": section.pk, "slug": section.slug}
            )
        return reverse("portal:article_id", kwargs={"pk": section.pk})

    def faq(self) -> str:
        return reverse("portal:faq")

    def faq_category(self, key: str) -> str:
        return reverse("portal:faq_category", kwargs={"key": key})

    def search(self) -> str:
        return reverse("portal:search")

    def asset(self, name: str) -> str:
        return static(ASSETS[name])

    # Templates read these as attributes.
    @property
    def home_url(self):
        return self.home()

    @property
    def faq_url(self):
        return self.faq()

    @property
    def search_url(self):
        return self.search()

    @property
    def css(self):
        return self.asset("css")

    @property
    def survey_css(self):
        return self.asset("survey_css")

    @property
    def survey_js(self):
        return self.asset("survey_js")

    @property
    def search_js(self):
        return self.asset("search_js")


class StaticLinks(Links):
    """Relative URLs between the files of the export, seen from `page` (a path)."""

    static_site = True

    def __init__(self, page: str = "index.html"):
        self.page = page

    def at(self, page: str) -> "StaticLinks":
        return StaticLinks(page)

    def rel(self, target: str) -> str:
        here = posixpath.dirname(self.page) or "."
        return quote(posixpath.relpath(target, here))

    @staticmethod
    def section_file(section) -> str:
        return f"a/{section.pk}.html"

    @staticmethod
    def faq_file(key: str) -> str:
        return f"faq/{key}.html"

    def home(self) -> str:
        return self.rel("index.html")

    def section(self, section) -> str:
        return self.rel(self.section_file(section))

    def faq(self) -> str:
        return self.rel("faq/index.html")

    def faq_category(self, key: str) -> str:
        return self.rel(self.faq_file(key))

    def search(self) -> str:
        return self.rel("search.html")

    def asset(self, name: str) -> str:
        return self.rel("assets/" + posixpath.basename(ASSETS[name]))

    def file(self, path: str) -> str:
        return self.rel(path)
