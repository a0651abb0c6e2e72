"""Highlighted snippets: escaped text around the best clusters of matches.

Works on stored text alone (no whoosh at all), so the PostgreSQL backend shares
`snippet_html`. The spans come from `find_spans`: where the query's bigrams and stems
occur, found with str.find in the ten hits shown (microseconds; no re-tokenizing with
jieba).
"""

import html

from ...analysis import runs, stem_word, to_simplified

SNIPPET_CHARS = 160


def _merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _mark(text: str, spans, start: int, end: int) -> str:
    out, cursor = [], start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(html.escape(text[cursor:s]))
        out.append(f'<mark class="kb-hit">{html.escape(text[s:e])}</mark>')
        cursor = e
    out.append(html.escape(text[cursor:end]))
    return "".join(out)


def snippet_html(text: str, spans, *, width: int = SNIPPET_CHARS, top: int = 2) -> str:
    """Escaped text around the best `top` clusters of matches, matches in <mark>."""
    spans = _merge_spans(spans)
    if not spans:
        body = text[:width]
        return html.escape(body) + ("…" if len(text) > width else "")
    windows = []  # (number of matches, start, end)
    i = 0
    while i < len(spans):
        start = max(0, spans[i][0] - width // 4)
        end = min(len(text), start + width)
        j = i
        while j < len(spans) and spans[j][1] <= end:
            j += 1
        windows.append((j - i, start, end))
        i = max(j, i + 1)
    best = sorted(sorted(windows, key=lambda w: -w[0])[:top], key=lambda w: w[1])
    parts = []
    for n, (_count, start, end) in enumerate(best):
        if n and start < best[n - 1][2]:
            start = best[n - 1][2]
        if start >= end:
            continue
        piece = _mark(text, spans, start, end)
        parts.append(
            ("…" if start > 0 else "") + piece + ("…" if end < len(text) else "")
        )
    return " ".join(parts)


def find_spans(text: str, grams, stems) -> list[tuple[int, int]]:
    """Where the query's Chinese grams and English stems occur in `text`.

    `text` is stored text; folding keeps offsets (see to_simplified), so the spans
    point into the original. This is what the bigram and stem postings matched.
    """
    folded = to_simplified(text)
    spans = []
    for gram in grams:
        i = folded.find(gram)
        while i >= 0:
            spans.append((i, i + len(gram)))
            i = folded.find(gram, i + 1)
    if stems:
        for kind, run, start in runs(folded):
            if kind == "en" and stem_word(run.lower()) in stems:
                spans.append((start, start + len(run)))
    return spans
