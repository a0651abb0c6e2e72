"""Text analysis for Chinese and English: script folding, segmentation, bigrams.

Two analyzers share one normalisation (full-width folding, Traditional -> Simplified):

* `WordAnalyzer`: rjieba words in search mode for Chinese (a long word and the
  dictionary words inside it share one position, so "客户服务" and "客户"/"服务" all
  match and phrase queries still work), lowercased Porter stems for English.
* `BigramAnalyzer`: overlapping character bigrams of every Chinese run plus the run's
  last character, so any fragment of two or more characters (or one, by prefix) is found
  even where segmentation drew the word boundary elsewhere.
* `EnglishAnalyzer`: only the English/number stems. The whoosh backend indexes Chinese
  through bigrams alone: a word field on top cost ~40% more postings (index build
  time) for a ranking bonus the quality set did not need.

Every analyzer also has `terms(text)`, the token texts alone, which the bulk index
writer counts directly instead of going through whoosh's Token objects.

Both emit *sequential* token positions and keep character offsets separately (jieba's
stock analyzer stores offsets as positions, which breaks every phrase query).
"""

import re
from functools import lru_cache

import opencc
import rjieba
from whoosh.analysis import Analyzer, Token
from whoosh.lang.porter import stem

_T2S = opencc.OpenCC("t2s")

# CJK ideographs (BMP and extension A, compatibility ideographs).
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
RUN_RE = re.compile(rf"([{CJK}]+)|([0-9A-Za-z]+(?:['’][A-Za-z]+)?)")
CJK_RE = re.compile(rf"[{CJK}]")
CJK_RUN_RE = re.compile(rf"[{CJK}]+")
# English words too common to carry meaning; removed from the word field only.
STOP_WORDS = frozenset(
    "a an and are as at be by for from has have in is it its of on or that the "
    "this to was were will with".split()
)
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20


def to_simplified(text: str) -> str:
    """Fold full-width ASCII and Traditional Chinese so offsets still match `text`.

    OpenCC maps almost everything one character to one character; where a phrase
    mapping changes the length we convert character by character instead, so the
    character offsets the index stores always point into the original text.
    """
    if not text:
        return ""
    text = text.translate(_FULLWIDTH)
    folded = _T2S.convert(text)
    if len(folded) != len(text):
        folded = "".join(_T2S.convert(ch) or ch for ch in text)
        if len(folded) != len(text):  # pragma: no cover - no such mapping known
            return text
    return folded


@lru_cache(maxsize=50_000)
def stem_word(word: str) -> str:
    return stem(word)


def is_cjk(text: str) -> bool:
    return bool(CJK_RE.search(text))


def runs(text: str):
    """(kind, text, start) per Chinese run ('cjk') and English/number run ('en')."""
    for m in RUN_RE.finditer(text):
        if m.group(1):
            yield "cjk", m.group(1), m.start()
        else:
            yield "en", m.group(2), m.start()


def segment(run: str) -> list[tuple[str, int, int, int]]:
    """Search-mode words of one Chinese run as (word, position, start, end).

    Positions follow the precise segmentation; the dictionary words jieba's search
    mode finds inside a longer word take that word's position.
    """
    precise = rjieba.tokenize(run)
    if all(end - start <= 2 for _w, start, end in precise):
        return [(w, i, s, e) for i, (w, s, e) in enumerate(precise)]
    starts = {}
    for i, (_w, s, e) in enumerate(precise):
        for c in range(s, e):
            starts[c] = i
    out = []
    for w, s, e in rjieba.tokenize(run, mode="search"):
        out.append((w, starts.get(s, 0), s, e))
    out.sort(key=lambda t: (t[1], t[2], t[3]))
    return out


def query_words(text: str) -> list[str]:
    """Word-field terms of a query fragment, in order (precise segmentation)."""
    words = []
    for kind, run, _start in runs(to_simplified(text)):
        if kind == "cjk":
            words.extend(w for w, _s, _e in rjieba.tokenize(run))
        else:
            low = run.lower()
            if low not in STOP_WORDS:
                words.append(stem_word(low))
    return words


