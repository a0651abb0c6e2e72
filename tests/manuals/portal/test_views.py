"""The live portal at /help/: anonymous visitors see public, published text only."""

import re

import pytest
from django.urls import reverse

from manuals.portal.models import PortalSettings
from manuals.portal.selectors import PublicTree

from .conftest import assert_no_canary

# The portal is built once for the module (module_portal in
# tests/manuals/portal/conftest.py); `portal` hands each test its own instances.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_portal")]


def _page_text(client, url):
    """The page's HTML, minus the search query it echoes back (a query for a
    canary is not a leak)."""
    text = client.get(url).content.decode()
    if "?q=" in url:
        text = text.replace(url.split("?q=")[1], "")
    return text


def _all_portal_urls(client):
    urls = ["/help/", "/help/faq/", "/help/sitemap.xml", "/sitemap.xml", "/robots.txt"]
    tree = PublicTree.build()
    urls += [f"/help/a/{s.pk}/{s.slug}/" for s in tree.sections]
    home = client.get("/help/").content.decode()
    urls += sorted(set(re.findall(r'href="(/help/faq/[^"/]+/)"', home)))
    for q in (
        "退款",
        "秘密条款",
        "BLOCK-CANARY",
        "INTERNAL-CANARY",
        "内部",
        "FAQ-CANARY",
    ):
        urls.append(f"/help/search/?q={q}")
    return urls


def test_every_portal_page_is_open_to_anonymous_visitors_and_shows_no_internal_text(
    client, portal
):
    """Home, articles, FAQ, search, sitemap and robots.txt answer 200 without a
    login, and no internal section, internal block, internal FAQ answer or
    unpublished draft text appears in any of them."""
    urls = _all_portal_urls(client)
    assert len(urls) > 12
    for url in urls:
        assert client.get(url).status_code == 200, url
        assert_no_canary(_page_text(client, url), url)


def test_staff_see_the_portal_exactly_as_customers_do(agent_client, portal):
    """A logged-in agent (who may read internal text) still gets public text only."""
    for url in _all_portal_urls(agent_client):
        assert_no_canary(_page_text(agent_client, url), url)


def test_internal_and_unpublished_sections_are_not_found(client, portal):
    """Internal sections answer 404 on the portal; a draft-only section too."""
    assert client.get(f"/help/a/{portal['refund'].pk}/").status_code == 404
    assert client.get(f"/help/a/{portal['manual'].pk}/").status_code == 404
    assert client.get("/help/a/999999/").status_code == 404


def test_article_page_shows_public_text_breadcrumbs_meta_and_survey(client, portal):
    """An article shows its published public text with the public block expanded,
    breadcrumbs to the home page, a descriptive title and meta description, and the
    article survey."""
    refund = portal["refund_public"]
    response = client.get(f"/help/a/{refund.pk}/")
    assert response.status_code == 301
    response = client.get(response["Location"])
    html = response.content.decode()
    assert "退款一般 3-5 个工作日到账" in html
    assert "PUBLIC-BLOCK" in html
    assert "<title>退款多久到账 · 帮助中心</title>" in html
    assert re.search(r'<meta name="description" content="[^"]*退款一般', html)
    crumbs = html.split('class="portal-crumbs"')[1].split("</nav>")[0]
    assert 'href="/help/"' in crumbs and "配送说明" in crumbs
    assert 'id="kb-survey"' in html
    assert reverse("feedback:survey", args=[refund.pk]) in html


def test_draft_text_stays_off_the_portal_until_published(client, portal):
    """The portal shows the published revision, never a newer draft."""
    html = client.get(f"/help/a/{portal['draft'].pk}/x/", follow=True).content.decode()
    assert "发票在订单完成后开具" in html
    assert "DRAFT-CANARY" not in html


def test_links_to_internal_sections_lose_their_href(client, portal):
    """A link in a public article to an internal section keeps its words but points
    nowhere; a link to a public section points at its portal page."""
    refund = portal["refund_public"]
    html = client.get(f"/help/a/{refund.pk}/{refund.slug}/").content.decode()
    assert f'href="/s/{portal["refund"].pk}/' not in html
    assert "内部流程" in html
    assert f'href="/help/a/{portal["public_faq"].pk}/' in html


