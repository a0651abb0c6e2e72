"""Analyzer behaviour: script folding, search-mode segmentation, fragments, stemming."""

from manuals.search.analysis import (
    BigramAnalyzer,
    WordAnalyzer,
    bigrams,
    cjk_chunks,
    normalize_query,
    query_words,
    to_simplified,
)

SEARCH_BACKENDS = ("whoosh",)  # pure analysis: no backend involved


def _tokens(analyzer, text):
    return [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in analyzer(text, positions=True, chars=True)
    ]


def test_traditional_is_folded_to_simplified_keeping_offsets():
    """退貨流程 and 退货流程 analyse to the same terms; offsets point into the input."""
    assert to_simplified("退貨流程") == "退货流程"
    trad = _tokens(WordAnalyzer(), "退貨流程")
    simp = _tokens(WordAnalyzer(), "退货流程")
    assert trad == simp
    assert len(to_simplified("頭髮與瞭解")) == len("頭髮與瞭解")


def test_full_width_letters_fold_to_ascii():
    """Full-width ＡＰＰ typed by a Chinese IME finds app."""
    assert normalize_query("ＡＰＰ  下載") == "app 下载"


def test_search_mode_emits_the_word_and_its_parts_at_one_position():
    """客户服务 yields 客户服务, 客户 and 服务, all at the word's position."""
    tokens = _tokens(WordAnalyzer(), "客户服务升级")
    words = {t[0]: t for t in tokens}
    assert {"客户服务", "客户", "服务", "升级"} <= set(words)
    assert words["客户"][1] == words["服务"][1] == words["客户服务"][1] == 0
    assert words["升级"][1] == 1
    assert words["服务"][2:] == (2, 4)


def test_positions_are_sequential_not_character_offsets():
    """Positions count words (0, 1, 2), unlike jieba's stock analyzer (char offsets)."""
    positions = [t[1] for t in _tokens(WordAnalyzer(), "升级流程规范")]
    assert positions == sorted(positions)
    assert max(positions) == len(set(positions)) - 1


def test_english_is_lowercased_and_stemmed():
    """Refunds, refunded and REFUND meet in one term; stop words are dropped."""
    terms = [t[0] for t in _tokens(WordAnalyzer(), "Refunds the REFUNDED refund")]
    assert terms == ["refund", "refund", "refund"]
    assert query_words("policies") == query_words("policy")


def test_bigrams_cover_every_two_character_fragment():
    """货流 inside 退货流程 is a bigram term; the last character stands alone too."""
    terms = [t[0] for t in _tokens(BigramAnalyzer(), "退货流程 and 升级")]
    assert terms == ["退货", "货流", "流程", "程", "升级", "级"]
    assert bigrams("退") == ["退"]


def test_query_chunks_keep_fragments_and_drop_lone_characters():
    """A split-up fragment stays whole; 的 between words is not required."""
    assert cjk_chunks("货流") == ["货流"]
    assert cjk_chunks("退货的流程") == ["退货", "流程"]
