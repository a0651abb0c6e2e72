"""Search respects permissions exactly like pages: results, counts, facets, snippets,
suggestions and "did you mean" never show what the reader may not open."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group

from manuals.models import Kind, Visibility
from manuals.search import services
from manuals.search.backends.base import Audience
from tests.factories import make_section, make_user

CANARY_INTERNAL = "internalcanary"
CANARY_RESTRICTED = "restrictedcanary"


@pytest.fixture
def world(admin_user, index_now):
    """A public, an internal and a group-restricted section, all about 退款."""
    vip = Group.objects.create(name="vip-team")
    public_root = make_section(
        title="帮助中心",
        kind=Kind.MANUAL,
        visibility=Visibility.PUBLIC,
        user=admin_user,
    )
    public = make_section(
        public_root,
        title="退款说明",
        body="公开的退款说明 publictext",
        visibility=Visibility.PUBLIC,
        user=admin_user,
    )
    internal_root = make_section(title="内部手册", kind=Kind.MANUAL, user=admin_user)
    internal = make_section(
        internal_root,
        title="退款内部规则",
        body=f"退款审批 {CANARY_INTERNAL} 内部机密甲",
        kind=Kind.POLICY,
        user=admin_user,
    )
    restricted = make_section(
        internal_root,
        title="退款大客户例外",
        body=f"退款特批 {CANARY_RESTRICTED} 机密乙",
        kind=Kind.ESCALATION,
        visibility=Visibility.RESTRICTED,
        groups=[vip],
        user=admin_user,
    )
    index_now()
    return {
        "vip": vip,
        "public": public,
        "internal": internal,
        "restricted": restricted,
        "internal_root": internal_root,
    }


def _search(user, q):
    return services.search_sections(user=user, parsed=services.parse(q))


def _everything(results) -> str:
    """All text a results object would put on a page."""
    parts = [results.suggestion]
    for hit in results.hits:
        parts += [hit.title, hit.title_html, hit.snippet_html, hit.url, hit.kind]
        parts += hit.tags
    for values in results.facets.values():
        parts += [f"{v}={n}" for v, n in values]
    return " ".join(parts)


@pytest.mark.parametrize(
    "q", ["退款", "机密", CANARY_INTERNAL, "审批 OR 特批", "kind:policy"]
)
def test_anonymous_never_sees_internal_or_restricted(world, q):
    """Public search: no internal/restricted hit, count, facet, snippet or suggestion."""
    results = _search(AnonymousUser(), q)
    ids = {h.object_id for h in results.hits}
    assert not ids & {world["internal"].pk, world["restricted"].pk}
    text = _everything(results)
    assert CANARY_INTERNAL not in text and CANARY_RESTRICTED not in text
    assert "机密" not in text
    assert "policy" not in dict(results.facets.get("kind", []))
    assert str(world["internal_root"].pk) not in dict(results.facets.get("manual", []))
    assert results.total == len(ids)


def test_public_count_is_public_only(world):
    """退款 finds exactly the one public section for the public."""
    results = _search(AnonymousUser(), "退款")
    assert [h.object_id for h in results.hits] == [world["public"].pk]
    assert results.total == 1


def test_agent_sees_internal_but_not_other_groups_restricted(world, agent):
    """An agent outside vip-team gets internal sections, never the restricted one."""
    results = _search(agent, "退款")
    ids = {h.object_id for h in results.hits}
    assert world["internal"].pk in ids
    assert world["restricted"].pk not in ids
    assert CANARY_RESTRICTED not in _everything(_search(agent, CANARY_RESTRICTED))
    assert _search(agent, CANARY_RESTRICTED).total == 0
    assert "escalation" not in dict(results.facets["kind"])


def test_group_member_sees_restricted(world):
    """A member of vip-team finds the restricted section."""
    member = make_user("agent", username="vip-agent")
    member.groups.add(world["vip"])
    ids = {h.object_id for h in _search(member, "退款").hits}
    assert world["restricted"].pk in ids


def test_superuser_sees_everything(world, admin_user):
    assert _search(admin_user, "退款").total == 3


def test_suggestions_respect_permissions(world, search_index):
    """Title suggestions for the public list public titles only."""
    public = search_index.suggest(text="退款", audience=Audience(level="public"))
    assert [s.title for s in public] == ["退款说明"]
    staff = search_index.suggest(text="退款", audience=Audience(level="staff"))
    assert "退款大客户例外" not in [s.title for s in staff]


def test_did_you_mean_never_offers_internal_words(world):
    """A near miss of an internal-only word is not corrected for the public."""
    assert _search(AnonymousUser(), "internalcanery").suggestion == ""
    staff = make_user("agent", username="agent2")
    assert _search(staff, "internalcanery").suggestion == CANARY_INTERNAL
    assert _search(staff, "restrictedcanery").suggestion == ""


def test_section_made_internal_leaves_public_results(world, admin_user, index_now):
    """Changing visibility re-indexes: the public stops finding the section."""
    from manuals.sections import services as manual_services

    manual_services.section_update_settings(
        section=world["public"],
        user=admin_user,
        kind=Kind.ARTICLE,
        visibility=Visibility.INTERNAL,
    )
    index_now()
    assert _search(AnonymousUser(), "publictext").total == 0