def test_home_lists_categories_popular_articles_and_faq(client, portal):
    """The home page lists top-level public manuals with their children, popular
    articles and the public FAQ categories, and no internal manual."""
    html = client.get("/help/").content.decode()
    assert "帮助中心" in html and "配送说明" in html
    assert "客服手册" not in html
    assert "Popular articles" in html or "热门文章" in html
    assert f'href="/help/faq/{portal["account"].pk}/"' in html


def test_faq_pages_list_public_entries_only(client, portal):
    """The FAQ page lists public entries with public answers; internal entries and
    internal blocks in answers stay out."""
    html = client.get(f"/help/faq/{portal['account'].pk}/").content.decode()
    assert "如何修改密码" in html
    assert "在设置页修改密码" in html
    assert "内部问题" not in html
    assert client.get("/help/faq/12345/").status_code == 404


def test_public_search_finds_chinese_with_highlights(client, portal):
    """Searching the portal in Chinese (Simplified or Traditional) finds public
    articles with the match highlighted, and nothing internal."""
    html = client.get("/help/search/", {"q": "退款"}).content.decode()
    assert f'href="/help/a/{portal["refund_public"].pk}/' in html
    assert '<mark class="kb-hit">退款</mark>多久到账' in html
    assert "政策" not in html  # the internal 退款政策 has the same word
    html = client.get("/help/search/", {"q": "订单查询"}).content.decode()
    assert f'href="/help/a/{portal["traditional"].pk}/' in html
    html = client.get("/help/search/", {"q": "密码"}).content.decode()
    assert f"/help/faq/{portal['account'].pk}/#q{portal['public_entry'].pk}" in html


def test_search_of_internal_words_finds_nothing(client, portal):
    """Words that only occur in internal text give no results on the portal."""
    for q in ("INTERNAL-CANARY", "FAQ-CANARY", "秘密条款", "员工备注"):
        html = client.get("/help/search/", {"q": q}).content.decode()
        assert "portal-results" not in html, q


def test_sitemap_lists_public_pages_only(client, portal):
    """sitemap.xml has the home page and public sections, no internal section."""
    xml = client.get("/sitemap.xml").content.decode()
    assert "/help/</loc>" in xml
    assert f"/help/a/{portal['refund_public'].pk}/" in xml
    assert f"/help/a/{portal['refund'].pk}/" not in xml
    assert f"/help/a/{portal['manual'].pk}/" not in xml


def test_robots_txt_allows_the_portal_only(client, portal):
    """robots.txt lets crawlers into /help/ and points them at the sitemap."""
    text = client.get("/robots.txt").content.decode()
    assert "Allow: /help/" in text
    assert "Disallow: /\n" in text
    assert "Sitemap: http://testserver/help/sitemap.xml" in text


def test_portal_settings_change_name_colour_and_footer(client, portal):
    """The site name, colour and footer set in the admin show on every page."""
    PortalSettings.objects.create(
        site_name="极速客服中心",
        primary_color="#c2185b",
        footer_text="客服热线 400-000",
    )
    html = client.get("/help/").content.decode()
    assert "极速客服中心" in html
    assert "--portal-primary: #c2185b" in html
    assert "客服热线 400-000" in html


def test_portal_settings_are_a_singleton_edited_in_the_admin(admin_client, db):
    """The admin opens the one settings row; saving twice keeps one row."""
    response = admin_client.get("/admin/manuals/portalsettings/")
    assert response.status_code == 302
    assert admin_client.get(response["Location"]).status_code == 200
    PortalSettings(site_name="A").save()
    PortalSettings(site_name="B").save()
    assert PortalSettings.objects.count() == 1
    assert PortalSettings.load().site_name == "B"


def test_anonymous_visitor_can_rate_an_article(client, portal):
    """The survey on a portal article accepts an anonymous visitor's answer."""
    refund = portal["refund_public"]
    html = client.get(f"/help/a/{refund.pk}/{refund.slug}/").content.decode()
    revision = re.search(r'name="revision" value="(\d+)"', html).group(1)
    response = client.post(
        reverse("feedback:survey", args=[refund.pk]),
        {"helpful": "yes", "revision": revision},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert response.status_code == 200
    from feedback.models import ArticleFeedback

    assert ArticleFeedback.objects.filter(section=refund, helpful=True).exists()
