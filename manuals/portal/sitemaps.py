"""sitemap.xml of the portal: home, FAQ pages and every public section."""

from django.contrib.sitemaps import Sitemap

from . import selectors
from .links import Links


class PortalPagesSitemap(Sitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self):
        pages = ["home"]
        if selectors.public_faq(render=False):
            pages.append("faq")
        return pages

    def location(self, item):
        links = Links()
        return links.home() if item == "home" else links.faq()


class PortalSectionSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.6
    limit = 5000

    def items(self):
        return selectors.PublicTree.build().sections

    def location(self, item):
        return Links().section(item)

    def lastmod(self, item):
        return item.published_at or item.updated


class PortalFaqSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return [c.key for c in selectors.public_faq(render=False)]

    def location(self, item):
        return Links().faq_category(item)


SITEMAPS = {
    "pages": PortalPagesSitemap,
    "sections": PortalSectionSitemap,
    "faq": PortalFaqSitemap,
}
