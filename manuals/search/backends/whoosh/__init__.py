"""The embedded default search backend, on whoosh (whoosh-reloaded, pinned).

Modules by concern; each docstring names the whoosh internals it relies on:

* schema.py: fields, formats, the whoosh documents of a SearchDocument
* writer.py: the bulk writer, the merge policy of edits, the write lock
* postings.py: posting blocks and length columns read in bulk, segment readers
* plan.py: a ParsedQuery compiled into a match tree and scoring terms
* query.py: bitmaps, facets, BM25F ranking, the hits shown
* phrases.py, highlight.py: exact phrases and snippets on stored text
* suggest.py: "did you mean" and title suggestions
* backend.py: the `WhooshSearchBackend` facade

tests/manuals/search/test_whoosh_reference.py compares results and scores with a
brute-force reference and checks the installed whoosh version is the pinned one.
"""

from .backend import WhooshSearchBackend
from .highlight import SNIPPET_CHARS, snippet_html  # shared with the postgres backend

__all__ = ["SNIPPET_CHARS", "WhooshSearchBackend", "snippet_html"]
