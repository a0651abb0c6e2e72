"""Matching and ranking on a fixed corpus. One backend-independent class, one
subclass per backend (the way Wagtail tests its search backends)."""

import pytest

from manuals.search import services
from manuals.search.backends.base import Audience
from tests.factories import make_admin

from .corpus import build_corpus


@pytest.fixture(scope="module")
def module_corpus(module_data):
    """The corpus's sections, built once for the module; each test indexes them into
    its own index (its backend's), as the corpus fixture below does."""
    return module_data(lambda: build_corpus(make_admin()))


# Every test here sees the corpus, built once for the module (module_data in
# tests/conftest.py).
pytestmark = pytest.mark.usefixtures("module_corpus")


def titles(results):
    return [h.title for h in results.hits]


class SearchBackendContract:
    """What every backend must do. Subclasses choose the backend in `backend`."""

    @pytest.fixture
    def corpus(self, backend, module_corpus, db, index_now):
        sections = module_corpus.get()
        index_now()
        return sections

    def search(self, user, q, **kwargs):
        return services.search_sections(user=user, parsed=services.parse(q), **kwargs)

    def ids(self, results):
        return [h.object_id for h in results.hits]

    def test_title_match_ranks_above_body_match(self, corpus, admin_user):
        """退货流程 in a title beats the same words only in a body."""
        results = self.search(admin_user, "退货流程")
        assert self.ids(results)[0] == corpus["returns"].pk

    def test_exact_phrase_ranks_above_scattered_words(self, corpus, admin_user):
        """A body with 退货流程 together ranks above one with 退货 … 流程 apart."""
        ids = self.ids(self.search(admin_user, "退货流程"))
        assert ids.index(corpus["phrase"].pk) < ids.index(corpus["scattered"].pk)

    def test_fresher_section_first_among_equals(self, corpus, admin_user):
        """Two identical sections: the more recently published one comes first."""
        ids = self.ids(self.search(admin_user, "保修条款"))
        assert ids[:2] == [corpus["new"].pk, corpus["old"].pk]

    def test_traditional_query_finds_simplified_text(self, corpus, admin_user):
        """退貨流程 (Traditional) finds 退货流程 (Simplified)."""
        assert self.ids(self.search(admin_user, "退貨流程"))[0] == corpus["returns"].pk

    @pytest.mark.parametrize("fragment", ["退", "货流", "升级", "客户", "服务", "户服"])
    def test_fragments_of_words_match(self, corpus, admin_user, fragment):
        """One or two characters inside a longer word still find it."""
        results = self.search(admin_user, fragment)
        expected = (
            corpus["service"] if fragment not in {"退", "货流"} else corpus["returns"]
        )
        assert expected.pk in self.ids(results)

    def test_segmented_whole_word_and_parts_match(self, corpus, admin_user):
        """客户服务 and 客户 服务 both find 客户服务升级流程."""
        for q in ("客户服务", "客户 服务"):
            assert self.ids(self.search(admin_user, q))[0] == corpus["service"].pk

    def test_english_stemming(self, corpus, admin_user):
        """refunds / refunded / Refund all find the English policy."""
        for q in ("refunds", "refunded", "REFUND"):
            assert self.ids(self.search(admin_user, q)) == [corpus["english"].pk]

    def test_english_typo_still_finds_and_suggests(self, corpus, admin_user):
        """A misspelt word finds the section and offers the right spelling."""
        results = self.search(admin_user, "refnud")
        assert self.ids(results)[:1] == [corpus["english"].pk]
        assert results.suggestion == "refund"

    def test_english_prefix_while_typing(self, corpus, admin_user):
        """'refu' (a word being typed) finds the refund policy."""
        assert corpus["english"].pk in self.ids(self.search(admin_user, "refu"))

    def test_all_words_first_then_any_word(self, corpus, admin_user):
        """No section has both 退货 and 保修: the any-word fallback shows both kinds."""
        results = self.search(admin_user, "退货 保修")
        assert results.mode == "any"
        assert {corpus["returns"].pk, corpus["new"].pk} <= set(self.ids(results))
        assert self.search(admin_user, "退货 订单").mode == "all"

    def test_exact_phrase_syntax(self, corpus, admin_user):
        """ "退货流程" in quotes matches only where the characters are contiguous."""
        ids = self.ids(self.search(admin_user, '"退货流程"'))
        assert corpus["phrase"].pk in ids
        assert corpus["scattered"].pk not in ids
        assert corpus["aftersales"].pk not in ids

    def test_english_phrase(self, corpus, admin_user):
        """ "original payment" matches; "payment original" does not."""
        assert self.ids(self.search(admin_user, '"original payment"')) == [
            corpus["english"].pk
        ]
        assert self.ids(self.search(admin_user, '"payment original"')) == []

    def test_exclude(self, corpus, admin_user):
        """退货 -审批 leaves out the section that mentions 审批."""
        ids = self.ids(self.search(admin_user, "退货 -审批"))
        assert corpus["returns"].pk in ids
        assert corpus["aftersales"].pk not in ids

    def test_kind_tag_and_manual_filters(self, corpus, admin_user):
        """kind:, tag: and in: narrow the results."""
        ids = self.ids(self.search(admin_user, "退货 kind:policy"))
        assert ids and all(
            i in {corpus["phrase"].pk, corpus["scattered"].pk} for i in ids
        )
        assert self.ids(self.search(admin_user, "tag:退款")) == [corpus["phrase"].pk]
        assert self.ids(self.search(admin_user, "tag:REFUND")) == [corpus["english"].pk]
        ids = self.ids(self.search(admin_user, "退货 in:帮助中心"))
        assert ids == [corpus["public_returns"].pk]
        assert self.ids(self.search(admin_user, "退货 in:没有这本")) == []

    def test_facets_count_kinds_manuals_and_tags(self, corpus, admin_user):
        """Facet counts add up over the whole result set, not just the first page."""
        results = self.search(admin_user, "退货", per_page=2)
        assert len(results.hits) == 2
        kinds = dict(results.facets["kind"])
        assert sum(kinds.values()) == results.total
        manuals = dict(results.facets["manual"])
        assert manuals[str(corpus["help"].pk)] == 1
        assert dict(results.facets["tag"])["退货"] == 2

    def test_facet_filters_from_the_page(self, corpus, admin_user):
        """kinds/manuals/tags passed by the page narrow like the query syntax."""
        results = self.search(admin_user, "退货", kind_filters=["sop"])
        assert self.ids(results) == [corpus["returns"].pk]
        results = self.search(admin_user, "退货", manuals=[str(corpus["help"].pk)])
        assert self.ids(results) == [corpus["public_returns"].pk]

    def test_paging(self, corpus, admin_user):
        """Page 2 continues where page 1 stopped, without repeats."""
        first = self.ids(self.search(admin_user, "退", per_page=2))
        second = self.ids(self.search(admin_user, "退", per_page=2, page=2))
        assert len(first) == 2 and second and not set(first) & set(second)

    def test_snippet_highlights_chinese_matches(self, corpus, admin_user):
        """The snippet marks the matched Chinese characters, HTML-escaped."""
        hit = self.search(admin_user, "核实订单").hits[0]
        assert '<mark class="kb-hit">核实订单</mark>' in hit.snippet_html
        assert "<mark" in self.search(admin_user, "货流").hits[0].title_html

    def test_snippet_highlights_english_stems(self, corpus, admin_user):
        """Searching 'refund' marks Refunds and refunded in the snippet."""
        hit = self.search(admin_user, "refund").hits[0]
        assert '<mark class="kb-hit">refunded</mark>' in hit.snippet_html
        assert '<mark class="kb-hit">Refunds</mark>' in hit.snippet_html

    def test_suggest_titles(self, corpus, admin_user, backend):
        """Typing 客户 or 'Ref' suggests matching titles."""
        found = backend.suggest(text="客户", audience=Audience(level="all"))
        assert "客户服务升级流程" in [s.title for s in found]
        found = backend.suggest(text="Ref", audience=Audience(level="all"))
        assert [s.title for s in found] == ["Refund policy"]

    def test_deleting_a_section_removes_it(self, corpus, admin_user, index_now):
        """After delete_section and the outbox, the section is not found any more,
        also by a searcher opened before (whoosh's own refresh() resurrects it)."""
        from manuals.sections import services as manual_services

        assert corpus["returns"].pk in self.ids(self.search(admin_user, "退货"))
        manual_services.section_delete(section=corpus["returns"], user=admin_user)
        index_now()
        assert corpus["returns"].pk not in self.ids(self.search(admin_user, "退货"))

    def test_editing_a_section_reindexes_it(self, corpus, admin_user, index_now):
        """A newly published revision is what search finds."""
        from manuals.sections import services as manual_services

        result = manual_services.section_save(
            section=corpus["old"],
            user=admin_user,
            title="保修条款",
            body="新增：以旧换新活动。",
            base=corpus["old"].head_revision,
        )
        manual_services.revision_publish(
            section=corpus["old"], revision=result.revision, user=admin_user
        )
        index_now()
        assert self.ids(self.search(admin_user, "以旧换新")) == [corpus["old"].pk]


class TestWhooshBackend(SearchBackendContract):
    SEARCH_BACKENDS = ("whoosh",)

    @pytest.fixture
    def backend(self, search_index):
        return search_index


class TestPostgresBackend(SearchBackendContract):
    """Runs when the test database is PostgreSQL (tests/pg_cluster.sh)."""

    SEARCH_BACKENDS = ("postgres",)

    @pytest.fixture
    def backend(self, search_index):
        return search_index

    def test_broad_results_rank_title_matches_among_candidates(
        self, corpus, admin_user, monkeypatch
    ):
        """More matches than CANDIDATES: counts and facets still cover every match,
        title matches are ranked first, and paging goes past the candidates."""
        from manuals.search.backends import postgres

        monkeypatch.setattr(postgres, "CANDIDATES", 2)
        first = self.search(admin_user, "退货", per_page=2)
        second = self.search(admin_user, "退货", per_page=2, page=2)
        in_title = {corpus["returns"].pk, corpus["public_returns"].pk}
        assert first.total == second.total == 5
        assert sum(dict(first.facets["kind"]).values()) == 5
        assert set(self.ids(first)) == in_title
        assert len(self.ids(second)) == 2 and not in_title & set(self.ids(second))