def cjk_chunks(run: str) -> list[str]:
    """What a Chinese query run must contain: its words, as substrings.

    Consecutive single characters are kept together (a fragment such as 货流 that
    segmentation splits up), and lone characters (的, 和) are dropped when the run
    has real words.
    """
    chunks: list[str] = []
    single = False
    for word, _s, _e in rjieba.tokenize(run):
        if len(word) == 1 and single:
            chunks[-1] += word
        else:
            chunks.append(word)
        single = len(word) == 1
    long = [c for c in chunks if len(c) > 1]
    return long or chunks


def bigrams(run: str) -> list[str]:
    """Overlapping bigrams of a Chinese run (the run itself when one character)."""
    if len(run) < 2:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


class _KbAnalyzer(Analyzer):
    """Shared token plumbing: whoosh calls analyzers with these keyword arguments."""

    def __eq__(self, other):
        return other is not None and type(self) is type(other)

    def __hash__(self):
        return hash(type(self))

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        text = to_simplified(value)
        pos = start_pos
        for word, rel_pos, start, end in self.tokens(text):
            token.text = word
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = pos + rel_pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token

    def tokens(self, text):  # pragma: no cover - abstract
        raise NotImplementedError

    def terms(self, text: str) -> list[str]:
        """The token texts of `text` (already folded by `to_simplified`)."""
        return [t[0] for t in self.tokens(text)]


class WordAnalyzer(_KbAnalyzer):
    """Chinese words (search mode) and English stems, sequential positions."""

    def tokens(self, text):
        pos = 0
        for kind, run, start in runs(text):
            if kind == "cjk":
                last = -1
                for word, rel, s, e in segment(run):
                    yield word, pos + rel, start + s, start + e
                    last = max(last, rel)
                pos += last + 1
            else:
                low = run.lower()
                if low in STOP_WORDS:
                    pos += 1
                    continue
                yield stem_word(low), pos, start, start + len(run)
                pos += 1


class BigramAnalyzer(_KbAnalyzer):
    """Character bigrams of Chinese runs, plus each run's last character."""

    def tokens(self, text):
        pos = 0
        for kind, run, start in runs(text):
            if kind != "cjk":
                continue
            n = len(run)
            for i in range(n - 1):
                yield run[i : i + 2], pos, start + i, start + i + 2
                pos += 1
            # The last character alone, so a one-character prefix query finds it.
            yield run[-1], pos, start + n - 1, start + n
            pos += 1

    def terms(self, text: str) -> list[str]:
        # The same texts as tokens(), built with slicing only: this is the hot loop
        # of a full reindex (~600 bigrams per section).
        out: list[str] = []
        for run in CJK_RUN_RE.findall(text):
            out += [run[i : i + 2] for i in range(len(run) - 1)]
            out.append(run[-1])
        return out


class EnglishAnalyzer(_KbAnalyzer):
    """English/number stems only (Chinese goes to the bigram field)."""

    def tokens(self, text):
        pos = 0
        for kind, run, start in runs(text):
            if kind == "cjk":
                pos += 1
                continue
            low = run.lower()
            if low not in STOP_WORDS:
                yield stem_word(low), pos, start, start + len(run)
            pos += 1


class VocabularyAnalyzer(_KbAnalyzer):
    """Unstemmed lowercase English words of 3+ letters: the "did you mean" lexicon."""

    def tokens(self, text):
        for pos, (kind, run, start) in enumerate(runs(text)):
            if kind == "en" and len(run) >= 3 and run.isalpha():
                yield run.lower(), pos, start, start + len(run)


def normalize_query(text: str) -> str:
    """The form analytics group queries by: folded, lowercased, spaces collapsed."""
    return " ".join(to_simplified(text).lower().split())
